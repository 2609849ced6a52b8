"""The report pages: write a report in the form, read it with its history, withdraw it."""

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
from tests.nodes import Account, setup_node

PASSWORD = "a password for the report pages"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        for name, partner, role in (
            ("joc-writer", "joc", Role.ANALYST),
            ("krg-reader", "krg", Role.ANALYST),
            ("jcc-reader", "jcc", Role.WATCH),
        ):
            accounts.create_user(conn, name, partner, role, PASSWORD, FROZEN_NOW)
    return found


@pytest.fixture
def browser(
    engine: Engine, settings: Settings, locator: AreaLocator, people: dict[str, Account]
) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def log_in(browser: TestClient, name: str) -> None:
    browser.cookies.clear()
    answer = browser.post("/api/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200


FORM = {
    "title": "خلية تتحرك قرب مخمور",
    "text": "Two vehicles without plates.",
    "lang": "ar",
    "reliability": "B",
    "credibility": "2",
    "tlp": "amber",
    "releasable_to": "krg",
    "place": "Makhmour",
    "lat": "35.776",
    "lon": "43.578",
}


def write(browser: TestClient, form: dict[str, str]) -> str:
    answer = browser.post("/reports/new", data=form, headers=ORIGIN)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/reports/report--")
    return location.removeprefix("/reports/")


def test_a_report_written_in_the_form_reaches_exactly_its_audience(browser: TestClient) -> None:
    log_in(browser, "joc-writer")
    assert 'data-testid="report-form"' in browser.get("/reports/new").text

    report = write(browser, FORM)

    page = browser.get(f"/reports/{report}").text
    assert "خلية تتحرك قرب مخمور" in page
    assert "TLP:AMBER" in page
    assert "B2" in page
    assert "35.7760, 43.5780" in page
    api = browser.get(f"/api/objects/{report}").json()
    assert (api["tlp"], api["releasable_to"], api["lang"]) == ("amber", ["krg"], "ar")
    log_in(browser, "krg-reader")
    assert browser.get(f"/reports/{report}").status_code == 200
    log_in(browser, "jcc-reader")
    hidden = browser.get(f"/reports/{report}")
    assert hidden.status_code == 404
    assert "خلية" not in hidden.text


def test_a_bad_form_is_shown_again_with_what_was_typed_and_nothing_is_stored(
    browser: TestClient,
) -> None:
    log_in(browser, "joc-writer")

    answer = browser.post("/reports/new", data={**FORM, "lat": "95"}, headers=ORIGIN)

    assert answer.status_code == 400
    assert 'data-testid="form-error"' in answer.text
    assert "lat: Input should be less than or equal to 90" in answer.text
    assert "خلية تتحرك قرب مخمور" in answer.text
    assert browser.get("/api/reports").json()["total"] == 0


def test_watch_officers_read_but_do_not_write(browser: TestClient) -> None:
    log_in(browser, "jcc-reader")
    assert browser.get("/reports/new").status_code == 403
    assert browser.post("/reports/new", data=FORM, headers=ORIGIN).status_code == 403
    assert 'data-testid="new-report"' not in browser.get("/reports").text


def test_the_form_must_come_from_the_nodes_page(browser: TestClient) -> None:
    log_in(browser, "joc-writer")
    assert browser.post("/reports/new", data=FORM).status_code == 403
    assert browser.get("/api/reports").json()["total"] == 0


def test_history_shows_each_version_and_the_owner_can_withdraw(browser: TestClient) -> None:
    log_in(browser, "joc-writer")
    report = write(browser, FORM)
    edited = browser.patch(
        f"/api/reports/{report}", json={"title": "خلية في مخمور"}, headers=ORIGIN
    )
    assert edited.status_code == 204

    page = browser.get(f"/reports/{report}").text
    assert page.count("<li>") == 2
    assert page.index("خلية في مخمور") < page.index("خلية تتحرك قرب مخمور")

    log_in(browser, "krg-reader")
    assert 'data-testid="withdraw"' not in browser.get(f"/reports/{report}").text
    log_in(browser, "joc-writer")
    done = browser.post(f"/reports/{report}/withdraw", headers=ORIGIN)
    assert done.status_code == 303
    assert browser.get(f"/reports/{report}").status_code == 404
    assert browser.get("/api/reports").json()["total"] == 0


def test_the_inbox_shows_partners_reports_new_since_the_last_visit(browser: TestClient) -> None:
    log_in(browser, "joc-writer")
    first = write(browser, {**FORM, "title": "First from JOC"})
    second = write(browser, {**FORM, "title": "Second from JOC"})
    write(browser, {**FORM, "title": "JOC only", "releasable_to": ""})
    log_in(browser, "krg-reader")
    own = browser.post(
        "/api/reports", json={"title": "KRG's own", "releasable_to": ["joc"]}, headers=ORIGIN
    )
    assert own.status_code == 201

    page = browser.get("/reports/inbox").text

    assert page.index(first) < page.index(second)
    assert "JOC only" not in page
    assert "KRG&#39;s own" not in page
    assert "KRG's own" not in page
    again = browser.get("/reports/inbox").text
    assert 'data-testid="empty-state"' in again
    log_in(browser, "joc-writer")
    third = write(browser, {**FORM, "title": "Third from JOC"})
    log_in(browser, "krg-reader")
    latest = browser.get("/reports/inbox").text
    assert third in latest
    assert first not in latest
    log_in(browser, "jcc-reader")
    assert 'data-testid="empty-state"' in browser.get("/reports/inbox").text
