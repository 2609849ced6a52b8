"""Too many wrong passwords refuse logins for a while: over the API and on the login page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.api.throttle import LoginThrottle, keys
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

PASSWORD = "correct horse battery staple"
WRONG = {"name": "krg-watch", "password": "guess"}
RIGHT = {"name": "krg-watch", "password": PASSWORD}


class Clock:
    def __init__(self) -> None:
        self.now = FROZEN_NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(
    engine: Engine, settings: Settings, locator: AreaLocator, clock: Clock
) -> Iterator[TestClient]:
    setup_node(engine)
    with writing(engine) as conn:
        accounts.create_user(conn, "krg-watch", "krg", Role.WATCH, PASSWORD, FROZEN_NOW)
        accounts.create_user(conn, "krg-duty", "krg", Role.ANALYST, PASSWORD, FROZEN_NOW)
    config = settings.model_copy(update={"login_max_failures_per_address": 8})
    app = create_app(config, engine, locator, background_validation=False)
    app.state.clock = clock
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


def fail(client: TestClient, times: int, name: str = "krg-watch") -> None:
    for _ in range(times):
        answer = client.post("/api/session", json={**WRONG, "name": name})
        assert answer.status_code == 401


def test_five_wrong_passwords_refuse_even_the_right_one_until_the_lockout_ends(
    client: TestClient, clock: Clock, engine: Engine
) -> None:
    fail(client, 5)
    refused = client.post("/api/session", json=RIGHT)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == str(15 * 60)
    assert refused.json()["detail"] == "too many failed logins: try again in 15 min"
    assert "set-cookie" not in refused.headers

    clock.now += timedelta(minutes=14)
    assert client.post("/api/session", json=RIGHT).status_code == 429
    clock.now += timedelta(minutes=1)
    assert client.post("/api/session", json=RIGHT).status_code == 200
    with reading(engine) as conn:
        actions = [e.action for e in audit.entries(conn) if e.subject == "krg-watch"]
    assert actions == ["login-failed"] * 5 + ["login-throttled"] * 2 + ["login"]


def test_failures_spread_over_more_than_the_window_do_not_lock(
    client: TestClient, clock: Clock
) -> None:
    for _ in range(6):
        fail(client, 1)
        clock.now += timedelta(minutes=4)
    assert client.post("/api/session", json=RIGHT).status_code == 200


def test_a_right_password_ends_the_count_of_its_name(client: TestClient) -> None:
    fail(client, 4)
    assert client.post("/api/session", json=RIGHT).status_code == 200
    fail(client, 3)  # 7 from this address, under its limit of 8
    assert client.post("/api/session", json=RIGHT).status_code == 200


def test_one_locked_name_leaves_the_others_alone_until_the_address_limit(
    client: TestClient,
) -> None:
    fail(client, 5)
    other = {"name": "krg-duty", "password": PASSWORD}
    assert client.post("/api/session", json=other).status_code == 200
    fail(client, 3, name="nobody")  # 8 failures from this address: the address limit
    assert client.post("/api/session", json=other).status_code == 429


def test_the_login_page_says_when_to_try_again_in_the_viewers_language(
    client: TestClient,
) -> None:
    fail(client, 5)
    form = {**RIGHT, "next": "/"}
    page = client.post("/login", data=form)
    assert page.status_code == 429
    assert page.headers["retry-after"] == str(15 * 60)
    assert "Too many failed logins. Try again in 15 minutes." in page.text
    assert "set-cookie" not in page.headers
    client.cookies.set("tansiq_lang", "ar")
    arabic = client.post("/login", data=form)
    assert arabic.status_code == 429
    assert "١٥" in arabic.text  # the minutes in Eastern Arabic digits
    assert "Too many failed logins" not in arabic.text


def test_the_throttle_forgets_the_oldest_keys_first() -> None:
    limiter = LoginThrottle(2, 10, timedelta(minutes=15))
    for n in range(10_001):
        limiter.failed(keys(f"user{n}", None), FROZEN_NOW)
        limiter.failed(keys(f"user{n}", None), FROZEN_NOW)
    assert limiter.retry_after(keys("user0", None), FROZEN_NOW) is None
    assert limiter.retry_after(keys("user10000", None), FROZEN_NOW) == timedelta(minutes=15)
