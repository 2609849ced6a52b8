"""Checkpoints over HTTP: register, list, close, verify; releasability on every answer, and
problem+json for every bad input (SYNTHETIC data: see tests/test_checkpoints.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"
NOON = "2026-11-25T12:00:00+03:00"
NIGHT = "2026-11-25T02:00:00+03:00"
ROAD: dict[str, Any] = {
    "name": "Kirkuk-Tikrit road km 12 (synthetic)",
    "unit": "Synthetic 8th Bde, 2nd Bn",
    "lat": 35.37,
    "lon": 44.30,
    "valid_from": "2026-11-01",
    "releasable_to": ["krg"],
}
HIDDEN: dict[str, Any] = {
    "name": "Kirkuk-Tikrit road km 13.5 (synthetic)",
    "unit": "Synthetic 8th Bde, HQ",
    "lat": 35.3565,
    "lon": 44.2950,
    "valid_from": "2026-11-01T00:00:00Z",
    "kind": "mobile",
}


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    app.state.clock = lambda: FROZEN_NOW
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _as(people: dict[str, Account], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people[who].token}"}


def add(client: TestClient, people: dict[str, Account], who: str, body: dict[str, Any]) -> Any:
    return client.post("/api/checkpoints", json=body, headers=_as(people, who))


def verify(client: TestClient, people: dict[str, Account], who: str, **params: Any) -> Any:
    return client.get("/api/checkpoints/verify", params=params, headers=_as(people, who))


def test_register_then_verify(client: TestClient, people: dict[str, Account]) -> None:
    added = add(client, people, "joc-analyst", {**ROAD, "hours": "06:00-18:00"})
    assert added.status_code == 201, added.text
    assert added.json()["registered_at"] == "2026-11-25T12:00:00.000Z"  # the app's clock

    day = verify(client, people, "krg-analyst", lat=35.371, lon=44.301, at=NOON)
    night = verify(client, people, "krg-analyst", lat=35.371, lon=44.301, at=NIGHT)
    wide = verify(client, people, "krg-analyst", lat=35.38, lon=44.30, at=NOON, tolerance_m=2000)

    assert day.status_code == 200
    assert day.json()["verified"] is True
    assert day.json()["checkpoint"]["owner"] == "joc"
    assert night.json()["verified"] is False
    assert night.json()["nearest"]["reasons"] == ["outside-hours"]
    assert wide.json()["verified"] is True


@pytest.mark.parametrize(
    ("lat", "lon"), [(35.3565, 44.2950), (35.3600, 44.2960), (35.37, 44.30), (35.2, 44.5)]
)
def test_a_hidden_checkpoint_changes_not_a_byte_of_the_answer(
    client: TestClient, people: dict[str, Account], lat: float, lon: float
) -> None:
    assert add(client, people, "joc-analyst", ROAD).status_code == 201
    asks = [{"lat": lat, "lon": lon, "at": at} for at in (NOON, NIGHT)]
    without = [verify(client, people, "krg-analyst", **q).content for q in asks]

    assert add(client, people, "joc-analyst", HIDDEN).status_code == 201
    with_it = [verify(client, people, "krg-analyst", **q).content for q in asks]

    assert with_it == without
    owner = verify(client, people, "joc-watch", lat=35.3565, lon=44.2950, at=NOON).json()
    assert owner["checkpoint"]["name"] == HIDDEN["name"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("joc-analyst", sorted([HIDDEN["name"], ROAD["name"]])),
        ("krg-analyst", [ROAD["name"]]),
        ("asayish-analyst", [ROAD["name"]]),  # a part of krg
        ("jcc-analyst", []),
    ],
)
def test_lists_show_what_is_released_to_the_caller(
    client: TestClient, people: dict[str, Account], who: str, expected: list[str]
) -> None:
    add(client, people, "joc-analyst", ROAD)
    add(client, people, "joc-analyst", HIDDEN)

    listing = client.get("/api/checkpoints", headers=_as(people, who)).json()
    layer = client.get("/api/checkpoints.geojson", headers=_as(people, who))

    assert sorted(item["name"] for item in listing["items"]) == expected
    assert listing["total"] == len(expected)
    assert layer.headers["content-type"] == "application/geo+json"
    assert sorted(f["properties"]["name"] for f in layer.json()["features"]) == expected


def test_list_filters(client: TestClient, people: dict[str, Account]) -> None:
    add(client, people, "joc-analyst", {**ROAD, "valid_to": "2026-11-10"})
    add(client, people, "joc-analyst", {**HIDDEN, "releasable_to": ["krg"]})

    def names(**params: Any) -> list[str]:
        got = client.get("/api/checkpoints", params=params, headers=_as(people, "krg-analyst"))
        return [item["name"] for item in got.json()["items"]]

    assert names(at=NOON) == [HIDDEN["name"]]
    assert names(at="2026-11-05T00:00:00Z") == [ROAD["name"], HIDDEN["name"]]
    assert names(bbox="44.299,35.369,44.301,35.371") == [ROAD["name"]]


def test_close(client: TestClient, people: dict[str, Account]) -> None:
    road = add(client, people, "joc-analyst", ROAD).json()["id"]
    hidden = add(client, people, "joc-analyst", HIDDEN).json()["id"]
    close = "/api/checkpoints/{}/close"

    not_theirs = client.post(close.format(road), headers=_as(people, "krg-analyst"))
    unseen = client.post(close.format(hidden), headers=_as(people, "krg-analyst"))
    missing = client.post(close.format(9999), headers=_as(people, "krg-analyst"))
    huge = [
        client.post(close.format(n), headers=_as(people, "joc-analyst")) for n in (0, 2**31, 2**70)
    ]
    closed = client.post(
        close.format(road), json={"at": "2026-11-20T00:00:00Z"}, headers=_as(people, "joc-watch")
    )

    assert not_theirs.status_code == 403
    assert unseen.status_code == missing.status_code == 404
    assert [answer.status_code for answer in huge] == [404, 404, 404]  # schemathesis found 2**31
    assert unseen.json()["detail"].replace(str(hidden), "N") == missing.json()["detail"].replace(
        "9999", "N"
    )
    assert closed.status_code == 200
    assert closed.json()["closed_at"] == "2026-11-20T00:00:00.000Z"
    after = verify(client, people, "krg-analyst", lat=35.37, lon=44.30, at=NOON).json()
    assert after["nearest"]["reasons"] == ["closed"]


BAD_BODIES = [
    ({"lat": 44.30, "lon": 35.37}, "lat: 44.3 is not in Iraq or near it"),
    ({"lon": 60.0}, "lon: 60.0 is not in Iraq or near it"),
    ({"lat": "north"}, "lat: Input should be a valid number"),
    ({"valid_from": "2026-11-01T06:00"}, "valid_from: a date-time needs a zone"),
    ({"valid_to": "2026-10-01"}, "to: 2026-10-01T21:00:00+00:00 is not after from"),
    ({"valid_to": "9999-12-31"}, "valid_to: '9999-12-31' is not between 1900 and 2999"),
    ({"hours": "all day"}, "hours: expected HH:MM-HH:MM"),
    ({"kind": "flying"}, "kind: unknown 'flying'"),
    ({"name": ""}, "name: 1-200 characters"),
    ({"unit": None}, "unit: Input should be a valid string"),
    ({"releasable_to": ["kgr"]}, "releasable_to: unknown partner 'kgr'"),
    ({"tlp": "purple"}, "unknown TLP level 'purple'"),
]


@pytest.mark.parametrize(("change", "message"), BAD_BODIES)
def test_a_bad_registration_is_a_problem_naming_the_field(
    client: TestClient, people: dict[str, Account], change: dict[str, Any], message: str
) -> None:
    answer = add(client, people, "joc-analyst", {**ROAD, **change})

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert message in answer.json()["detail"]
    assert client.get("/api/checkpoints", headers=_as(people, "joc-analyst")).json()["total"] == 0


BAD_QUESTIONS = [
    ({"tolerance_m": 24}, "tolerance_m: must be 25 to 5,000 metres"),
    ({"tolerance_m": 5001}, "tolerance_m: must be 25 to 5,000 metres"),
    ({"tolerance_m": "nan"}, "tolerance_m: must be 25 to 5,000 metres"),
    ({"at": "2026-11-25 02:00"}, "at: a date-time needs a zone"),
    ({"at": "tonight"}, "at: not an ISO date-time"),
    ({"at": "0001-01-01T00:00:00+03:00"}, "is not between 1900 and 2999"),
    ({"lat": 91}, "lat: 91.0 is not in Iraq or near it"),
    ({"lon": "x"}, "lon: Input should be a valid number"),
    ({"lat": None}, "lat: Field required"),
]


@pytest.mark.parametrize(("change", "message"), BAD_QUESTIONS)
def test_a_bad_verify_is_a_problem_naming_the_field(
    client: TestClient, people: dict[str, Account], change: dict[str, Any], message: str
) -> None:
    params = {
        k: v for k, v in {"lat": 35.37, "lon": 44.3, "at": NOON, **change}.items() if v is not None
    }
    answer = verify(client, people, "krg-analyst", **params)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert message in answer.json()["detail"]


def test_a_peer_account_may_not_register(client: TestClient, people: dict[str, Account]) -> None:
    answer = add(client, people, "krg-node", ROAD)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM


def test_the_same_checkpoint_twice_is_refused(
    client: TestClient, people: dict[str, Account]
) -> None:
    first = add(client, people, "joc-analyst", ROAD).json()["id"]
    again = add(client, people, "joc-analyst", ROAD)
    assert again.status_code == 409
    assert f"is already registered (id {first})" in again.json()["detail"]
