"""Error pages: a browser asking for a page gets a translated HTML page; programs, the API and
TAXII get what they always got (problem+json, TAXII error resources). No page ever shows the
error's own message, a traceback, or anything about an object the viewer may not see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import writing
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

PASSWORD = "a password for the error pages"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ORIGIN = {"Origin": "http://testserver"}
PROBLEM = "application/problem+json"
NO_SUCH_REPORT = "report--00000000-0000-4000-8000-000000000000"


class Boom(RuntimeError):
    pass


@pytest.fixture
def browser(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    setup_node(engine)
    with writing(engine) as conn:
        for name, role in (("joc-officer", Role.WATCH), ("joc-writer", Role.ANALYST)):
            accounts.create_user(conn, name, "joc", role, PASSWORD, FROZEN_NOW)
    app = create_app(settings, engine, locator, background_validation=False)

    @app.get("/boom")
    def boom() -> None:
        raise Boom("secret internals: /srv/tansiq/node.db")

    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def log_in(browser: TestClient, name: str) -> None:
    answer = browser.post("/api/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200


def heading(page: str) -> str:
    return page.split('<h2 id="error-heading">', 1)[1].split("</h2>", 1)[0]


def test_a_page_the_caller_may_not_open_is_a_translated_html_page(browser: TestClient) -> None:
    log_in(browser, "joc-officer")

    answer = browser.get("/admin", headers={**BROWSER, "Accept-Language": "ar"})

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert 'lang="ar" dir="rtl"' in answer.text
    assert heading(answer.text) == "غير مسموح"
    assert 'data-testid="nav-map"' in answer.text  # the menu, to go on from here
    assert "only an administrator" not in answer.text  # the error's own message
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/no-such-page", 404, "Not found"),
        ("GET", "/logout", 405, "Not possible here"),
        ("POST", "/reports", 405, "Not possible here"),
        ("GET", "/incidents?page=0", 400, "Invalid request"),
        ("GET", "/incidents?page=soon", 400, "Invalid request"),
        ("GET", "/reports/new", 403, "Not allowed"),
        ("GET", "/boom", 500, "Something went wrong"),
    ],
)
def test_browsers_get_an_html_page_for_each_error(
    browser: TestClient, method: str, path: str, status: int, title: str
) -> None:
    log_in(browser, "joc-officer")

    answer = browser.request(method, path, headers={**BROWSER, **ORIGIN})

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert heading(answer.text) == title
    assert f'data-status="{status}"' in answer.text
    assert "Traceback" not in answer.text
    assert "secret internals" not in answer.text
    assert "WWW-Authenticate" not in answer.headers  # a browser would pop up a login dialog
    if status == 405:
        assert answer.headers["allow"]


def test_an_anonymous_browser_gets_the_page_with_the_way_to_log_in(browser: TestClient) -> None:
    answer = browser.get("/no-such-page", headers={**BROWSER, "Accept-Language": "ckb"})

    assert answer.status_code == 404
    assert heading(answer.text) == "نەدۆزرایەوە"
    assert 'data-testid="error-login"' in answer.text
    assert 'data-testid="nav-map"' not in answer.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/no-such-thing", 404),
        ("GET", f"/api/objects/{NO_SUCH_REPORT}", 404),
        ("GET", "/api/incidents?from=soon", 400),
        ("DELETE", "/api/health", 405),
        ("GET", "/boom", 500),
        ("GET", "/reports/new", 403),
    ],
)
def test_programs_and_the_api_still_get_problem_json(
    browser: TestClient, method: str, path: str, status: int
) -> None:
    log_in(browser, "joc-officer")
    asks_html = path.startswith("/api/")  # the API answers programs whatever they accept

    answer = browser.request(method, path, headers=BROWSER if asks_html else {})

    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == status
    assert "secret internals" not in answer.text


def test_taxii_keeps_its_own_error_resources(browser: TestClient) -> None:
    answer = browser.get("/taxii2/no-such-root/", headers=BROWSER)

    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/taxii+json")
    assert answer.json()["http_status"] == "401"


def test_a_hidden_report_and_a_missing_one_get_the_same_page(
    browser: TestClient, engine: Engine
) -> None:
    log_in(browser, "joc-writer")
    written = browser.post(
        "/api/reports", json={"title": "JOC only", "releasable_to": []}, headers=ORIGIN
    )
    hidden = written.json()["id"]
    accounts_krg = {"name": "krg-writer", "password": PASSWORD}
    with writing(engine) as conn:
        accounts.create_user(conn, "krg-writer", "krg", Role.ANALYST, PASSWORD, FROZEN_NOW)
    assert browser.post("/api/session", json=accounts_krg).status_code == 200

    pages = {}
    for report in (hidden, NO_SUCH_REPORT):
        withdraw = browser.post(f"/reports/{report}/withdraw", headers={**BROWSER, **ORIGIN})
        page = browser.get(f"/reports/{report}", headers=BROWSER)
        assert withdraw.status_code == page.status_code == 404
        assert 'data-testid="not-found"' in withdraw.text
        pages[report] = (withdraw.text.replace(report, "ID"), page.text.replace(report, "ID"))

    assert pages[hidden] == pages[NO_SUCH_REPORT]
    assert "JOC only" not in str(pages[hidden])
