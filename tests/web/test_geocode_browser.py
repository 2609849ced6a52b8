"""The report form suggests the place its text names (GET /api/geocode), in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.web.conftest import LIVE_USERS
from tests.web.test_map_browser import browser, log_in, new_context, watched_page

__all__ = ["browser"]  # the module's Chromium, from the map tests' fixture

pytestmark = pytest.mark.browser

SUGGESTION = '[data-testid="place-suggestion"]'


def _speak(context: BrowserContext, live_server: str, code: str) -> None:
    """The analyst's interface language (other tests change it: say it every time)."""
    chosen = context.request.put(
        f"{live_server}/api/session/language",
        data={"language": code},
        headers={"Origin": live_server},
    )
    assert chosen.ok


def test_an_arabic_headline_suggests_its_place_and_the_click_fills_it(
    browser: Browser, live_server: str
) -> None:
    context = new_context(browser)
    log_in(context, live_server, LIVE_USERS["analyst"])
    _speak(context, live_server, "en")
    opened = watched_page(context, live_server)
    page = opened.page
    try:
        page.goto(f"{live_server}/reports/new")
        assert page.locator(SUGGESTION).is_hidden()

        page.locator('[data-testid="report-title"]').fill("انفجار سيارة مفخخة في الموصل")

        page.locator(SUGGESTION).wait_for()
        assert page.locator('[data-testid="place-suggestion-name"]').inner_text() == "Mosul"
        assert page.locator('[data-testid="report-lat"]').input_value() == ""  # not yet
        page.locator('[data-testid="place-suggestion-use"]').click()

        assert page.locator('[data-testid="report-place"]').input_value() == "Mosul"
        lat = float(page.locator('[data-testid="report-lat"]').input_value())
        lon = float(page.locator('[data-testid="report-lon"]').input_value())
        assert abs(lat - 36.34) < 0.05
        assert abs(lon - 43.12) < 0.05
        assert page.locator("#place-map path.leaflet-interactive").count() == 1  # the marker
        assert page.locator(SUGGESTION).is_hidden()

        page.locator('[data-testid="report-title"]').fill("تقرير")
        page.locator('[data-testid="report-text"]').fill("اشتباكات في كركوك")
        page.locator(SUGGESTION).wait_for()
        assert page.locator('[data-testid="place-suggestion-name"]').inner_text() == "Kirkuk"
        page.locator('[data-testid="report-title"]').fill("تقرير عن العراق")
        page.locator('[data-testid="report-text"]').fill("")
        page.locator(SUGGESTION).wait_for(state="hidden")  # no place named, nothing offered
        assert page.locator('[data-testid="report-place"]').input_value() == "Mosul"  # kept

        _speak(context, live_server, "ckb")  # an Arabic-script page names it in Arabic script
        page.goto(f"{live_server}/reports/new")
        page.locator('[data-testid="report-text"]').fill("تەقینەوەیەک لە کەرکووک")
        page.locator(SUGGESTION).wait_for()
        assert page.locator('[data-testid="place-suggestion-name"]').inner_text() == "كركوك"
        page.locator('[data-testid="place-suggestion-use"]').click()
        assert page.locator('[data-testid="report-place"]').input_value() == "كركوك"
        assert abs(float(page.locator('[data-testid="report-lat"]').input_value()) - 35.47) < 0.05
        opened.assert_clean()
    finally:
        context.close()
