"""The operations, approvals, conflicts, tasks and border pages in a real browser (Debian's
Chromium through Playwright) against one live `tansiq serve` for the whole module.

The node belongs to joc; krg is the other side. krg has a post near Makhmour that is released to
nobody: a joc operation drawn around it conflicts with it, and joc's page must say so (with
whom, whom to call) without the post's place or name ever reaching joc's browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from playwright.sync_api import Browser, BrowserContext, Page

from tansiq.settings import sqlite_url
from tests.servers import serving
from tests.web.conftest import LiveUser, add_live_user, tansiq_on
from tests.web.test_accessibility import CONTRAST_JS, assert_keyboard_walk, contrast_failures
from tests.web.test_map_browser import (
    SCREENSHOTS,
    MapPage,
    browser,
    log_in,
    new_context,
    watched_page,
)

__all__ = ["browser"]  # the module's Chromium (the map tests' fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a password for the operations pages"
POST_NAME = "Hidden KRG post at the old silo"
POST_LAT, POST_LON = "35.7712", "43.5834"
"""krg's post near Makhmour (a disputed district), released to nobody."""
MAKHMOUR = (35.776, 43.58)


@dataclass
class Node:
    url: str
    db: str
    users: dict[str, LiveUser]

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        token = {"Authorization": f"Bearer {self.users[user].token}"}
        answer = httpx.request(
            method, self.url + path, json=body, headers=token, trust_env=False, timeout=30
        )
        answer.raise_for_status()
        return answer.json()

    def get(self, user: str, path: str) -> Any:
        return self.users[user].get_json(self.url, path, timeout=30)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder = Path(tmp_path_factory.mktemp("ops-pages"))
    db = sqlite_url(folder / "node.db")
    tansiq_on(db, "init", "--partner", "joc", "--partner-name", "Joint Operations Command")
    tansiq_on(db, "partners", "add", "krg", "--name", "Kurdistan Region Security Council")
    tansiq_on(db, "partners", "add", "obs", "--name", "Observer mission")
    posts = folder / "krg-posts.csv"
    posts.write_text(
        "partner,kind,name,lat,lon,radius_m\n"
        f"krg,observation-post,{POST_NAME},{POST_LAT},{POST_LON},500\n",
        encoding="utf-8",
    )
    tansiq_on(db, "positions", "import", str(posts), "--tlp", "amber")
    tansiq_on(db, "border", "sectors", "init")
    users = {
        name: add_live_user(db, name, partner, role, PASSWORD)
        for name, partner, role in (
            ("joc-planner", "joc", "analyst"),
            ("joc-approver", "joc", "approver"),
            ("krg-approver", "krg", "approver"),
            ("krg-watch", "krg", "watch"),
            ("krg-arabic", "krg", "watch"),
            ("joc-kurdish", "joc", "approver"),
            ("observer", "obs", "watch"),
        )
    }
    with serving(db) as url:
        yield Node(url, db, users)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = new_context(browser)
    yield opened
    opened.close()


def expected_refusals(opened: MapPage, count: int) -> None:
    """The browser logs each refused request (the API's 400 the page showed): exactly these."""
    refused = [e for e in opened.console_errors if "status of 400" in e]
    assert len(refused) == count
    opened.console_errors[:] = [e for e in opened.console_errors if e not in refused]


def open_as(context: BrowserContext, node: Node, user: str, path: str) -> MapPage:
    log_in(context, node.url, node.users[user])
    opened = watched_page(context, node.url)
    opened.page.goto(node.url + path)
    return opened


def speak(context: BrowserContext, node: Node, code: str) -> None:
    chosen = context.request.put(
        f"{node.url}/api/session/language", data={"language": code}, headers={"Origin": node.url}
    )
    assert chosen.ok


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"ops-{name}.png")


def tid(page: Page, name: str) -> Any:
    return page.locator(f'[data-testid="{name}"]')


def fill_plan(page: Page, name: str, start: str = "2030-05-01T06:00", hours: int = 4) -> None:
    tid(page, "op-name").fill(name)
    tid(page, "op-start").fill(start)
    end_hour = int(start[11:13]) + hours
    tid(page, "op-end").fill(f"{start[:11]}{end_hour:02d}:00")
    tid(page, "op-units").fill("2nd Brigade\nQRF 7")


def add_point(page: Page, lat: float, lon: float) -> None:
    tid(page, "vertex-input").fill(f"{lat}, {lon}")
    tid(page, "vertex-add").click()


def click_map(page: Page, dx: int, dy: int) -> None:
    """Click the map `dx`, `dy` pixels from its centre."""
    box = tid(page, "plan-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)


def save(page: Page) -> dict[str, str]:
    tid(page, "op-save").click()
    answer = tid(page, "op-answer")
    answer.wait_for()
    link = answer.locator('[data-testid="op-link"]')
    href = link.get_attribute("href") or ""
    return {"id": href.rsplit("/", 1)[-1], "state": answer.get_attribute("data-state") or ""}


def test_a_polygon_drawn_by_clicks_is_stored_as_its_wkt_and_submitting_discloses_the_conflict(
    context: BrowserContext, node: Node
) -> None:
    opened = open_as(context, node, "joc-planner", "/operations/new")
    page = opened.page
    page.wait_for_selector('#plan-map[data-layers="ready"]')

    add_point(page, *MAKHMOUR)  # centres the map there at zoom 12 (about 30 m a pixel)
    for dx, dy in ((120, 0), (120, 120), (0, 120)):
        click_map(page, dx, dy)
    tid(page, "draw-undo").click()
    click_map(page, 0, 120)
    tid(page, "draw-finish").click()
    assert tid(page, "draw-status").get_attribute("data-finished") == "true"
    wkt = tid(page, "area-wkt").input_value()
    fill_plan(page, "Makhmour sweep")
    tid(page, "release-krg").check()
    saved = save(page)

    assert saved["state"] == "draft"
    stored = node.get("joc-planner", f"/api/operations/{saved['id']}")
    polygon = shapely.from_wkt(stored["area"]["wkt"])
    assert polygon.geom_type == "Polygon"
    assert len(polygon.exterior.coords) == 5  # four corners and the closing one
    assert polygon.equals_exact(shapely.from_wkt(wkt), 1e-6)
    assert polygon.contains(shapely.Point(float(POST_LON), float(POST_LAT)))
    assert stored["units"] == ["2nd Brigade", "QRF 7"]
    assert stored["start"] == "2030-05-01T03:00:00Z"  # typed in Baghdad time

    tid(page, "op-submit").click()
    page.wait_for_selector('[data-testid="op-answer"][data-state="pending-approval"]')
    assert tid(page, "op-two-key").get_attribute("data-value") == "true"
    conflict = page.locator('[data-testid="conflict"]')
    conflict.wait_for()
    other = conflict.locator('[data-testid="conflict-other"]').inner_text()
    assert "krg" in other
    assert "duty officer" in other
    # The header's alert: joc has a conflict it has not acknowledged.
    page.reload()
    badge = tid(page, "conflict-badge")
    badge.wait_for()
    assert badge.get_attribute("data-count") == "1"
    html = page.content()
    for secret in (POST_LAT, POST_LON, POST_NAME):
        assert secret not in html
    shoot(page, "plan-submitted")

    badge.click()
    page.wait_for_url("**/conflicts")
    page.locator('[data-testid="conflict"]').wait_for()
    for secret in (POST_LAT, POST_LON, POST_NAME):
        assert secret not in page.content()
    shoot(page, "conflicts")
    tid(page, "conflict-ack").click()
    page.wait_for_selector('[data-testid="conflict"][data-acknowledged="true"]')
    page.wait_for_selector('[data-testid="conflict-badge"][data-count="0"]', state="attached")
    assert tid(page, "conflict-badge").is_hidden()
    opened.assert_clean()


def test_a_corridor_and_a_bad_window_show_the_problem_next_to_the_field(
    context: BrowserContext, node: Node
) -> None:
    opened = open_as(context, node, "joc-planner", "/operations/new")
    page = opened.page
    page.wait_for_selector('#plan-map[data-layers="ready"]')
    tid(page, "draw-mode").select_option("route")
    tid(page, "width-m").fill("800")
    add_point(page, 36.30, 43.10)
    add_point(page, 36.34, 43.16)
    add_point(page, 36.36, 43.25)
    tid(page, "draw-finish").click()
    fill_plan(page, "Escort on the Mosul road", start="2030-06-01T20:00", hours=-2)
    tid(page, "op-type").select_option("escort")

    tid(page, "op-save").click()

    error = page.locator('[data-error-for="end"]')
    error.wait_for()
    assert "ends before it starts" in error.inner_text()
    assert tid(page, "op-end").get_attribute("aria-invalid") == "true"
    assert tid(page, "op-answer").is_hidden()
    fill_plan(page, "Escort on the Mosul road", start="2030-06-01T10:00", hours=3)
    saved = save(page)

    stored = node.get("joc-planner", f"/api/operations/{saved['id']}")
    assert stored["type"] == "escort"
    assert stored["area"]["kind"] == "corridor"
    assert stored["area"]["extent_m"] == 400
    route = shapely.from_wkt(stored["area"]["wkt"])
    assert route.geom_type == "LineString"
    assert [(round(x, 2), round(y, 2)) for x, y in route.coords] == [
        (43.10, 36.30),
        (43.16, 36.34),
        (43.25, 36.36),
    ]
    expected_refusals(opened, 1)
    opened.assert_clean()


def test_an_area_is_drawn_with_the_keyboard_alone(context: BrowserContext, node: Node) -> None:
    opened = open_as(context, node, "joc-planner", "/operations/new")
    page = opened.page
    page.wait_for_selector('#plan-map[data-layers="ready"]')
    tid(page, "plan-map").focus()
    for key in ("Enter", "ArrowRight", "Enter", "ArrowDown", "Enter"):
        page.keyboard.press(key)
        page.wait_for_timeout(300)  # the pan's animation
    tid(page, "draw-finish").focus()
    page.keyboard.press("Enter")

    status = tid(page, "draw-status")
    assert status.get_attribute("data-points") == "3"
    assert status.get_attribute("data-finished") == "true"
    polygon = shapely.from_wkt(tid(page, "area-wkt").input_value())
    assert polygon.geom_type == "Polygon"
    assert polygon.area > 0  # three different points: the map moved between them
    opened.assert_clean()


def _planned(node: Node, name: str) -> str:
    body = {
        "name": name,
        "type": "patrol",
        "lat": 35.2,
        "lon": 44.4,
        "radius_m": 1500,
        "start": "2030-07-01T06:00:00Z",
        "end": "2030-07-01T10:00:00Z",
        "tlp": "amber",
        "releasable_to": ["krg"],
    }
    created = node.call("joc-planner", "POST", "/api/operations", body)
    node.call("joc-planner", "POST", f"/api/operations/{created['id']}/submit")
    return str(created["id"])


def test_approvers_of_both_sides_approve_in_their_inbox_and_the_operation_shows_it(
    context: BrowserContext, node: Node
) -> None:
    operation = _planned(node, "Kirkuk patrol")
    opened = open_as(context, node, "krg-approver", "/approvals")
    page = opened.page
    card = page.locator(f'[data-testid="approval"][data-id="{operation}"]')
    card.wait_for()
    assert "left" in card.locator('[data-testid="time-left"]').inner_text()
    shoot(page, "approvals")
    card.locator('[data-testid="inbox-approve"]').click()
    card.wait_for(state="detached")
    stored = node.get("krg-approver", f"/api/operations/{operation}")
    assert [(a["side"], a["validity"]) for a in stored["approvals"]] == [("krg", "valid")]
    assert stored["state"] == "pending-approval"

    context.clear_cookies()
    opened = open_as(context, node, "joc-approver", "/approvals")
    page = opened.page
    card = page.locator(f'[data-testid="approval"][data-id="{operation}"]')
    card.locator('[data-testid="inbox-approve"]').click()
    card.wait_for(state="detached")

    page.goto(f"{node.url}/operations/{operation}")
    page.wait_for_selector('[data-testid="operation"][data-state="approved"]')
    assert tid(page, "op-map").get_attribute("data-area") == "circle"
    assert page.locator("path.op-area").count() == 1
    shoot(page, "operation")
    decisions = page.locator('[data-testid="decision"][data-validity="valid"]')
    assert decisions.count() == 2
    hash_shown = page.locator('dd[data-field="hash"] code').inner_text()
    assert node.get("joc-approver", f"/api/operations/{operation}")["hash"].startswith(hash_shown)
    tid(page, "op-activate").click()
    page.wait_for_selector('[data-testid="operation"][data-state="active"]')
    tid(page, "op-close").click()
    page.wait_for_selector('[data-testid="operation"][data-state="closed"]')
    opened.assert_clean()


def test_a_veto_needs_a_reason_and_the_list_shows_the_vetoed_operation(
    context: BrowserContext, node: Node
) -> None:
    operation = _planned(node, "Patrol to veto")
    opened = open_as(context, node, "krg-approver", f"/operations/{operation}")
    page = opened.page
    tid(page, "op-veto").click()
    error = tid(page, "action-error")
    error.wait_for()
    assert "reason" in error.inner_text()
    tid(page, "action-reason").fill("Our unit is in that village that night")
    tid(page, "op-veto").click()
    page.wait_for_selector('[data-testid="operation"][data-state="vetoed"]')
    assert "Our unit is in that village" in tid(page, "op-decisions").inner_text()

    page.goto(f"{node.url}/operations")
    row = page.locator(f'[data-testid="op-row"][data-id="{operation}"]')
    row.wait_for()
    assert row.locator('[data-testid="op-state"]').get_attribute("data-state") == "vetoed"
    shoot(page, "operations")
    expected_refusals(opened, 1)
    opened.assert_clean()


def _task(node: Node, title: str) -> int:
    report = node.call(
        "joc-planner",
        "POST",
        "/api/reports",
        {"title": title, "text": "Seen at dusk.", "tlp": "amber", "releasable_to": ["krg"]},
    )
    task = node.call(
        "joc-planner",
        "POST",
        "/api/tasks",
        {"source_kind": "report", "source_ref": report["id"], "to_partner": "krg", "title": title},
    )
    return int(task["id"])


def test_the_tasks_board_moves_a_task_through_its_states(
    context: BrowserContext, node: Node
) -> None:
    task = _task(node, "Check the cell near Sinjar")
    opened = open_as(context, node, "krg-watch", "/tasks")
    page = opened.page

    def card(state: str) -> Any:
        found = page.locator(f'[data-column="{state}"] [data-testid="task"][data-id="{task}"]')
        found.wait_for()
        return found

    card("open").locator('[data-testid="task-ack"]').click()
    card("acknowledged").locator('[data-testid="task-start"]').click()
    started = card("in-progress")
    started.locator('[data-testid="task-text"]').fill("Two arrested, one vehicle seized")
    started.locator('[data-testid="task-done"]').click()
    done = card("done")
    assert "Two arrested" in done.inner_text()
    metric = page.locator('[data-testid="metric"][data-partner="krg"]')
    metric.wait_for()
    metrics = node.get("krg-watch", "/api/tasks/metrics")["partners"]
    share = next(m["share_done"] for m in metrics if m["partner"] == "krg")
    assert share > 0
    assert metric.locator('[data-field="share-done"]').inner_text() == f"{round(share * 100)}%"
    shoot(page, "tasks")
    stored = node.get("krg-watch", f"/api/tasks/{task}")
    assert (stored["state"], stored["feedback"]) == ("done", "Two arrested, one vehicle seized")
    opened.assert_clean()


def test_the_border_view_shows_the_sectors_and_an_observation(
    context: BrowserContext, node: Node
) -> None:
    sectors = node.get("krg-watch", "/api/border/sectors")["items"]
    first = sectors[0]
    node.call(
        "krg-watch",
        "POST",
        "/api/border/observations",
        {
            "kind": "crossing-attempt",
            "lat": 34.38,
            "lon": 40.98,
            "observed_at": "2026-11-26T02:00:00Z",
            "text": "Four people on foot",
        },
    )
    opened = open_as(context, node, "krg-watch", "/border")
    page = opened.page
    page.wait_for_function(
        "() => Number(document.querySelector('#border-map').dataset.sectors) > 0"
    )
    assert page.locator('[data-testid="sector"]').count() == len(sectors)
    assert page.locator("path.sector-line").count() == len(sectors)
    assert first["id"] in tid(page, "sectors").inner_text()
    assert "Four people on foot" in tid(page, "observations").inner_text()
    assert page.locator("path.observation-marker").count() == 1
    shoot(page, "border")
    opened.assert_clean()


def _assert_rtl(page: Page, lang: str) -> None:
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == lang


def test_the_tasks_board_and_inbox_in_arabic(context: BrowserContext, node: Node) -> None:
    task = _task(node, "Arabic board task")
    log_in(context, node.url, node.users["krg-arabic"])
    speak(context, node, "ar")
    opened = watched_page(context, node.url)
    page = opened.page
    page.goto(node.url + "/tasks")
    _assert_rtl(page, "ar")
    card = page.locator(f'[data-column="open"] [data-testid="task"][data-id="{task}"]')
    card.wait_for()
    assert "قيد التنفيذ" in tid(page, "column-in-progress").inner_text()
    ack = card.locator('[data-testid="task-ack"]')
    assert ack.inner_text() == "إقرار الاستلام"
    assert tid(page, "nav-tasks").inner_text() == "المهام"
    shoot(page, "tasks-ar")
    page.goto(node.url + "/approvals")
    page.wait_for_selector(
        '[data-testid="status"]:is([data-state="ready"], [data-state="empty"])', state="attached"
    )
    assert re.search("[\u0600-\u06ff]", page.locator("main").inner_text())
    opened.assert_clean()


def test_planning_an_operation_in_kurdish(context: BrowserContext, node: Node) -> None:
    log_in(context, node.url, node.users["joc-kurdish"])
    speak(context, node, "ckb")
    opened = watched_page(context, node.url)
    page = opened.page
    page.goto(node.url + "/operations/new")
    page.wait_for_selector('#plan-map[data-layers="ready"]')
    _assert_rtl(page, "ckb")
    assert tid(page, "op-save").inner_text() == "پاشەکەوتکردن وەک ڕەشنووس"
    tid(page, "draw-mode").select_option("point")
    tid(page, "radius-m").fill("2500")
    add_point(page, 36.2, 44.0)
    status = tid(page, "draw-status").inner_text()
    assert "١" in status  # Eastern Arabic digits
    fill_plan(page, "Erbil clearance")
    saved = save(page)
    stored = node.get("joc-kurdish", f"/api/operations/{saved['id']}")
    assert (stored["area"]["kind"], stored["area"]["extent_m"]) == ("circle", 2500)
    assert "ڕەشنووس" in tid(page, "op-answer").inner_text()
    shoot(page, "plan-ckb")
    opened.assert_clean()


def test_no_page_of_another_partner_leaks_through_the_operation_page(
    context: BrowserContext, node: Node
) -> None:
    """An operation released to nobody but joc: krg's people read it as not found."""
    body = {
        "name": "JOC only raid",
        "type": "raid",
        "lat": 33.3,
        "lon": 44.4,
        "radius_m": 500,
        "start": "2030-08-01T01:00:00Z",
        "end": "2030-08-01T03:00:00Z",
        "tlp": "amber",
    }
    created = node.call("joc-planner", "POST", "/api/operations", body)
    opened = open_as(context, node, "krg-watch", f"/operations/{created['id']}")
    page = opened.page
    page.wait_for_selector('[data-testid="status"][data-state="error"]')
    assert "JOC only raid" not in page.content()
    assert json.dumps(created["id"])[1:-1] in page.content()  # the id asked for, nothing else
    opened.console_errors.clear()  # the browser logs the API's 404
    opened.assert_clean()


def test_break_glass_needs_a_reason_and_the_other_side_gets_a_notice_and_a_review_task(
    context: BrowserContext, node: Node
) -> None:
    operation = _planned(node, "Hostage rescue")
    opened = open_as(context, node, "joc-approver", f"/operations/{operation}")
    page = opened.page
    tid(page, "op-break-glass").click()
    tid(page, "action-error").wait_for()
    assert "reason" in tid(page, "action-error").inner_text()
    tid(page, "action-reason").fill("Hostages to be moved tonight")
    tid(page, "op-break-glass").click()
    page.wait_for_selector('[data-testid="operation"][data-state="active"]')
    assert tid(page, "op-fields").locator('dd[data-field="break-glass"]').is_visible()
    expected_refusals(opened, 1)
    opened.assert_clean()

    context.clear_cookies()
    opened = open_as(context, node, "krg-watch", "/conflicts")
    page = opened.page
    notice = page.locator(
        f'[data-testid="notice"][data-kind="break-glass"]:has(a[href$="{operation}"])'
    )
    notice.wait_for()
    assert "joc" in notice.inner_text()
    page.goto(node.url + "/tasks")
    review = page.locator('[data-column="open"] [data-testid="task"]', has_text=operation)
    review.wait_for()
    assert "from an operation" in review.inner_text()
    opened.assert_clean()


def test_empty_and_error_states(context: BrowserContext, node: Node) -> None:
    """An observer's partner is no approving side and sees no operation: every list is empty."""
    opened = open_as(context, node, "observer", "/approvals")
    page = opened.page
    page.wait_for_selector('[data-testid="status"][data-state="empty"]')
    assert tid(page, "status").inner_text() == "Nothing waits for your side's approval."
    assert "not one of the sides" in page.locator("main").inner_text()
    page.goto(node.url + "/operations")
    page.wait_for_selector('[data-testid="status"][data-state="empty"]')
    assert tid(page, "ops-table").is_hidden()
    page.goto(node.url + "/conflicts")
    tid(page, "no-conflicts").wait_for()

    page.route(
        "**/api/border/alerts",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body=json.dumps({"title": "Unavailable", "status": 503, "detail": "node is busy"}),
        ),
    )
    page.goto(node.url + "/border")
    page.wait_for_selector('[data-testid="status"][data-state="error"]')
    assert tid(page, "status").inner_text() == "node is busy"
    assert tid(page, "status").get_attribute("role") == "alert"
    opened.console_errors[:] = [e for e in opened.console_errors if "status of 503" not in e]
    opened.assert_clean()


@pytest.mark.parametrize("code", ["en", "ar", "ckb"])
def test_every_page_has_enough_contrast_and_tab_reaches_every_control(
    context: BrowserContext, node: Node, code: str
) -> None:
    operation = _planned(node, f"Contrast check {code}")
    log_in(context, node.url, node.users["joc-approver"])
    speak(context, node, code)
    opened = watched_page(context, node.url)
    page = opened.page
    failures: list[str] = []
    for path in (
        "/operations",
        f"/operations/{operation}",
        "/approvals",
        "/conflicts",
        "/tasks",
        "/border",
        "/operations/new",
    ):
        page.goto(node.url + path)
        if path in ("/border", "/operations/new"):
            page.wait_for_selector('.map[data-layers="ready"]')
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=status]')]"
            ".every((s) => s.dataset.state && s.dataset.state !== 'loading')"
        )
        assert page.evaluate("document.documentElement.dir") == ("ltr" if code == "en" else "rtl")
        failures += contrast_failures(path, page.evaluate(CONTRAST_JS))
        # On the map pages, Tab stops at the map: its own controls are Leaflet's.
        maps = {"/border": "border-map", "/operations/new": "plan-map"}
        assert_keyboard_walk(page, path, maps.get(path, ""))
    assert failures == []
    opened.assert_clean()
