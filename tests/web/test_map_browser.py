"""The map page in a real browser (Debian's Chromium through Playwright), against a live server.

Each test opens the page in a fresh browser context, records every console error and every
request to a host other than the loopback, and saves 1366x768 screenshots to
artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Position,
    Request,
    Route,
    ViewportSize,
    sync_playwright,
)

from tests.web.conftest import LIVE_USERS, LiveUser

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

COUNT = '[data-testid="incident-count"]'
TOTAL = '[data-testid="incident-total"]'
LOADING = '[data-testid="loading"]'


@dataclass
class MapPage:
    """An open map page and what it did that a test may complain about."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.hostname not in LOOPBACK:
            self.outside_requests.append(request.url)

    def on_dialog(self, dialog: Dialog) -> None:
        """The page must never alert(); record it as an error and close it."""
        self.console_errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.base_url}/{query}")
        self.page.wait_for_selector('#map[data-layers="ready"]')
        self.wait_for_incidents()

    def wait_for_incidents(self) -> None:
        """Wait until the incident request has finished and the counter shows its result."""
        self.page.wait_for_selector(TOTAL)
        self.page.wait_for_selector(f'{COUNT}[aria-busy="false"]')
        self.page.locator(LOADING).wait_for(state="hidden")

    def shown_total(self) -> int:
        """The count the page shows (its digits are the page language's: read the value)."""
        return int(self.page.locator(TOTAL).get_attribute("data-value") or "")

    def wait_for_total(self, total: int) -> None:
        self.page.wait_for_function(
            """([selector, total]) => {
                const element = document.querySelector(selector);
                const count = document.querySelector('[data-testid="incident-count"]');
                return element && count.getAttribute('aria-busy') === 'false'
                    && element.dataset.value === String(total);
            }""",
            arg=[TOTAL, total],
        )

    def screenshot(self, name: str) -> None:
        # Let a popup finish fading in.
        self.page.wait_for_function(
            """() => [...document.querySelectorAll('.leaflet-popup')]
                .every((p) => getComputedStyle(p).opacity === '1')"""
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png")

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.outside_requests == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # scripts/test installs Chromium and sets this: there, a missing browser is a failure.
        if os.environ.get("TANSIQ_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium, or run scripts/test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser: Browser, viewport: ViewportSize = VIEWPORT) -> BrowserContext:
    """A fresh browser profile as a watch officer in Baghdad has it."""
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Asia/Baghdad")
    context.set_default_timeout(15_000)
    return context


def log_in(context: BrowserContext, base_url: str, user: LiveUser) -> None:
    """Start a session in `context` (its pages share the cookie) without the login form."""
    login = {"name": user.name, "password": user.password}
    assert context.request.post(f"{base_url}/api/session", data=login).ok


def watched_page(context: BrowserContext, base_url: str) -> MapPage:
    """A new page whose console errors, dialogs and requests to other hosts are recorded."""
    page = context.new_page()
    opened = MapPage(page, base_url)
    page.on("console", opened.on_console)
    page.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    page.on("request", opened.on_request)
    page.on("dialog", opened.on_dialog)
    return opened


@pytest.fixture
def map_page(browser: Browser, live_server: str) -> Iterator[MapPage]:
    context = new_context(browser)
    log_in(context, live_server, LIVE_USERS["watch"])
    yield watched_page(context, live_server)
    context.close()


@pytest.fixture
def api(live_server: str) -> Iterator[httpx.Client]:
    token = {"Authorization": f"Bearer {LIVE_USERS['watch'].token}"}
    with httpx.Client(base_url=live_server, trust_env=False, timeout=30, headers=token) as client:
        yield client


def incidents(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/api/incidents.geojson", params=params)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_map_loads_cleanly_and_counts_what_the_api_counts(
    map_page: MapPage, api: httpx.Client
) -> None:
    expected = incidents(api)["total"]

    map_page.open()

    assert map_page.shown_total() == expected
    assert map_page.page.locator(".leaflet-pane svg path").count() > 100
    assert map_page.page.locator(".leaflet-marker-icon").count() > 0
    attribution = map_page.page.locator(".leaflet-control-attribution").inner_text()
    for credit in (
        "COD-AB © Iraq CSO/OCHA (CC BY 3.0 IGO)",
        "UCDP GED (CC BY 4.0)",
        "Natural Earth",
    ):
        assert credit in attribution
    map_page.page.wait_for_selector('[data-testid="node-status"].is-online')
    map_page.screenshot("01-overview")
    map_page.assert_clean()


def test_choosing_a_district_shows_the_api_count_for_it(
    map_page: MapPage, api: httpx.Client
) -> None:
    everything = incidents(api)["features"]
    district, _ = Counter(f["properties"]["adm2_pcode"] for f in everything).most_common(1)[0]
    expected = incidents(api, area=district)["total"]
    map_page.open()
    select = map_page.page.locator('[data-testid="filter-area"]')
    select.locator(f'option[value="{district}"]').wait_for(state="attached")

    select.select_option(district)

    map_page.wait_for_total(expected)
    assert expected < len(everything)
    assert f"area={district}" in map_page.page.url
    map_page.page.wait_for_timeout(400)  # let the zoom to the district finish
    map_page.screenshot("02-district-filter")
    map_page.assert_clean()


def test_sub_districts_appear_only_when_zoomed_in_to_9(map_page: MapPage) -> None:
    map_page.open()
    page = map_page.page
    subdistrict_paths = page.locator(".leaflet-adm3-pane path")
    assert zoom_level(page) < 9
    assert subdistrict_paths.count() == 0

    while zoom_level(page) < 9:
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(350)  # the zoom animation

    subdistrict_paths.first.wait_for(state="attached")
    page.get_by_role("button", name="Zoom to Iraq").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-adm3-pane path').length === 0"
    )
    map_page.assert_clean()


def test_disputed_districts_are_marked_in_the_area_filter(map_page: MapPage) -> None:
    map_page.open()
    option = map_page.page.locator('[data-testid="filter-area"] option[data-disputed="true"]')

    option.first.wait_for(state="attached")

    assert option.count() >= 14
    assert "disputed" in option.first.inner_text()


def test_disputed_only_and_dates_filter_like_the_api(map_page: MapPage, api: httpx.Client) -> None:
    map_page.open()
    page = map_page.page

    page.locator('[data-testid="filter-disputed"]').check()
    map_page.wait_for_total(incidents(api, disputed="true")["total"])
    page.locator('[data-testid="filter-from"]').fill("2014-01-01")
    page.locator('[data-testid="filter-to"]').fill("2016-12-31")
    page.locator('[data-testid="filter-to"]').blur()

    expected = incidents(api, disputed="true", **{"from": "2014-01-01", "to": "2016-12-31"})
    map_page.wait_for_total(expected["total"])
    map_page.assert_clean()


def test_no_match_shows_the_empty_state(map_page: MapPage) -> None:
    map_page.open("?from=1900-01-01&to=1900-01-31")

    assert map_page.shown_total() == 0
    empty = map_page.page.locator('[data-testid="empty-state"]')
    assert empty.is_visible()
    assert empty.inner_text() == "No incidents match these filters"
    map_page.screenshot("05-empty")
    map_page.assert_clean()


def test_clicking_a_cluster_zooms_in_and_an_incident_shows_its_details(map_page: MapPage) -> None:
    map_page.open()
    page = map_page.page
    single = page.locator(".leaflet-marker-icon.incident")
    zoom_before = zoom_level(page)

    click_a_cluster(page)

    # A cluster opens by zooming in, or, when its incidents share one place, by spreading out.
    assert zoom_level(page) > zoom_before or single.count() > 0
    for _ in range(8):
        if single.count() and uncovered(page, ".leaflet-marker-icon.incident") >= 0:
            break
        click_a_cluster(page)
    click_uncovered(page, ".leaflet-marker-icon.incident")

    popup = page.locator('[data-testid="incident-popup"]')
    popup.wait_for()
    for field_name in ("date", "type", "actors", "fatalities", "place", "headline"):
        assert popup.locator(f'dd[data-field="{field_name}"]').count() == 1
    assert re.search(r"\b(19|20)\d\d\b", popup.locator('dd[data-field="date"]').inner_text())
    map_page.screenshot("03-incident-popup")
    map_page.assert_clean()


def test_clicking_an_area_shows_its_english_and_arabic_names(map_page: MapPage) -> None:
    map_page.open()
    page = map_page.page
    page.locator(".leaflet-control-layers label", has_text="Incidents").click()
    # Incidents and their clusters go; positions and reports (other overlays) may stay.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-marker-icon.incident, .cluster').length === 0"
    )

    # West of Ramadi, in Anbar's desert: one district, far from every label and control.
    page.locator("#map").click(position=point_of(page, 33.0, 41.0))

    popup = page.locator('[data-testid="area-popup"]')
    popup.wait_for()
    arabic = popup.locator('[lang="ar"][dir="rtl"]')
    assert arabic.inner_text().strip() != ""
    assert popup.locator(".mono").inner_text().startswith("IQG01")
    map_page.screenshot("04-area-popup")
    map_page.assert_clean()


def test_an_api_error_shows_its_detail_in_the_banner(map_page: MapPage) -> None:
    map_page.open()
    page = map_page.page
    detail = "from: '2020-13-01' is not a date in the form YYYY-MM-DD"
    refuse = lambda route: route.fulfill(  # noqa: E731
        status=400,
        content_type="application/problem+json",
        body=(
            '{"type": "about:blank", "title": "Invalid input", "status": 400,'
            f' "detail": "{detail}"}}'
        ),
    )
    page.route("**/api/incidents?*", refuse)
    page.route("**/api/incidents/viewport*", refuse)

    page.locator('[data-testid="filter-disputed"]').check()

    banner = page.locator('[data-testid="error-banner"]')
    banner.wait_for()
    assert banner.inner_text().startswith(detail)
    map_page.screenshot("06-error-banner")
    assert "is-stale" in (page.locator(COUNT).get_attribute("class") or "")
    assert "last request failed" in page.locator('[data-testid="incident-note"]').inner_text()
    # The browser logs the 400 itself; nothing else may be logged.
    assert [e for e in map_page.console_errors if "400" not in e] == []
    assert map_page.outside_requests == []


def test_text_from_data_is_shown_as_text_never_as_markup(map_page: MapPage) -> None:
    hostile = '<img src="/static/x.png" data-injected="1"><b>Raid</b> & "siege"'
    one_point = {
        "kind": "points",
        "total": 1,
        "zoom": 6,
        "bbox": [38.0, 29.0, 49.0, 38.0],
        "level": None,
        "cell_deg": None,
        "cells": [],
        "returned": 1,
        "points": [
            {"id": 1, "lat": 35.47, "lon": 44.39, "type": hostile, "fatalities": 2,
             "date": "2014-06-10"}
        ],
    }  # fmt: skip

    def hostile_record(route: Route) -> None:
        record = route.fetch().json()
        for key in ("headline", "place", "actor1", "sub_type"):
            record[key] = hostile
        route.fulfill(json=record)

    map_page.page.route("**/api/incidents/viewport*", lambda route: route.fulfill(json=one_point))
    map_page.page.route(re.compile(r"/api/incidents/\d+$"), hostile_record)
    map_page.open()

    map_page.page.locator(".leaflet-marker-icon.incident").click()

    popup = map_page.page.locator('[data-testid="incident-popup"]')
    popup.wait_for()
    assert popup.locator('dd[data-field="headline"]').inner_text() == hostile
    assert popup.locator(".popup-title").inner_text() == hostile
    assert map_page.page.locator("[data-injected], .leaflet-popup b").count() == 0
    map_page.assert_clean()


def test_a_view_with_more_incidents_than_it_shows_says_so(
    map_page: MapPage, api: httpx.Client
) -> None:
    features = incidents(api, limit=3)["features"]
    points = [
        {
            "id": f["properties"]["id"],
            "lat": f["geometry"]["coordinates"][1],
            "lon": f["geometry"]["coordinates"][0],
            "type": f["properties"]["incident_type"],
            "fatalities": f["properties"]["fatalities"],
            "date": f["properties"]["date"],
        }
        for f in features
    ]
    capped = {"kind": "points", "total": 5003, "returned": 3, "cells": [], "points": points}
    map_page.page.route("**/api/incidents/viewport*", lambda route: route.fulfill(json=capped))

    map_page.open()

    assert (
        map_page.shown_total() == incidents(api, limit=1)["total"]
    )  # the filter's, not the view's
    assert map_page.page.locator(".leaflet-marker-icon.incident, .cluster").count() > 0
    note = map_page.page.locator('[data-testid="incident-note"]').inner_text()
    assert "Only 3 of the 5,003 incidents in view are on the map" in note
    map_page.assert_clean()


def test_the_loading_indicator_shows_until_incidents_arrive(map_page: MapPage) -> None:
    held: list[Route] = []
    map_page.page.route("**/api/incidents/viewport*", lambda route: held.append(route))
    map_page.page.goto(map_page.base_url + "/")
    loading = map_page.page.locator(LOADING)

    loading.wait_for(state="visible")
    assert "Loading incidents" in loading.inner_text()
    for _ in range(100):  # the route is handed over while Playwright processes events
        if held:
            break
        map_page.page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()

    loading.wait_for(state="hidden")
    assert map_page.shown_total() > 0
    map_page.assert_clean()


def test_filters_are_reachable_by_keyboard_with_visible_focus(map_page: MapPage) -> None:
    map_page.open()
    page = map_page.page

    focused = []
    # The top bar first (skip link, menu, the conflict alert when shown, language, log out); a
    # date input takes three stops.
    for _ in range(27):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.dataset.testid || ''"))
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")

    assert {"filter-from", "filter-to", "filter-area", "filter-disputed"} <= set(focused)
    assert outline != "none"


def zoom_level(page: Page) -> float:
    return float(page.evaluate("document.querySelector('#map').dataset.zoom"))


def click_a_cluster(page: Page) -> None:
    """Click the first cluster nothing covers (a control may hide some), and let it zoom."""
    click_uncovered(page, ".leaflet-marker-icon.cluster")
    page.wait_for_timeout(800)  # the zoom animation


def click_uncovered(page: Page, selector: str) -> None:
    """Click the first element matching `selector` that is in view and that nothing covers,
    once the map is still (a marker clicked mid-animation, off the map's view, or under a
    control or another marker, opens nothing)."""
    index = uncovered(page, selector)
    assert index >= 0, f"nothing uncovered to click: {selector}"
    page.locator(selector).nth(index).click()


def uncovered(page: Page, selector: str) -> int:
    """The index of the first element matching `selector` that a click would hit, or -1."""
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    index: int = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].findIndex((c) => {
            const box = c.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return hit !== null && c.contains(hit);
        })""",
        selector,
    )
    return index


def point_of(page: Page, lat: float, lon: float) -> Position:
    """Where a latitude/longitude is drawn on the map element (Web Mercator)."""
    south, west, north, east = (
        float(v) for v in page.evaluate("document.querySelector('#map').dataset.bounds").split(",")
    )
    box = page.locator("#map").bounding_box()
    assert box is not None

    def mercator_y(latitude: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))

    x = (lon - west) / (east - west)
    y = (mercator_y(north) - mercator_y(lat)) / (mercator_y(north) - mercator_y(south))
    return {"x": x * box["width"], "y": y * box["height"]}
