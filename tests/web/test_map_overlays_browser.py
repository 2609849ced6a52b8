"""Positions and reports on the map, in a real browser: what a partner was released sees, and
what one that was not does not.

A node of the joint centre (jcc) with the demo's synthetic positions of joc and krg (released
to each other and to jcc) and a report with a place written by a jcc analyst for krg; its watch
officer sees both, an observer's (obs: nothing released to it) sees neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tansiq.settings import sqlite_url
from tests.servers import serving
from tests.web.conftest import LiveUser, add_live_user, tansiq_on
from tests.web.test_map_browser import (
    MapPage,
    browser,  # noqa: F401 (the fixture)
    click_uncovered,
    log_in,
    new_context,
    watched_page,
)

pytestmark = pytest.mark.browser

PASSWORD = "a password for the overlay tests"
REPORT_TITLE = "Vehicles without plates near Baiji"


class Node:
    def __init__(self, url: str, users: dict[str, LiveUser], report_id: str) -> None:
        self.url = url
        self.users = users
        self.report_id = report_id

    def api(self, user: str, path: str) -> dict[str, object]:
        result: dict[str, object] = self.users[user].get_json(self.url, path, timeout=30)
        return result


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    db = sqlite_url(Path(tmp_path_factory.mktemp("overlays")) / "node.db")
    tansiq_on(db, "init", "--partner", "jcc", "--partner-name", "Joint Coordination Centre")
    tansiq_on(db, "partners", "add", "obs", "--name", "Observer mission")
    tansiq_on(db, "positions", "demo")  # adds joc and krg
    users = {
        "watch": add_live_user(db, "watch", "jcc", "watch", PASSWORD),
        "analyst": add_live_user(db, "analyst", "jcc", "analyst", PASSWORD),
        "observer": add_live_user(db, "observer", "obs", "watch", PASSWORD),
    }
    report = tansiq_on(
        db, "reports", "add", "--title", REPORT_TITLE, "--text", "Seen at dusk.",
        "--lat", "34.93", "--lon", "43.49", "--place", "Baiji", "--tlp", "amber",
        "--releasable-to", "krg", "--json", "--as", "analyst",
    )  # fmt: skip
    with serving(db) as url:
        yield Node(url, users, json.loads(report)["id"])


def _open_map(chromium: Browser, node: Node, user: str) -> MapPage:
    context = new_context(chromium)
    log_in(context, node.url, node.users[user])
    opened = watched_page(context, node.url)
    opened.open()
    opened.page.wait_for_selector('#map[data-positions="ready"][data-report-places="ready"]')
    return opened


def test_the_joint_centre_sees_both_sides_positions_with_their_coverage(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    expected = node.api("watch", "/api/positions.geojson")["total"]
    opened = _open_map(browser, node, "watch")
    page = opened.page

    circles = page.locator("path.coverage-circle")
    assert isinstance(expected, int)
    assert expected > 10
    assert circles.count() == expected
    assert page.locator(".leaflet-marker-icon.position-marker").count() == expected
    assert all(
        d and d != "M0 0" for d in circles.evaluate_all("ps => ps.map(p => p.getAttribute('d'))")
    )
    legend = page.locator('[data-testid="legend-positions"]').inner_text()
    assert "Joint Operations Command" in legend
    assert "Kurdistan Region Security Council" in legend

    click_uncovered(page, ".leaflet-marker-icon.position-marker")

    popup = page.locator('[data-testid="position-popup"]')
    popup.wait_for()
    assert "(synthetic)" in popup.locator(".popup-title").inner_text()
    assert popup.locator('[data-testid="synthetic"]').is_visible()
    assert "radius" in popup.locator('dd[data-field="radius"]').inner_text()
    assert popup.locator('dd[data-field="marking"]').inner_text() == "TLP:AMBER"
    opened.screenshot("10-positions")
    page.locator(".leaflet-popup-close-button").click()
    # Choosing Kirkuk district zooms the map to it: both sides' circles around the city.
    area = page.locator('[data-testid="filter-area"]')
    area.locator('option[value="IQG13Q04"]').wait_for(state="attached")
    area.select_option("IQG13Q04")
    page.wait_for_function("() => Number(document.querySelector('#map').dataset.zoom) >= 8")
    page.wait_for_timeout(400)  # the zoom animation
    opened.screenshot("12-coverage-near-kirkuk")
    opened.assert_clean()
    page.context.close()


def test_a_report_marker_opens_a_popup_that_links_to_the_report(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    opened = _open_map(browser, node, "watch")
    page = opened.page

    page.locator(".leaflet-marker-icon.report-marker").click()

    popup = page.locator('[data-testid="report-popup"]')
    popup.wait_for()
    assert popup.locator(".popup-title").inner_text() == REPORT_TITLE
    assert popup.locator('dd[data-field="marking"]').inner_text() == "TLP:AMBER"
    link = popup.locator('[data-testid="report-link"]')
    assert link.get_attribute("href") == f"/reports/{node.report_id}"
    opened.screenshot("11-report-popup")
    link.click()
    page.wait_for_url(f"**/reports/{node.report_id}")
    assert page.locator('[data-testid="report-heading"]').inner_text() == REPORT_TITLE
    opened.assert_clean()
    page.context.close()


def test_a_partner_nothing_was_released_to_sees_no_position_and_no_report(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    assert node.api("observer", "/api/positions.geojson")["total"] == 0
    opened = _open_map(browser, node, "observer")
    page = opened.page

    assert page.locator("path.coverage-circle").count() == 0
    assert page.locator(".position-marker, .report-marker").count() == 0
    legend = page.locator('[data-testid="legend-positions"]').inner_text()
    assert legend == "None released to your organisation"
    assert REPORT_TITLE not in page.content()
    opened.assert_clean()
    page.context.close()
