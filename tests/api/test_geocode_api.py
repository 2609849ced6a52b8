"""GET /api/geocode: the report form's place suggestion, for signed-in callers only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.api.geocode import MAX_QUERY
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _as(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.token}"}


def test_a_signed_in_user_gets_the_place(client: TestClient, people: dict[str, Account]) -> None:
    answer = client.get(
        "/api/geocode",
        params={"q": "انفجار سيارة مفخخة في الموصل"},
        headers=_as(people["krg-analyst"]),
    )

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["adm1_pcode"] == "IQG15"
    assert found["matched_name"] == "Mosul"
    assert found["matched_name_ar"] == "الموصل"
    assert 0.5 <= found["confidence"] <= 1.0


def test_no_place_is_null(client: TestClient, people: dict[str, Account]) -> None:
    answer = client.get(
        "/api/geocode", params={"q": "Iraq violence kills 14"}, headers=_as(people["joc-analyst"])
    )

    assert answer.status_code == 200
    assert answer.json() is None


def test_anonymous_callers_get_401(client: TestClient, people: dict[str, Account]) -> None:
    answer = client.get("/api/geocode", params={"q": "Mosul"})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("q", ["", "   ", "x" * (MAX_QUERY + 1)])
def test_empty_or_too_long_text_is_a_400_problem(
    client: TestClient, people: dict[str, Account], q: str
) -> None:
    answer = client.get("/api/geocode", params={"q": q}, headers=_as(people["joc-analyst"]))

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"].startswith("q:")


def test_missing_q_is_a_400_problem(client: TestClient, people: dict[str, Account]) -> None:
    answer = client.get("/api/geocode", headers=_as(people["joc-analyst"]))

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
