"""One incident over HTTP (GET /api/incidents/{id}): what the map's popup opens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import writing
from tansiq.store.incidents import upsert_incidents
from tests.conftest import FROZEN_NOW
from tests.factories import make_row
from tests.nodes import setup_node


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    people = setup_node(engine)
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", [make_row(source_id="7", headline="Raid")], FROZEN_NOW)
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {people['jcc-analyst'].token}"
        yield c


def test_an_incident_is_the_record_the_list_has(client: TestClient) -> None:
    listed = client.get("/api/incidents").json()["items"][0]

    answer = client.get(f"/api/incidents/{listed['id']}")

    assert answer.status_code == 200
    assert answer.json() == listed
    assert answer.json()["headline"] == "Raid"


@pytest.mark.parametrize("incident_id", ["999", "99999999999999999999"])
def test_a_missing_incident_is_a_404_problem(client: TestClient, incident_id: str) -> None:
    answer = client.get(f"/api/incidents/{incident_id}")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_viewport_is_still_its_own_route(client: TestClient) -> None:
    answer = client.get("/api/incidents/viewport", params={"bbox": "38,29,49,38", "zoom": 6})

    assert answer.status_code == 200
    assert answer.json()["total"] == 1
