"""Positions over HTTP: releasability on every answer, pages, GeoJSON, problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import positions
from tansiq.api.app import create_app
from tansiq.domain.positions import PositionDraft
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, locator), raise_server_exceptions=False) as c:
        yield c


def _save(engine: Engine, locator: AreaLocator, *drafts: PositionDraft) -> None:
    with writing(engine) as conn:
        positions.save(conn, locator, list(drafts), "test", FROZEN_NOW)


def _get(client: TestClient, people: dict[str, Account], who: str, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {people[who].token}"}
    return client.get(path, params=params, headers=headers)


@pytest.fixture
def stored(engine: Engine, locator: AreaLocator, people: dict[str, Account]) -> None:
    _save(
        engine,
        locator,
        make_position(name="joc only"),
        make_position(name="for krg", releasable_to=frozenset({"krg"}), coverage_radius_m=4000.0),
        make_position(partner="krg", name="krg post", latitude=35.78, longitude=43.58),
    )


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("joc-analyst", ["for krg", "joc only"]),
        ("krg-analyst", ["for krg", "krg post"]),
        ("asayish-analyst", ["for krg", "krg post"]),  # a part of krg
        ("jcc-analyst", []),
    ],
)
def test_each_caller_gets_what_is_released_to_them(
    client: TestClient, people: dict[str, Account], who: str, expected: list[str]
) -> None:
    listing = _get(client, people, who, "/api/positions").json()
    layer = _get(client, people, who, "/api/positions.geojson")

    assert sorted(item["name"] for item in listing["items"]) == expected
    assert listing["total"] == len(expected)
    assert layer.headers["content-type"] == "application/geo+json"
    features = layer.json()["features"]
    assert sorted(f["properties"]["name"] for f in features) == expected
    assert layer.json()["total"] == layer.json()["returned"] == len(expected)


@pytest.mark.usefixtures("stored")
def test_a_feature_carries_what_the_map_shows(
    client: TestClient, people: dict[str, Account]
) -> None:
    features = _get(client, people, "krg-analyst", "/api/positions.geojson").json()["features"]
    shared = next(f for f in features if f["properties"]["name"] == "for krg")

    assert shared["geometry"] == {"type": "Point", "coordinates": [44.39, 35.44]}
    props = shared["properties"]
    assert props["coverage_radius_m"] == 4000.0
    assert (props["partner"], props["partner_name"]) == ("joc", "Joint Operations Command")
    assert (props["kind"], props["synthetic"], props["disputed"]) == ("checkpoint", True, True)
    assert props["active_from"] == "2024-01-01T00:00:00.000Z"
    assert props["active_to"] is None
    assert (props["tlp"], props["releasable_to"]) == ("amber", ["krg"])


@pytest.mark.usefixtures("stored")
def test_pages_and_filters(client: TestClient, people: dict[str, Account]) -> None:
    first = _get(client, people, "joc-analyst", "/api/positions", limit=1).json()
    second = _get(client, people, "joc-analyst", "/api/positions", limit=1, offset=1).json()
    boxed = _get(client, people, "krg-analyst", "/api/positions", bbox="43.0,35.5,44.0,36.0")
    before = _get(client, people, "joc-analyst", "/api/positions", at="2023-06-01")

    assert [first["total"], first["limit"], len(first["items"])] == [2, 1, 1]
    assert first["items"][0]["name"] != second["items"][0]["name"]
    assert [i["name"] for i in boxed.json()["items"]] == ["krg post"]
    assert before.json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "45,30,44,31"}, "west"),
        ({"limit": 0}, "limit"),
        ({"at": "2024-13-01"}, "at"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_input_is_a_problem(
    client: TestClient, people: dict[str, Account], params: dict[str, Any], detail: str
) -> None:
    answer = _get(client, people, "joc-analyst", "/api/positions.geojson", **params)

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert detail in answer.json()["detail"]


def test_anonymous_callers_get_401(client: TestClient) -> None:
    for path in ("/api/positions", "/api/positions.geojson"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM


@pytest.mark.usefixtures("stored")
def test_reads_of_positions_are_audited(
    client: TestClient, people: dict[str, Account], engine: Engine
) -> None:
    _get(client, people, "krg-analyst", "/api/positions.geojson")

    with reading(engine) as conn:
        last = audit.entries(conn)[-1]
    assert (last.actor, last.action) == ("krg-analyst", "read")
    assert (last.subject, len(last.detail["ids"])) == ("api", 2)
