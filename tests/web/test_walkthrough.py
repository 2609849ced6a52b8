"""A watch-floor session in a real browser, from login to logout, in all three languages.

Debian's Chromium through Playwright against a live `tansiq serve`: log in with the form, see the
map count what the API counts, filter by district and dates, write an AMBER report releasable
to krg, switch to Arabic and to Kurdish (right to left, translated), log out. Every main page
is saved as a screenshot in each language (artifacts/screenshots/walk-*.png).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.web.conftest import LIVE_USERS
from tests.web.test_map_browser import (
    SCREENSHOTS,
    VIEWPORT,
    MapPage,
    browser,
    log_in,
    new_context,
    watched_page,
)

__all__ = ["browser"]  # the module's Chromium, shared with the map tests' fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAV_MAP = {"en": "Map", "ar": "الخريطة", "ckb": "نەخشە"}
REPORTS = {"en": "Reports", "ar": "التقارير", "ckb": "ڕاپۆرتەکان"}


@pytest.fixture
def session(browser: Browser, live_server: str) -> Iterator[MapPage]:
    context = new_context(browser)
    yield watched_page(context, live_server)
    context.close()


def api(live_server: str, path: str, **params: Any) -> Any:
    token = {"Authorization": f"Bearer {LIVE_USERS['analyst'].token}"}
    answer = httpx.get(live_server + path, params=params, headers=token, trust_env=False)
    answer.raise_for_status()
    return answer.json()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"walk-{name}.png")


def choose_language(page: Page, code: str) -> None:
    page.select_option('[data-testid="language-select"]', code)
    with page.expect_navigation():
        page.click('[data-testid="language-apply"]')
    assert page.evaluate("document.documentElement.lang") == code


def assert_direction(page: Page, code: str) -> None:
    direction = "ltr" if code == "en" else "rtl"
    assert page.evaluate("document.documentElement.dir") == direction
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert page.locator('[data-testid="nav-map"]').inner_text() == NAV_MAP[code]
    assert page.locator('[data-testid="nav-reports"]').inner_text() == REPORTS[code]
    # The menu reads in the page's direction: "Map" before "Reports".
    first = page.locator('[data-testid="nav-map"]').bounding_box()
    second = page.locator('[data-testid="nav-reports"]').bounding_box()
    assert first is not None
    assert second is not None
    assert (first["x"] < second["x"]) == (code == "en")


def test_a_watch_floor_session_in_three_languages(session: MapPage, live_server: str) -> None:
    page = session.page

    # Log in through the form; the map is where the login page sends us back to.
    page.goto(f"{live_server}/")
    assert "/login?next=" in page.url
    shoot(page, "en-login")
    page.fill('[data-testid="login-name"]', "analyst")
    page.fill('[data-testid="login-password"]', LIVE_USERS["analyst"].password)
    with page.expect_navigation():
        page.click('[data-testid="login-submit"]')
    page.wait_for_selector('#map[data-layers="ready"]')
    session.wait_for_incidents()
    assert session.shown_total() == api(live_server, "/api/incidents.geojson")["total"]

    # Filter by district and dates: the page counts what the API counts for the same filter.
    features = api(live_server, "/api/incidents.geojson")["features"]
    district, _ = Counter(f["properties"]["adm2_pcode"] for f in features).most_common(1)[0]
    select = page.locator('[data-testid="filter-area"]')
    select.locator(f'option[value="{district}"]').wait_for(state="attached")
    select.select_option(district)
    page.fill('[data-testid="filter-from"]', "2014-01-01")
    page.fill('[data-testid="filter-to"]', "2016-12-31")
    expected = api(
        live_server,
        "/api/incidents.geojson",
        area=district,
        **{"from": "2014-01-01"},
        to="2016-12-31",
    )["total"]
    session.wait_for_total(expected)
    assert 0 < expected < len(features)
    page.wait_for_timeout(400)
    shoot(page, "en-map")

    # Write an AMBER report releasable to krg, placed by clicking the form's map.
    page.click('[data-testid="nav-reports"]')
    page.click('[data-testid="new-report"]')
    page.fill('[data-testid="report-title"]', "خلية تتحرك قرب مخمور")
    page.fill('[data-testid="report-text"]', "Two vehicles without plates seen at dusk.")
    page.select_option('[data-testid="report-lang"]', "ar")
    page.select_option('[data-testid="report-reliability"]', "B")
    page.select_option('[data-testid="report-credibility"]', "2")
    page.select_option('[data-testid="report-tlp"]', "amber")
    page.check('[data-testid="release-krg"]')
    page.wait_for_function("document.querySelectorAll('#place-map path').length > 0")
    page.locator('[data-testid="place-map"]').click()
    assert page.input_value('[data-testid="report-lat"]') != ""
    shoot(page, "en-report-form")
    with page.expect_navigation():
        page.click('[data-testid="report-submit"]')
    assert "/reports/report--" in page.url, page.content()[:600]
    assert page.locator('[data-testid="report-marking"]').inner_text() == "TLP:AMBER"
    assert page.locator('[data-testid="report-releasable"]').inner_text() == "krg"
    report_id = page.locator('[data-testid="report"]').get_attribute("data-id")
    stored = api(live_server, f"/api/objects/{report_id}")
    assert (stored["tlp"], stored["releasable_to"], stored["grade"]) == ("amber", ["krg"], "B2")
    assert len(stored["places"]) == 1
    shoot(page, "en-report")
    page.click('[data-testid="nav-reports"]')
    shoot(page, "en-reports")

    # Arabic, then Kurdish: every main page right to left and translated.
    for code in ("ar", "ckb"):
        choose_language(page, code)
        assert_direction(page, code)
        shoot(page, f"{code}-reports")
        page.goto(f"{live_server}/reports/{report_id}")
        assert_direction(page, code)
        shoot(page, f"{code}-report")
        page.goto(f"{live_server}/reports/new")
        assert_direction(page, code)
        shoot(page, f"{code}-report-form")
        page.goto(f"{live_server}/")
        page.wait_for_selector('#map[data-layers="ready"]')
        session.wait_for_incidents()
        assert_direction(page, code)
        panel, world = page.locator(".panel").bounding_box(), page.locator("#map").bounding_box()
        assert panel is not None
        assert world is not None
        assert panel["x"] > world["x"]  # the filters are on the right, where a reader starts
        assert page.locator(".leaflet-control-zoom").bounding_box()["x"] > world["x"] + 300  # type: ignore[index]
        assert session.shown_total() == api(live_server, "/api/incidents.geojson")["total"]
        shown = page.locator('[data-testid="incident-total"]').inner_text()
        assert set(shown) <= set("٠١٢٣٤٥٦٧٨٩٬"), shown  # Eastern Arabic digits, as the server's
        shoot(page, f"{code}-map")

    # Log out: the session ends, the map asks for a login again (in the chosen language).
    with page.expect_navigation():
        page.click('[data-testid="logout"]')
    assert page.url.endswith("/login")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    shoot(page, "ckb-login")
    page.goto(f"{live_server}/")
    assert "/login?next=" in page.url
    choose_language(page, "ar")
    shoot(page, "ar-login")
    session.assert_clean()


TABLET: ViewportSize = {"width": 768, "height": 1024}


def assert_fits(page: Page, path: str, viewport: ViewportSize) -> None:
    """Nothing scrolls sideways, and the menu is on the screen."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    if page.locator(".nav").count() == 0:  # the login page has no menu
        return
    for link in page.locator(".nav a").all():
        box = link.bounding_box()
        assert box is not None, f"{path}: the menu is hidden"
        right = box["x"] + box["width"]
        assert box["x"] >= 0, f"{path}: menu off screen: {box}"
        assert right <= viewport["width"], f"{path}: menu off screen: {box}"
        assert 0 <= box["y"] < viewport["height"], f"{path}: menu off screen: {box}"


def check_login_page(browser: Browser, live_server: str, code: str, viewport: ViewportSize) -> None:
    """The login page (no session) in `code`, on a screen of `viewport`."""
    context = new_context(browser, viewport)
    context.add_cookies([{"name": "tansiq_lang", "value": code, "url": live_server}])
    opened = watched_page(context, live_server)
    try:
        opened.page.goto(f"{live_server}/login")
        assert opened.page.evaluate("document.documentElement.lang") == code
        assert_fits(opened.page, "/login", viewport)
        opened.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("code", ["en", "ar", "ckb"])
def test_every_main_page_fits_a_tablet_without_sideways_scrolling(
    browser: Browser, live_server: str, live_report: str, code: str
) -> None:
    context = new_context(browser, TABLET)
    log_in(context, live_server, LIVE_USERS["analyst"])
    chosen = context.request.put(
        f"{live_server}/api/session/language",
        data={"language": code},
        headers={"Origin": live_server},
    )
    assert chosen.ok
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for path in ("/", "/reports", "/reports/new", f"/reports/{live_report}"):
            page.goto(live_server + path)
            if path == "/":
                page.wait_for_selector('#map[data-layers="ready"]')
            assert page.evaluate("document.documentElement.lang") == code
            assert_fits(page, path, TABLET)
            name = path.strip("/").replace("/", "-") or "map"
            if name.startswith("reports-report--"):
                name = "report"
            shoot(page, f"tablet-{code}-{name}")
        assert errors == []
    finally:
        context.close()
    check_login_page(browser, live_server, code, TABLET)


MAIN_PAGES = (
    "/",
    "/incidents",
    "/incidents/1",
    "/reports",
    "/reports/inbox",
    "/reports/new",
    "/admin",
    "/admin/partners",
    "/admin/users",
    "/admin/peers",
    "/admin/audit?verify=true",
)


@pytest.mark.parametrize("code", ["en", "ar", "ckb"])
def test_every_main_page_in_each_language(
    browser: Browser, live_server: str, live_report: str, code: str
) -> None:
    """Screenshots for a person to look at, and what a machine can check: the language, the
    direction, no console error, no request to another host, nothing scrolling sideways at
    1366x768 and the menu on the screen."""
    context = new_context(browser)
    log_in(context, live_server, LIVE_USERS["admin"])
    language = {"language": code}
    origin = {"Origin": live_server}
    assert context.request.put(
        f"{live_server}/api/session/language", data=language, headers=origin
    ).ok
    opened = watched_page(context, live_server)
    page = opened.page
    try:
        for path in (*MAIN_PAGES, f"/reports/{live_report}"):
            answer = page.goto(live_server + path)
            assert answer is not None
            assert answer.status == 200, path
            if path == "/":
                page.wait_for_selector('#map[data-layers="ready"]')
                opened.wait_for_incidents()
            assert page.evaluate("document.documentElement.lang") == code
            direction = "ltr" if code == "en" else "rtl"
            assert page.evaluate("document.documentElement.dir") == direction
            assert_fits(page, path, VIEWPORT)
            name = path.split("?")[0].strip("/").replace("/", "-") or "map"
            if name.startswith("reports-report--"):
                name = "report"
            shoot(page, f"page-{code}-{name}")
        opened.assert_clean()
    finally:
        context.close()
    check_login_page(browser, live_server, code, VIEWPORT)
