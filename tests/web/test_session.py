"""Logging in to the page, logging out, and the language a user chose, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.api.auth import SESSION_COOKIE
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

PASSWORD = "correct horse battery staple"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        accounts.create_user(conn, "krg-watch", "krg", Role.WATCH, PASSWORD, FROZEN_NOW)
    return found


@pytest.fixture
def client(
    engine: Engine, settings: Settings, locator: AreaLocator, people: dict[str, Account]
) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    app.state.clock = lambda: FROZEN_NOW
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


def log_in(client: TestClient, password: str = PASSWORD) -> None:
    answer = client.post("/api/session", json={"name": "krg-watch", "password": password})
    assert answer.status_code == 200, answer.text


def test_an_anonymous_browser_is_sent_to_the_login_page_and_back(client: TestClient) -> None:
    first = client.get("/reports?q=tuz")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Freports%3Fq%3Dtuz"

    page = client.get(first.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/reports?q=tuz"' in page.text

    form = {"name": "krg-watch", "password": PASSWORD, "next": "/reports?q=tuz"}
    done = client.post("/login", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/reports?q=tuz"
    assert client.get("/reports?q=tuz").status_code == 200


def test_the_session_cookie_cannot_be_read_by_scripts_or_sent_from_other_sites(
    client: TestClient,
) -> None:
    answer = client.post("/api/session", json={"name": "krg-watch", "password": PASSWORD})

    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=tqs_")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Max-Age=43200" in cookie
    assert answer.json() == {
        "user": "krg-watch",
        "partner": "krg",
        "role": "watch",
        "language": None,
    }
    assert client.get("/api/session").json()["user"] == "krg-watch"


@pytest.mark.parametrize(
    ("name", "password"),
    [("krg-watch", "wrong password!"), ("nobody", PASSWORD), ("krg-node", "anything at all")],
)
def test_a_wrong_name_or_password_says_the_same_and_is_audited(
    client: TestClient, engine: Engine, name: str, password: str
) -> None:
    answer = client.post("/api/session", json={"name": name, "password": password})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "wrong user name or password"
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    form = client.post("/login", data={"name": name, "password": password, "next": "/"})
    assert form.status_code == 401
    assert 'data-testid="login-error"' in form.text
    with reading(engine) as conn:
        actions = [e.action for e in audit.entries(conn)]
    assert actions.count("login-failed") == 2


def test_logout_ends_the_session_on_the_node_not_only_in_the_browser(
    client: TestClient, engine: Engine
) -> None:
    log_in(client)
    stolen = client.cookies[SESSION_COOKIE]

    answer = client.post("/logout", headers=ORIGIN)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/api/session").status_code == 401
    assert client.get("/").status_code == 303
    with reading(engine) as conn:
        actions = [e.action for e in audit.entries(conn)]
    assert actions[-2:] == ["login", "logout"]


def test_a_session_ends_after_a_watch(client: TestClient) -> None:
    log_in(client)
    later = FROZEN_NOW + timedelta(hours=accounts.SESSION_HOURS, seconds=1)
    client.app.state.clock = lambda: later  # type: ignore[attr-defined]

    assert client.get("/api/session").status_code == 401


def test_a_change_sent_with_the_cookie_must_come_from_the_nodes_page(
    client: TestClient, people: dict[str, Account]
) -> None:
    log_in(client)
    body = {"title": "Cell near Makhmour", "text": "seen", "tlp": "amber"}

    refused = client.post("/api/reports", json=body)
    assert refused.status_code == 403
    assert "must come from this node's page" in refused.json()["detail"]
    evil = {"Origin": "https://evil.example"}
    assert client.post("/api/reports", json=body, headers=evil).json() == refused.json()
    assert client.put("/api/session/language", json={"language": "ar"}).status_code == 403
    # From the page, the session passes the origin check and meets the role check.
    as_page = client.post("/api/reports", json=body, headers=ORIGIN)
    assert as_page.status_code == 403
    assert as_page.json()["detail"].startswith("a watch may not change reports")
    chosen = client.put("/api/session/language", json={"language": "ar"}, headers=ORIGIN)
    assert chosen.status_code == 204
    token = {"Authorization": f"Bearer {people['joc-analyst'].token}"}
    assert client.post("/api/reports", json=body, headers=token).status_code == 201


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", ""])
def test_login_never_sends_the_browser_to_another_site(client: TestClient, target: str) -> None:
    form = {"name": "krg-watch", "password": PASSWORD, "next": target}

    assert client.post("/login", data=form).headers["location"] == "/"


def test_the_language_a_user_chooses_is_remembered_on_every_page(client: TestClient) -> None:
    log_in(client)
    assert 'lang="en" dir="ltr"' in client.get("/").text

    answer = client.post("/language", data={"language": "ckb", "back": "/reports"}, headers=ORIGIN)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/reports"
    client.cookies.clear()
    log_in(client)
    page = client.get("/reports").text
    assert 'lang="ckb" dir="rtl" data-locale="ckb-IQ"' in page
    assert "ڕاپۆرتەکان" in page
    assert client.get("/api/session").json()["language"] == "ckb"


def test_before_login_the_browser_language_or_the_switch_decides(client: TestClient) -> None:
    arabic = client.get("/login", headers={"Accept-Language": "ar-IQ,ar;q=0.9,en;q=0.5"})
    assert 'lang="ar" dir="rtl"' in arabic.text
    assert "تسجيل الدخول" in arabic.text
    kurdish = client.get("/login", headers={"Accept-Language": "ku"})
    assert 'lang="ckb" dir="rtl"' in kurdish.text

    client.post("/language", data={"language": "en", "back": "/login"}, headers=ORIGIN)

    english = client.get("/login", headers={"Accept-Language": "ar"})
    assert 'lang="en" dir="ltr"' in english.text


def test_an_unknown_language_is_refused(client: TestClient) -> None:
    log_in(client)
    answer = client.put("/api/session/language", json={"language": "fr"}, headers=ORIGIN)
    assert answer.status_code == 400
    form = client.post("/language", data={"language": "fr", "back": "/"}, headers=ORIGIN)
    assert form.status_code == 400
    assert form.json()["detail"].startswith("unknown language 'fr'")


def test_a_name_with_nul_is_a_wrong_login_not_a_server_error(client: TestClient) -> None:
    """Found by schemathesis: PostgreSQL refuses NUL in text, even to compare it."""
    answer = client.post("/api/session", json={"name": "krg\x00watch", "password": PASSWORD})
    assert answer.status_code == 401
    basic = client.get("/api/session", auth=("krg\x00watch", PASSWORD))
    assert basic.status_code == 401
