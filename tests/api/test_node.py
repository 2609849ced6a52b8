"""`GET /api/node`: the node's partner and public signing key, without credentials."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing import signing
from tansiq.sharing.keys import load_node_key
from tansiq.store.database import writing
from tansiq.store.partners import add_partner, set_node_partner
from tests.conftest import FROZEN_NOW


def _ask(settings: Settings, engine: Engine, locator: AreaLocator) -> tuple[int, dict[str, str]]:
    app = create_app(settings, engine=engine, locator=locator)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/node")
    return answer.status_code, answer.json()


def test_the_node_says_who_it_is_and_its_key_to_anyone(
    settings: Settings, engine: Engine, locator: AreaLocator
) -> None:
    with writing(engine) as conn:
        add_partner(conn, "krg", "Kurdistan Region Security Council", None, FROZEN_NOW)
        set_node_partner(conn, "krg")
    status, first = _ask(settings, engine, locator)
    assert status == 200
    assert first["partner"] == "krg"
    assert signing.check_public_key(first["public_key"]) == first["public_key"]
    _, again = _ask(settings, engine, locator)  # another app (a restart): the same stored key
    assert again == first
    assert load_node_key(engine).public() == first["public_key"]


def test_a_node_without_a_partner_answers_503(
    settings: Settings, engine: Engine, locator: AreaLocator
) -> None:
    status, body = _ask(settings, engine, locator)
    assert status == 503
    assert "tansiq init --partner" in body["detail"]
