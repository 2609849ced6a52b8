"""GET /api/incidents/viewport over HTTP (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.reports import Role
from tansiq.domain.viewport import Bbox, ViewportQuery
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import reading, writing
from tansiq.store.incident_grid import unfolded
from tansiq.store.incidents import upsert_incidents
from tansiq.store.partners import add_partner
from tansiq.store.viewport import grid_cells
from tests.conftest import FROZEN_NOW
from tests.store.test_viewport import count_in_box, expected_grid, spread

PROBLEM = "application/problem+json"
IRAQ = "38.7,29.0,48.7,37.4"
CAP = 10


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    """A node with 40 incidents across Kirkuk, Ninewa and Basrah, asked by a watch officer;
    more than 10 incidents in a view come as a grid."""
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", spread(40), FROZEN_NOW)
        add_partner(conn, "jcc", "Joint Coordination Centre", None, FROZEN_NOW)
        _, token = accounts.create_user(conn, "watch", "jcc", Role.WATCH, None, FROZEN_NOW)
    config = settings.model_copy(update={"viewport_point_cap": CAP})
    app = create_app(config, engine=engine, locator=locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _view(client: TestClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/api/incidents/viewport", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    return body


def test_the_whole_of_iraq_is_a_grid_that_counts_every_incident(
    client: TestClient, engine: Engine
) -> None:
    body = _view(client, bbox=IRAQ, zoom=6)
    assert (body["kind"], body["level"], body["cell_deg"]) == ("grid", 0, 1.0)
    assert body["total"] == 40
    assert body["points"] == []
    query = ViewportQuery(Bbox.parse(IRAQ), 6)
    with reading(engine) as conn:
        expected = expected_grid(conn, query)
    got = {(c["bounds"][1], c["bounds"][0]): c for c in body["cells"]}
    assert len(got) == len(expected)
    for (row, col), want in expected.items():
        cell = got[(row - 90.0, col - 180.0)]  # level 0: a cell's south-west corner in degrees
        assert (cell["count"], cell["fatalities"], cell["types"]) == (
            want.incidents,
            want.fatalities,
            want.by_type,
        )
        assert cell["lat"] == pytest.approx(want.latitude)
        assert cell["bounds"][0] <= cell["lon"] <= cell["bounds"][2]


def test_filters_narrow_the_counts(client: TestClient, engine: Engine) -> None:
    params = {"area": "IQG13", "from": "2016-01-10", "to": "2016-01-25", "disputed": "true"}
    body = _view(client, bbox=IRAQ, zoom=8, **params)
    filt = IncidentFilter("IQG13", date(2016, 1, 10), date(2016, 1, 25), disputed_only=True)
    with reading(engine) as conn:
        total = count_in_box(conn, ViewportQuery(Bbox.parse(IRAQ), 8, filt))
    assert 0 < total <= CAP  # few enough: points
    assert (body["kind"], body["total"], body["returned"]) == ("points", total, total)


def test_a_small_view_gets_the_points_with_their_facts(client: TestClient) -> None:
    body = _view(client, bbox="44.3,35.4,44.6,35.6", zoom=12)
    assert body["kind"] == "points"
    assert body["total"] == body["returned"] == len(body["points"]) > 0
    point = body["points"][0]
    assert set(point) == {"id", "lat", "lon", "type", "fatalities", "date"}
    assert 35.4 <= point["lat"] <= 35.6
    assert 44.3 <= point["lon"] <= 44.6
    assert body["level"] is None
    assert body["cells"] == []


def test_the_points_zoom_sends_points_however_many(client: TestClient) -> None:
    body = _view(client, bbox=IRAQ, zoom=13)
    assert (body["kind"], body["total"], body["returned"]) == ("points", 40, 40)


def test_anonymous_is_401(client: TestClient) -> None:
    answer = client.get(
        "/api/incidents/viewport",
        params={"bbox": IRAQ, "zoom": 6},
        headers={"Authorization": ""},
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert "www-authenticate" in answer.headers


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"bbox": "38,29,48", "zoom": "6"}, "four numbers"),
        ({"bbox": "a,b,c,d", "zoom": "6"}, "four numbers"),
        ({"bbox": "38,nan,48,37", "zoom": "6"}, "finite"),
        ({"bbox": "38,37,48,29", "zoom": "6"}, "south"),
        ({"bbox": "48,29,38,37", "zoom": "6"}, "west"),
        ({"bbox": "38,29,48,91", "zoom": "6"}, "latitudes"),
        ({"bbox": "38,29,181,37", "zoom": "6"}, "longitudes"),
        ({"bbox": IRAQ, "zoom": "23"}, "zoom"),
        ({"bbox": IRAQ, "zoom": "-1"}, "zoom"),
        ({"bbox": IRAQ, "zoom": "six"}, "zoom"),
        ({"bbox": IRAQ, "zoom": "9" * 40}, "zoom"),
        ({"zoom": "6"}, "bbox"),
        ({"bbox": IRAQ}, "zoom"),
        ({"bbox": IRAQ, "zoom": "6", "from": "2017-02-01", "to": "2017-01-01"}, "empty"),
        ({"bbox": IRAQ, "zoom": "6", "area": "Kirkuk"}, "pcode"),
        ({"bbox": IRAQ, "zoom": "6", "area": "IQG99"}, "unknown area"),
    ],
)
def test_bad_input_is_a_400_problem(
    client: TestClient, params: dict[str, str], fragment: str
) -> None:
    answer = client.get("/api/incidents/viewport", params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == 400
    assert fragment in answer.json()["detail"]


def test_the_route_and_its_answer_are_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/incidents/viewport"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"bbox", "zoom", "from", "to", "area"}
    assert '"points" or "grid"' in operation["description"]


def test_the_server_folds_new_incidents_into_the_grid(
    engine: Engine, settings: Settings, locator: AreaLocator
) -> None:
    """The running app's grid folder takes an import's incidents into the grid by itself."""
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", spread(30), FROZEN_NOW)
    assert unfolded(engine) == 30
    config = settings.model_copy(update={"grid_fold_seconds": 0.05})
    app = create_app(config, engine=engine, locator=locator)
    with TestClient(app):
        deadline = time.monotonic() + 20
        while unfolded(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert unfolded(engine) == 0
    with reading(engine) as conn:
        whole = ViewportQuery(Bbox.parse(IRAQ), 6)
        assert sum(c.incidents for c in grid_cells(conn, whole)[1]) == 30
