"""Reports on the map (GET /api/reports.geojson): a point per readable place of each readable
report, nothing of what the caller may not see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing.report_places import first_line
from tests.nodes import Account, setup_node

MAKHMOUR = {"lat": 35.776, "lon": 43.58, "name": "Makhmour"}
KIRKUK = {"lat": 35.468, "lon": 44.392, "name": "Kirkuk"}


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _as(people: dict[str, Account], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people[who].token}"}


def _add(client: TestClient, people: dict[str, Account], title: str, **body: Any) -> str:
    payload = {"title": title, "text": "\n  Two pickups seen at dusk.\nMore later.", **body}
    answer = client.post("/api/reports", json=payload, headers=_as(people, "joc-analyst"))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _layer(client: TestClient, people: dict[str, Account], who: str, **params: Any) -> Any:
    answer = client.get("/api/reports.geojson", params=params, headers=_as(people, who))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    return answer.json()


@pytest.fixture
def reports(client: TestClient, people: dict[str, Account]) -> dict[str, str]:
    return {
        "shared": _add(
            client, people, "Shared", releasable_to=["krg"], places=[MAKHMOUR, KIRKUK], tlp="amber"
        ),
        "secret": _add(client, people, "Secret", places=[KIRKUK]),
        "nowhere": _add(client, people, "No place", releasable_to=["krg"]),
    }


def test_the_audience_gets_a_point_per_place_and_others_nothing(
    client: TestClient, people: dict[str, Account], reports: dict[str, str]
) -> None:
    krg = _layer(client, people, "krg-analyst")
    joc = _layer(client, people, "joc-analyst")
    jcc = _layer(client, people, "jcc-analyst")

    assert [f["properties"]["report_id"] for f in krg["features"]] == [reports["shared"]] * 2
    assert sorted(f["properties"]["place"] for f in krg["features"]) == ["Kirkuk", "Makhmour"]
    assert (krg["total"], krg["returned"]) == (1, 1)
    assert {f["properties"]["report_id"] for f in joc["features"]} == {
        reports["shared"],
        reports["secret"],
    }
    assert (jcc["total"], jcc["features"]) == (0, [])
    assert reports["secret"] not in str(krg)


def test_a_point_carries_what_the_popup_shows(
    client: TestClient, people: dict[str, Account], reports: dict[str, str]
) -> None:
    features = _layer(client, people, "krg-analyst")["features"]
    makhmour = next(f for f in features if f["properties"]["place"] == "Makhmour")

    assert makhmour["geometry"] == {"type": "Point", "coordinates": [43.58, 35.776]}
    props = makhmour["properties"]
    assert (props["title"], props["first_line"], props["tlp"]) == (
        "Shared",
        "Two pickups seen at dusk.",
        "amber",
    )
    assert props["published"]
    assert props["originator"] == "joc"


def test_a_hidden_place_is_cut_and_its_report_not_counted(
    client: TestClient, people: dict[str, Account], reports: dict[str, str]
) -> None:
    listing = client.get("/api/reports", headers=_as(people, "joc-analyst")).json()
    shared = next(item for item in listing["items"] if item["id"] == reports["shared"])
    for place_id in shared["places"]:
        # The originator keeps the places to itself; the report stays released to krg.
        answer = client.post(
            f"/api/objects/{place_id}/marking",
            json={"tlp": "amber"},
            headers=_as(people, "joc-analyst"),
        )
        assert answer.status_code == 204, answer.text

    krg = _layer(client, people, "krg-analyst")

    assert (krg["total"], krg["features"]) == (0, [])
    assert len(_layer(client, people, "joc-analyst")["features"]) == 3


def test_pages_count_reports(
    client: TestClient, people: dict[str, Account], reports: dict[str, str]
) -> None:
    first = _layer(client, people, "joc-analyst", limit=1)
    second = _layer(client, people, "joc-analyst", limit=1, offset=1)

    assert (first["total"], first["returned"], second["returned"]) == (2, 1, 1)
    ids = {f["properties"]["report_id"] for f in first["features"] + second["features"]}
    assert ids == {reports["shared"], reports["secret"]}
    bad = client.get("/api/reports.geojson?limit=0", headers=_as(people, "joc-analyst"))
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", ""),
        (None, ""),
        ("\n\n  first  \nsecond", "first"),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_first_line(text: str | None, line: str) -> None:
    assert first_line(text) == line
