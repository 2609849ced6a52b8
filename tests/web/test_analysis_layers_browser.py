"""The analysis layers on the map, in a real browser: each switched on from the panel draws what
the API answers (the same number of features), adds its legend entry and says when it is
ready; popups show the values; Arabic pages keep the panel right to left; a partner nothing was
released to sees no coverage of either side.

A node of the joint centre (jcc) with the shipped UCDP events of 2014-2017 and the demo's
synthetic positions of joc and krg (released to each other and to jcc). A screenshot of each
layer goes to the test's temporary directory, its path printed (pytest -s shows them).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h3
import pytest
from playwright.sync_api import Browser, Route

from tansiq.settings import sqlite_url
from tests.factories import shipped_ucdp_years
from tests.servers import serving
from tests.web.conftest import LiveUser, add_live_user, tansiq_on
from tests.web.test_map_browser import (
    SCREENSHOTS,
    MapPage,
    browser,  # noqa: F401 (the fixture)
    click_uncovered,
    log_in,
    new_context,
    watched_page,
)

pytestmark = pytest.mark.browser

PASSWORD = "a password for the analysis layer tests"

# Each layer: the API it draws, the SVG paths or markers it draws them with, and which
# features of the answer it draws (coverage and vacuum share one answer, by `layer`).
LAYERS: dict[str, dict[str, Any]] = {
    "hotspots": {
        "path": "/api/analysis/hotspots.geojson?p=normal",  # what the map asks for
        "drawn": "path.analysis-hotspots",
    },
    "emerging": {"path": "/api/analysis/emerging.geojson", "drawn": "path.analysis-emerging"},
    "risk": {"path": "/api/analysis/risk.geojson", "drawn": "path.analysis-risk"},
    "coverage": {
        "path": "/api/analysis/coverage.geojson",
        "drawn": "path.analysis-coverage",
        "parts": {"partner", "overlap"},
    },
    "vacuum": {
        "path": "/api/analysis/coverage.geojson",
        "drawn": "path.analysis-vacuum",
        "parts": {"uncovered", "seam"},
    },
    "placement": {
        "path": "/api/analysis/placement.geojson",
        "drawn": ".leaflet-marker-icon.placement-marker",
    },
}


class Node:
    def __init__(self, url: str, users: dict[str, LiveUser], shots: Path) -> None:
        self.url = url
        self.users = users
        self.shots = shots

    def api(self, user: str, path: str) -> dict[str, Any]:
        result: dict[str, Any] = self.users[user].get_json(self.url, path)
        return result


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    where = tmp_path_factory.mktemp("analysis-layers")
    db = sqlite_url(where / "node.db")
    tansiq_on(db, "init", "--partner", "jcc", "--partner-name", "Joint Coordination Centre")
    shipped_ucdp_years(where / "ged.csv", 2014, 2017)
    tansiq_on(db, "import", "ucdp", str(where / "ged.csv"))
    tansiq_on(db, "partners", "add", "obs", "--name", "Observer mission")
    tansiq_on(db, "positions", "demo")  # adds joc and krg
    users = {
        "watch": add_live_user(db, "watch", "jcc", "watch", PASSWORD),
        "watch-ar": add_live_user(db, "watch-ar", "jcc", "watch", PASSWORD),
        "observer": add_live_user(db, "observer", "obs", "watch", PASSWORD),
    }
    with serving(db) as url:
        yield Node(url, users, tmp_path_factory.mktemp("analysis-screenshots"))


def _open_map(chromium: Browser, node: Node, user: str, language: str = "en") -> MapPage:
    context = new_context(chromium)
    log_in(context, node.url, node.users[user])
    if language != "en":
        chosen = context.request.put(
            f"{node.url}/api/session/language",
            data={"language": language},
            headers={"Origin": node.url},
        )
        assert chosen.ok
    opened = watched_page(context, node.url)
    opened.open()
    return opened


def _switch_on(opened: MapPage, name: str) -> None:
    page = opened.page
    toggle = page.locator(f'[data-testid="analysis-toggle-{name}"]')
    assert not toggle.is_checked()  # off until asked for
    toggle.check()
    state = f"analysis{name.capitalize()}"
    page.wait_for_function(
        f"() => ['ready', 'error'].includes(document.querySelector('#map').dataset.{state})",
        timeout=120_000,
    )
    status = page.locator(f'[data-testid="analysis-status-{name}"]').inner_text()
    assert page.evaluate(f"document.querySelector('#map').dataset.{state}") == "ready", status


def _expected(node: Node, user: str, name: str) -> list[dict[str, Any]]:
    layer = LAYERS[name]
    features = node.api(user, layer["path"])["features"]
    parts = layer.get("parts")
    return [f for f in features if parts is None or f["properties"]["layer"] in parts]


def _shot(opened: MapPage, node: Node, name: str) -> Path:
    opened.page.wait_for_timeout(300)  # a popup's fade
    path = node.shots / f"{name}.png"
    opened.page.screenshot(path=path)
    # Kept where the other map screenshots are too: concurrent runs rotate pytest's tmp dirs.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENSHOTS / path.name)
    print(f"screenshot: {path}")
    return path


@pytest.mark.slow
def test_each_layer_draws_what_the_api_answers_with_its_legend(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    opened = _open_map(browser, node, "watch")
    page = opened.page
    legend = page.locator('[data-testid="analysis-legend"]')
    assert legend.inner_text().strip() == ""  # nothing on, nothing in the legend
    # The incidents hide the layers under them at this zoom: off, for the screenshots.
    page.locator(".leaflet-control-layers label", has_text="Incidents").locator("input").uncheck()

    for name, layer in LAYERS.items():
        expected = _expected(node, "watch", name)
        _switch_on(opened, name)

        drawn = page.locator(layer["drawn"])
        assert drawn.count() == len(expected), name
        entry = page.locator(f'[data-testid="legend-analysis-{name}"]')
        assert entry.is_visible(), name
        if name in ("hotspots", "coverage", "vacuum", "placement", "risk"):
            assert expected, f"{name}: nothing to draw on the demo node"
        _shot(opened, node, f"analysis-{name}")

        page.locator(f'[data-testid="analysis-toggle-{name}"]').uncheck()
        assert drawn.count() == 0, name
        assert not entry.is_visible(), name
    opened.assert_clean()
    page.context.close()


def test_legends_name_what_is_drawn_and_popups_show_the_values(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    opened = _open_map(browser, node, "watch")
    page = opened.page

    _switch_on(opened, "coverage")
    entry = page.locator('[data-testid="legend-analysis-coverage"]').inner_text()
    assert "Covered by Joint Operations Command" in entry
    assert "Covered by Kurdistan Region Security Council" in entry
    assert "Covered by more than one partner" in entry

    _switch_on(opened, "placement")
    sites = node.api("watch", LAYERS["placement"]["path"])
    click_uncovered(page, ".leaflet-marker-icon.placement-marker")
    popup = page.locator('[data-testid="placement-popup"]')
    popup.wait_for()
    assert popup.locator(".popup-title").inner_text().startswith("Site ")
    assert float(popup.locator('dd[data-field="gain"]').inner_text()) > 0
    summary = page.locator('[data-testid="legend-analysis-placement"]').inner_text()
    one_decimal = [
        f"{sites[k]:.1f}".removesuffix(".0") for k in ("covered_before", "covered_after")
    ]
    assert "Expected incidents covered: {} now, {} with these sites".format(*one_decimal) in summary
    _shot(opened, node, "analysis-placement-popup")
    page.locator(".leaflet-popup-close-button").click()

    _switch_on(opened, "risk")
    top = node.api("watch", LAYERS["risk"]["path"])["features"][0]["properties"]
    risk_legend = page.locator('[data-testid="legend-analysis-risk"]').inner_text()
    assert "Expected incidents in January 2018" in risk_legend  # after the last, Dec 2017
    assert "< 0.1" in risk_legend
    page.locator("path.analysis-risk").first.dispatch_event("click")
    popup = page.locator('[data-testid="risk-popup"]')
    popup.wait_for()
    assert popup.locator('dd[data-field="cell"]').inner_text() == top["cell"]
    assert popup.locator('dd[data-field="rank"]').inner_text() == "1"
    opened.assert_clean()
    page.context.close()


def test_in_arabic_the_panel_reads_right_to_left_and_layers_still_draw(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    opened = _open_map(browser, node, "watch-ar", "ar")
    page = opened.page
    assert page.evaluate("document.documentElement.dir") == "rtl"

    _switch_on(opened, "vacuum")
    _switch_on(opened, "risk")

    assert page.locator("path.analysis-vacuum").count() == len(_expected(node, "watch", "vacuum"))
    heading = page.locator("#analysis-heading").inner_text()
    assert heading == "طبقات التحليل"
    vacuum = page.locator('[data-testid="legend-analysis-vacuum"]').inner_text()
    assert "منطقة متنازع عليها لا يغطيها أي موقع" in vacuum
    # Right to left: each switch's box sits to the right of its label.
    box = page.locator('[data-testid="analysis-toggle-risk"]').bounding_box()
    label = page.locator('label[for="analysis-toggle-risk"] span').bounding_box()
    assert box is not None
    assert label is not None
    assert box["x"] > label["x"]
    status = page.locator('[data-testid="analysis-status-risk"]').inner_text()
    assert any("٠" <= ch <= "٩" for ch in status)  # Eastern Arabic digits
    risk = page.locator('[data-testid="legend-analysis-risk"]').inner_text()
    assert "٢٠١٨" in risk  # the month, named in Arabic
    assert "٠٫١" in risk  # the classes' bounds
    _shot(opened, node, "analysis-arabic-vacuum-risk")
    opened.assert_clean()
    page.context.close()


def test_a_partner_nothing_was_released_to_sees_no_coverage_of_either_side(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    answer = node.api("observer", LAYERS["coverage"]["path"])
    assert answer["positions"] == 0
    assert {f["properties"]["layer"] for f in answer["features"]} == {"uncovered"}
    opened = _open_map(browser, node, "observer")
    page = opened.page

    _switch_on(opened, "coverage")
    _switch_on(opened, "vacuum")

    assert page.locator("path.analysis-coverage").count() == 0
    assert page.locator("path.vacuum-seam").count() == 0
    assert page.locator("path.vacuum-uncovered").count() == 1  # all of the territory
    entry = page.locator('[data-testid="legend-analysis-coverage"]').inner_text()
    assert "No positions released to your organisation" in entry
    for name in ("Joint Operations Command", "Kurdistan Region Security Council"):
        assert name not in page.content()
    _shot(opened, node, "analysis-observer-coverage")
    opened.assert_clean()
    page.context.close()


def test_a_layer_that_fails_says_why_next_to_its_switch(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    opened = _open_map(browser, node, "watch")
    page = opened.page
    # Six months are too few steps for emerging hot spots: the node answers 400.
    page.locator('[data-testid="filter-from"]').fill("2016-01-01")
    page.locator('[data-testid="filter-to"]').fill("2016-06-30")
    opened.wait_for_incidents()
    page.locator('[data-testid="analysis-toggle-emerging"]').check()
    page.wait_for_function("() => document.querySelector('#map').dataset.analysisEmerging")
    page.wait_for_function(
        "() => document.querySelector('#map').dataset.analysisEmerging === 'error'"
    )

    status = page.locator('[data-testid="analysis-status-emerging"]').inner_text()
    assert status.startswith("Emerging hot spots: ")
    assert "at least 10 time steps" in status
    assert page.locator("path.analysis-emerging").count() == 0
    _shot(opened, node, "analysis-emerging-error")
    # The browser logs the 400 itself; nothing else went wrong.
    assert all("400" in error for error in opened.console_errors)
    page.context.close()


def _cells(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of H3 cells' hexagons with `rows` as their properties."""
    features = []
    for row in rows:
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(row["cell"])]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": row,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _answer_with(body: dict[str, Any]) -> Callable[[Route], None]:
    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="application/geo+json", body=json.dumps(body))

    return answer


def test_hot_spot_and_emerging_classes_get_their_colours_and_only_theirs_in_the_legend(
    browser: Browser,  # noqa: F811
    node: Node,
) -> None:
    """The shipped events make no significant hot spot (see the API tests' planted cluster):
    here the node's answers are replaced by a hot cell at 99% and a cold one at 95%, and two
    emerging patterns."""
    mosul, kirkuk = h3.latlng_to_cell(36.34, 43.13, 6), h3.latlng_to_cell(35.47, 44.39, 6)
    spots = _cells(
        [
            {"cell": mosul, "gi_bin": 3, "count": 120, "z": 9.5, "p": 0.001, "p_fdr": 0.004},
            {"cell": kirkuk, "gi_bin": -2, "count": 0, "z": -2.1, "p": 0.02, "p_fdr": 0.04},
        ]
    )
    patterns = _cells(
        [
            {"cell": mosul, "pattern": "Intensifying Hot Spot", "key": "intensifying-hot"},
            {"cell": kirkuk, "pattern": "Historical Cold Spot", "key": "historical-cold"},
        ]
    )
    opened = _open_map(browser, node, "watch")
    page = opened.page
    for name, body in (("hotspots", spots), ("emerging", patterns)):
        page.route(f"**/api/analysis/{name}.geojson*", _answer_with(body))

    _switch_on(opened, "hotspots")
    _switch_on(opened, "emerging")

    assert page.locator("path.analysis-hotspots.gi-hot-3").count() == 1
    assert page.locator("path.analysis-hotspots.gi-cold-2").count() == 1
    spots_legend = page.locator('[data-testid="legend-analysis-hotspots"] li').all_inner_texts()
    assert spots_legend == ["Hot spot, 99% confidence", "Cold spot, 95% confidence"]
    emerging_legend = page.locator('[data-testid="legend-analysis-emerging"] li').all_inner_texts()
    assert emerging_legend == ["Intensifying Hot Spot", "Historical Cold Spot"]
    fills = page.evaluate(
        """() => ['gi-hot-3', 'gi-cold-2', 'em-intensifying-hot', 'em-historical-cold']
            .map((c) => getComputedStyle(document.querySelector('path.' + c)).fill)"""
    )
    assert len(set(fills)) == 4  # four classes, four colours
    page.locator(".leaflet-control-layers label", has_text="Incidents").locator("input").uncheck()
    page.locator('[data-testid="analysis-toggle-emerging"]').uncheck()  # drawn over the spots
    click_uncovered(page, "path.gi-hot-3")
    popup = page.locator('[data-testid="hotspot-popup"]')
    popup.wait_for()
    assert popup.locator(".popup-title").inner_text() == "Hot spot, 99% confidence"
    assert popup.locator('dd[data-field="z"]').inner_text() == "9.5"
    assert popup.locator('dd[data-field="p_fdr"]').inner_text() == "0.004"
    _shot(opened, node, "analysis-hotspots-planted")
    opened.assert_clean()
    page.context.close()
