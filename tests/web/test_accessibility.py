"""Usable as people expect, measured in a real browser (Debian's Chromium through Playwright).

- Contrast: every visible text on every main page, in English, Arabic and Kurdish, reaches the
  WCAG 2.1 AA ratio for its size (tests/web/contrast.js computes it in the page), and every
  focus indicator reaches 3:1 against what is around it. The lowest ratios found are written to
  artifacts/contrast-{language}.txt.
- Keyboard: from the top of each main page, Tab reaches every link, button and field in
  document order, each with a visible focus indicator (tests/web/keyboard.js); the first stop is
  a skip link into the main content; the forms can be filled and sent with the keyboard alone.
- The report form's map says it is loading until its borders are drawn.
- Error pages: a browser gets a translated HTML page, the API still problem+json.

One logged-in administrator context serves the module; each test sets the language it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.web.conftest import LIVE_USERS
from tests.web.test_map_browser import (
    SCREENSHOTS,
    MapPage,
    browser,
    log_in,
    new_context,
    watched_page,
)

__all__ = ["browser"]  # the module's Chromium, shared with the map tests' fixture

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
CONTRAST_JS = (HERE / "contrast.js").read_text(encoding="utf-8")
KEYBOARD_JS = (HERE / "keyboard.js").read_text(encoding="utf-8")
ARTIFACTS = SCREENSHOTS.parent
LANGUAGES = ("en", "ar", "ckb")
FOCUS_CONTRAST = 3.0


@pytest.fixture(scope="module")
def admin(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """The module's logged-in administrator, who may open every page. Left in English."""
    context = new_context(browser)
    log_in(context, live_server, LIVE_USERS["admin"])
    yield context
    speak(context, live_server, "en")
    context.close()


@pytest.fixture
def admin_page(admin: BrowserContext, live_server: str) -> Iterator[MapPage]:
    opened = watched_page(admin, live_server)
    yield opened
    opened.page.close()


def speak(context: BrowserContext, live_server: str, code: str) -> None:
    """Make `code` the language of the context's user."""
    chosen = context.request.put(
        f"{live_server}/api/session/language",
        data={"language": code},
        headers={"Origin": live_server},
    )
    assert chosen.ok


MISSING_REPORT = "/reports/report--00000000-0000-4000-8000-000000000000"
ERROR_PAGES = {"/incidents?from=not-a-date", MISSING_REPORT}


def main_pages(report_id: str) -> list[str]:
    """Every page a person works with, including a filter that matches nothing, a filter that
    is refused, a report and a page that does not exist."""
    return [
        "/",
        "/incidents",
        "/incidents?from=1900-01-01&to=1900-01-31",
        "/incidents?from=not-a-date",
        "/incidents/1",
        "/reports",
        "/reports/new",
        "/reports/inbox",
        f"/reports/{report_id}",
        "/admin",
        "/admin/partners",
        "/admin/users",
        "/admin/peers",
        "/admin/audit?verify=true",
        MISSING_REPORT,
    ]


def open_page(opened: MapPage, path: str) -> None:
    """Go to `path` and wait until what its scripts load is shown."""
    opened.page.goto(opened.base_url + path)
    if path == "/":
        opened.page.wait_for_selector('#map[data-layers="ready"]')
        opened.wait_for_incidents()
    if path == "/reports/new":
        opened.page.locator('[data-testid="place-map-loading"]').wait_for(state="hidden")


# ---- contrast ---------------------------------------------------------------------------------


def contrast_failures(path: str, findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{path}: {f['element']} {f['text']!r}: {f['colour']} on {f['background']} is "
        f"{f['ratio']:.2f}:1, needs {f['needed']}:1"
        for f in findings
        if f["ratio"] < f["needed"]
    ]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_text_on_every_main_page_has_enough_contrast(
    browser: Browser, admin: BrowserContext, live_server: str, live_report: str, code: str
) -> None:
    speak(admin, live_server, code)
    opened = watched_page(admin, live_server)
    anonymous = new_context(browser)
    anonymous.add_cookies([{"name": "tansiq_lang", "value": code, "url": live_server}])
    login = watched_page(anonymous, live_server)
    measured: list[tuple[float, str, dict[str, Any]]] = []
    failures: list[str] = []
    try:
        for who, path in [(opened, p) for p in main_pages(live_report)] + [(login, "/login")]:
            open_page(who, path)
            assert who.page.evaluate("document.documentElement.lang") == code
            findings: list[dict[str, Any]] = who.page.evaluate(CONTRAST_JS)
            assert len(findings) > 3, f"{path}: no text found to measure"
            failures += contrast_failures(path, findings)
            if path in ERROR_PAGES:  # Chromium reports the page's own 4xx as a console error
                who.console_errors[:] = [e for e in who.console_errors if "status of 4" not in e]
            measured += [(f["ratio"] / f["needed"], path, f) for f in findings]
        opened.assert_clean()
        login.assert_clean()
    finally:
        opened.page.close()
        anonymous.close()
    write_lowest(code, measured)
    assert failures == []


def write_lowest(code: str, measured: list[tuple[float, str, dict[str, Any]]]) -> None:
    """The ten kinds of text closest to their threshold, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lines: dict[tuple[str, str, str], str] = {}
    for _, path, f in sorted(measured, key=lambda m: m[0]):
        key = (f["colour"], f["background"], f["element"].split(" > ")[-1])
        lines.setdefault(
            key,
            f"{f['ratio']:.2f}:1 (needs {f['needed']}) {f['colour']} on {f['background']} "
            f"{path} {f['element']} {f['text']!r}",
        )
    lowest = list(lines.values())[:10]
    (ARTIFACTS / f"contrast-{code}.txt").write_text("\n".join(lowest) + "\n", encoding="utf-8")


# ---- keyboard ---------------------------------------------------------------------------------


def tab_through(page: Page, stop_at: str = "") -> list[dict[str, Any]]:
    """Press Tab from the top of the page until the last control (or the element with the test
    id `stop_at`); each control reached once, with its focus indicator measured."""
    count: int = page.evaluate(KEYBOARD_JS, "mark")
    reached: list[dict[str, Any]] = []
    for _ in range(count * 3 + 5):  # a date field takes three presses
        page.keyboard.press("Tab")
        focused: dict[str, Any] = page.evaluate(KEYBOARD_JS, "focused")
        if reached and reached[-1]["stop"] == focused["stop"]:
            continue
        focused["ring"] = page.evaluate(CONTRAST_JS, page.evaluate_handle("document.activeElement"))
        reached.append(focused)
        if focused["stop"] == count - 1 or (stop_at and focused["testid"] == stop_at):
            break
    return reached


def assert_skip_link_leads_to_main(page: Page) -> None:
    page.evaluate(KEYBOARD_JS, "mark")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#main", "the first Tab stop is the skip link"
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0, "the skip link shows when it has the focus"
    page.keyboard.press("Enter")
    if not page.evaluate("document.activeElement.id === 'main'"):
        page.keyboard.press("Tab")  # the map's <main> takes no focus itself: its first control
    assert page.evaluate("document.querySelector('#main').contains(document.activeElement)")


def assert_keyboard_walk(page: Page, path: str, stop_at: str = "") -> None:
    assert_skip_link_leads_to_main(page)
    reached = tab_through(page, stop_at)
    count = page.evaluate("document.querySelectorAll('[data-tab-stop]').length")
    stops = [r["stop"] for r in reached]
    last = stops[-1] if stop_at else count - 1
    assert stops == list(range(last + 1)), (
        f"{path}: Tab does not reach every control in document order: "
        + ", ".join(f"{r['stop']}={r['element']}" for r in reached)
    )
    assert reached[0]["positiveTabindex"] == 0, f"{path}: a positive tabindex reorders the page"
    unmarked = [r["element"] for r in reached if not r["ringChanged"]]
    assert unmarked == [], f"{path}: no visible focus indicator on {unmarked}"
    faint = [
        f"{r['element']}: {r['ring']['ratio']:.2f}:1 ({r['ring']['parts']} on "
        f"{r['ring']['background']})"
        for r in reached
        if r["ring"]["ratio"] < FOCUS_CONTRAST
    ]
    assert faint == [], f"{path}: focus indicators under {FOCUS_CONTRAST}:1: {faint}"


KEYBOARD_PAGES = [
    ("en", "/", "map"),  # the map's own controls and markers: tests/web/test_map_browser.py
    ("en", "/incidents", ""),
    ("en", "/incidents/1", ""),
    ("en", "/reports", ""),
    ("en", "/reports/new", ""),
    ("en", "/reports/inbox", ""),
    ("en", "/reports/{report}", ""),
    ("en", "/admin", ""),
    ("en", "/admin/partners", ""),
    ("en", "/admin/users", ""),
    ("en", "/admin/peers", ""),
    ("en", "/admin/audit", ""),
    ("en", "/no-such-page", ""),
    ("ar", "/reports/new", ""),
]


@pytest.mark.parametrize(("code", "path", "stop_at"), KEYBOARD_PAGES)
def test_tab_reaches_every_control_in_order_with_a_visible_focus(
    admin: BrowserContext,
    admin_page: MapPage,
    live_server: str,
    live_report: str,
    code: str,
    path: str,
    stop_at: str,
) -> None:
    speak(admin, live_server, code)
    path = path.format(report=live_report)
    open_page(admin_page, path)
    assert admin_page.page.evaluate("document.documentElement.lang") == code

    assert_keyboard_walk(admin_page.page, path, stop_at)
    if path != "/no-such-page":
        admin_page.assert_clean()


def test_the_login_page_works_with_the_keyboard_alone(browser: Browser, live_server: str) -> None:
    context = new_context(browser)
    opened = watched_page(context, live_server)
    page = opened.page
    try:
        page.goto(f"{live_server}/login")
        assert_keyboard_walk(page, "/login")
        page.reload()
        assert_skip_link_leads_to_main(page)
        tab_to(page, "login-name")
        page.keyboard.type("admin")
        page.keyboard.press("Tab")
        page.keyboard.type(LIVE_USERS["admin"].password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector('#map[data-layers="ready"]')
        assert page.locator('[data-testid="who"]').inner_text().startswith("admin")
        opened.assert_clean()
    finally:
        context.close()


def tab_to(page: Page, testid: str, presses: int = 60) -> None:
    """Press Tab until the element with `testid` has the focus."""
    for _ in range(presses):
        if page.evaluate("document.activeElement.dataset.testid || ''") == testid:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {testid}")


def api(live_server: str, path: str) -> Any:
    token = {"Authorization": f"Bearer {LIVE_USERS['admin'].token}"}
    answer = httpx.get(live_server + path, headers=token, trust_env=False, timeout=30)
    answer.raise_for_status()
    return answer.json()


def test_a_report_is_written_and_shared_with_the_keyboard_alone(
    admin: BrowserContext, admin_page: MapPage, live_server: str
) -> None:
    speak(admin, live_server, "en")
    page = admin_page.page
    open_page(admin_page, "/reports/new")

    tab_to(page, "report-title")
    page.keyboard.type("Checkpoint moved at Kalak")
    page.keyboard.press("Tab")
    page.keyboard.type("Seen from the road at noon.")
    tab_to(page, "report-lang")
    page.keyboard.type("English")  # a closed list picks the option typed
    tab_to(page, "report-reliability")
    page.keyboard.type("C")
    tab_to(page, "report-credibility")
    page.keyboard.type("3")
    tab_to(page, "report-tlp")
    page.keyboard.type("TLP:G")
    tab_to(page, "release-krg")
    page.keyboard.press("Space")
    tab_to(page, "report-lat")
    page.keyboard.type("36.2667")
    page.keyboard.press("Tab")
    page.keyboard.type("43.6333")
    tab_to(page, "report-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    report_id = page.locator('[data-testid="report"]').get_attribute("data-id")
    stored = api(live_server, f"/api/objects/{report_id}")
    assert stored["title"] == "Checkpoint moved at Kalak"
    assert (stored["tlp"], stored["grade"], stored["releasable_to"]) == ("green", "C3", ["krg"])
    assert len(stored["places"]) == 1
    admin_page.assert_clean()


def test_the_admin_forms_work_with_the_keyboard_alone(
    admin: BrowserContext, admin_page: MapPage, live_server: str
) -> None:
    speak(admin, live_server, "en")
    page = admin_page.page
    open_page(admin_page, "/admin/partners")
    tab_to(page, "partner-code")
    page.keyboard.type("kbd-partner")
    page.keyboard.press("Tab")
    page.keyboard.type("Keyboard Partner")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator('tr[data-code="kbd-partner"]').is_visible()

    open_page(admin_page, "/admin/users")
    tab_to(page, "user-name")
    page.keyboard.type("kbd-user")
    tab_to(page, "user-partner")
    page.keyboard.type("Keyboard")
    tab_to(page, "user-role")
    page.keyboard.type("watch")
    tab_to(page, "user-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator('[data-testid="new-token"]').input_value().startswith("tq_")
    admin_page.assert_clean()


def test_the_incident_filters_work_with_the_keyboard_alone(
    admin: BrowserContext, admin_page: MapPage, live_server: str
) -> None:
    speak(admin, live_server, "en")
    page = admin_page.page
    open_page(admin_page, "/incidents")
    tab_to(page, "filter-from")
    # The fields' order of day and month is the browser's: dates that read the same either way.
    page.keyboard.type("01012014")
    tab_to(page, "filter-to")
    page.keyboard.type("12122016")
    tab_to(page, "filter-disputed")
    page.keyboard.press("Space")
    tab_to(page, "filter-apply")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "from=2014-01-01" in page.url
    assert "to=2016-12-12" in page.url
    assert "disputed=true" in page.url
    shown = int(page.locator('[data-testid="incident-total"]').get_attribute("data-total") or "")
    token = {"Authorization": f"Bearer {LIVE_USERS['admin'].token}"}
    expected = httpx.get(
        f"{live_server}/api/incidents.geojson",
        params={"from": "2014-01-01", "to": "2016-12-12", "disputed": "true"},
        headers=token,
        trust_env=False,
        timeout=30,
    ).json()["total"]
    assert shown == expected > 0
    admin_page.assert_clean()


# ---- loading indicators -----------------------------------------------------------------------


def test_the_report_forms_map_says_it_is_loading_until_its_borders_are_drawn(
    admin: BrowserContext, admin_page: MapPage, live_server: str
) -> None:
    speak(admin, live_server, "en")
    page = admin_page.page
    held: list[Route] = []
    page.route("**/api/layers/adm1", lambda route: held.append(route))
    page.goto(f"{live_server}/reports/new")
    loading = page.locator('[data-testid="place-map-loading"]')
    spot = page.locator('[data-testid="place-map"]')

    page.wait_for_function("() => document.querySelector('#place-map path') !== null")
    assert loading.is_visible()
    assert loading.inner_text().strip() == "Loading the map…"
    assert spot.get_attribute("aria-busy") == "true"
    for _ in range(100):  # the route is handed over while Playwright processes events
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()

    loading.wait_for(state="hidden")
    assert spot.get_attribute("aria-busy") == "false"
    assert page.locator('[data-testid="place-map-error"]').is_hidden()
    admin_page.assert_clean()


def test_the_report_forms_map_says_when_its_borders_cannot_be_loaded(
    admin: BrowserContext, admin_page: MapPage, live_server: str
) -> None:
    speak(admin, live_server, "en")
    page = admin_page.page
    page.route("**/api/layers/disputed", lambda route: route.fulfill(status=503, body=""))
    page.goto(f"{live_server}/reports/new")

    failed = page.locator('[data-testid="place-map-error"]')
    failed.wait_for()
    assert page.locator('[data-testid="place-map-loading"]').is_hidden()
    assert "type the coordinates" in failed.inner_text()


# ---- error pages ------------------------------------------------------------------------------


def test_a_browser_gets_an_html_page_for_a_page_it_may_not_open(
    browser: Browser, live_server: str
) -> None:
    context = new_context(browser)
    log_in(context, live_server, LIVE_USERS["watch"])
    opened = watched_page(context, live_server)
    page = opened.page
    try:
        answer = page.goto(f"{live_server}/admin")
        assert answer is not None
        assert answer.status == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert page.locator('[data-testid="error-page"]').get_attribute("data-status") == "403"
        assert page.locator("h2").inner_text() == "Not allowed"
        assert page.locator('[data-testid="nav-map"]').is_visible()  # the way back
        assert "only an administrator" not in page.content()  # the error's own message
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "error-403.png")

        api_answer = context.request.get(f"{live_server}/api/nothing")
        assert api_answer.headers["content-type"] == "application/problem+json"
    finally:
        context.close()
