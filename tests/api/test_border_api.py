"""Border routes: sectors, observations in and out, alerts; releasability; problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import border
from tansiq.api.app import create_app
from tansiq.commands.accounts import acting
from tansiq.domain.border import AlertRule
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node
from tests.store.test_border import near

PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        border.init_sectors(conn, "test", FROZEN_NOW)
    return found


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, locator), raise_server_exceptions=False) as c:
        yield c


def _call(
    client: TestClient, people: dict[str, Account], who: str, method: str, path: str, **kw: Any
) -> Any:
    return client.request(
        method, path, headers={"Authorization": f"Bearer {people[who].token}"}, **kw
    )


def _observe(client: TestClient, people: dict[str, Account], who: str, **extra: Any) -> Any:
    lat, lon = near("IQG01Q02-05")
    body = {
        "kind": "crossing-attempt",
        "lat": lat,
        "lon": lon,
        "observed_at": "2026-11-25T02:00:00Z",
    }
    return _call(client, people, who, "POST", "/api/border/observations", json={**body, **extra})


def test_sectors_and_their_layer(client: TestClient, people: dict[str, Account]) -> None:
    listing = _call(client, people, "jcc-analyst", "GET", "/api/border/sectors").json()
    layer = _call(client, people, "jcc-analyst", "GET", "/api/border/sectors.geojson")

    assert listing["total"] == 32
    assert listing["items"][0]["id"] == "IQG01Q04-01"
    assert layer.headers["content-type"] == "application/geo+json"
    assert layer.json()["features"][0]["geometry"]["type"] == "LineString"


def test_an_observation_goes_in_and_reaches_its_audience_only(
    engine: Engine, client: TestClient, people: dict[str, Account]
) -> None:
    with writing(engine) as conn:
        console = _admin(conn)
        border.add_rule(conn, console, AlertRule(count=2, hours=1), FROZEN_NOW)
    first = _observe(client, people, "joc-analyst", releasable_to=["krg"], text="two men")
    second = _observe(client, people, "joc-analyst", releasable_to=["krg"], text="a truck")

    assert first.status_code == 201, first.text
    assert first.json()["sector"] == "IQG01Q02-05"
    assert len(second.json()["alerts"]) == 1

    def seen(who: str) -> tuple[int, int]:
        obs = _call(client, people, who, "GET", "/api/border/observations").json()
        alerts = _call(client, people, who, "GET", "/api/border/alerts").json()
        return obs["total"], alerts["total"]

    assert seen("joc-analyst") == (2, 1)  # no partner assigned: the alert is the observer's
    assert seen("krg-analyst") == (2, 0)
    assert seen("jcc-analyst") == (0, 0)
    with reading(engine) as conn:
        assert audit.verify(conn).ok


def _admin(conn: Any) -> Any:
    return acting(conn, None)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"lat": 33.31, "lon": 44.36}, "km from the Syria border line"),  # Baghdad
        ({"kind": "smuggling"}, "kind"),
        ({"releasable_to": ["nobody"]}, "unknown partner"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"tlp": "purple"}, "TLP"),
    ],
)
def test_bad_observations_are_problems(
    client: TestClient, people: dict[str, Account], extra: dict[str, Any], words: str
) -> None:
    answer = _observe(client, people, "joc-analyst", **extra)

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert words in answer.text


def test_a_partner_node_records_nothing(client: TestClient, people: dict[str, Account]) -> None:
    answer = _observe(client, people, "krg-node")
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
