"""The analysis layers over HTTP: GeoJSON shapes on the shipped UCDP events, answers kept until
an import changes the incidents, problem+json for bad parameters, 401 without a caller, and
coverage drawn only from the positions released to the caller's partner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import positions
from tansiq.api.app import create_app
from tansiq.api.result_cache import ResultCache, results
from tansiq.demo_positions import demo_positions
from tansiq.geo.locator import AreaLocator
from tansiq.importing import ImportRequest, import_file
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW, frozen_clock
from tests.factories import shipped_ucdp_years
from tests.importers.files import ucdp_file
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"
LAYERS = [
    "/api/analysis/hotspots.geojson",
    "/api/analysis/risk.geojson",
    "/api/analysis/coverage.geojson",
    "/api/analysis/emerging.geojson",
    "/api/analysis/placement.geojson",
]
PATTERN_KEYS = {
    f"{kind}-{side}"
    for kind in (
        "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
        "oscillating", "historical",
    )
    for side in ("hot", "cold")
}  # fmt: skip


def _years(path: Path, first: int, last: int) -> Path:
    shipped_ucdp_years(path, first, last)
    return path


def load(engine: Engine, settings: Settings, locator: AreaLocator, path: Path) -> None:
    import_file(engine, ImportRequest(path, "ucdp"), settings, locator, frozen_clock)


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(
    engine: Engine, settings: Settings, locator: AreaLocator, people: dict[str, Account]
) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    app.state.clock = frozen_clock
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def imported(engine: Engine, settings: Settings, locator: AreaLocator, tmp_path: Path) -> None:
    """The shipped events of 2014 and 2015 (the fall of Mosul and after)."""
    load(engine, settings, locator, _years(tmp_path / "ged-2014.csv", 2014, 2015))


def _get(client: TestClient, people: dict[str, Account], who: str, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {people[who].token}"}
    return client.get(path, params=params, headers=headers)


def _decimals(collection: dict[str, Any]) -> int:
    """The most decimals of any coordinate in the collection."""
    text = str([f["geometry"] for f in collection["features"]])
    return max((len(d) for d in re.findall(r"\.(\d+)", text)), default=0)


@pytest.mark.parametrize("path", LAYERS)
def test_every_layer_needs_a_caller(client: TestClient, path: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.usefixtures("imported")
def test_hot_spots_are_hexagons_of_the_studied_cells(
    client: TestClient, people: dict[str, Account]
) -> None:
    answer = _get(client, people, "krg-analyst", LAYERS[0], res=5)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    layer = answer.json()
    assert layer["res"] == 5
    assert layer["permutations"] == 999
    assert layer["incidents"] > 1000  # 2014-15, located to a district or better
    assert layer["cells"] > 100
    for feature in layer["features"]:
        assert feature["geometry"]["type"] == "Polygon"
        assert len(feature["geometry"]["coordinates"][0]) == 7  # a closed hexagon
        props = feature["properties"]
        assert props["gi_bin"] in (3, 2, 1, -1, -2, -3)
        assert props["p_fdr"] <= 0.10
    assert _decimals(layer) <= 5


@pytest.mark.usefixtures("imported")
def test_normal_p_values_find_the_rings_around_mosul_and_baghdad(
    client: TestClient, people: dict[str, Account], locator: AreaLocator
) -> None:
    # On these events permutation p-values leave no cell significant after FDR (a few hundred
    # snapped places: see tansiq.analysis.hotspots); the z-scores' normal p-values, which the
    # map asks for, mark the busiest towns' surroundings.
    permuted = _get(client, people, "joc-analyst", LAYERS[0]).json()
    normal = _get(client, people, "joc-analyst", LAYERS[0], p="normal").json()

    assert permuted["p_value"] == "permutation"
    assert normal["p_value"] == "normal"
    assert normal["permutations"] == 0
    hot = [f["properties"] for f in normal["features"] if f["properties"]["gi_bin"] > 0]
    assert len(hot) > len(permuted["features"])
    districts = set()
    for spot in hot:
        lat, lon = h3.cell_to_latlng(spot["cell"])
        districts.add(locator.locate(lat, lon).adm2_en)
    assert {"Al-Mosul"} <= districts
    assert districts & {"Al-Risafa", "Al-Karkh", "Al-Adhamiya", "Al-Thawra", "Al-Kadhmiyah"}


@pytest.mark.usefixtures("imported")
def test_the_dates_choose_the_incidents(client: TestClient, people: dict[str, Account]) -> None:
    whole = _get(client, people, "joc-analyst", LAYERS[0]).json()
    year = _get(client, people, "joc-analyst", LAYERS[0], **{"from": "2015-01-01"}).json()

    assert year["from"] == "2015-01-01"
    assert 0 < year["incidents"] < whole["incidents"]


@pytest.mark.usefixtures("imported")
def test_next_months_risk_lists_cells_highest_first(
    client: TestClient, people: dict[str, Account]
) -> None:
    layer = _get(client, people, "jcc-analyst", LAYERS[1]).json()

    assert layer["month"] == "2016-01"  # the month after the latest incident
    expected = [f["properties"]["expected"] for f in layer["features"]]
    assert expected == sorted(expected, reverse=True)
    assert min(expected) > 0
    assert [f["properties"]["rank"] for f in layer["features"]] == list(range(1, len(expected) + 1))
    assert layer["cells"] == len(expected)
    assert sum(expected) == pytest.approx(layer["total_expected"], abs=0.01)
    top = _get(client, people, "jcc-analyst", LAYERS[1], limit=3).json()
    assert [f["properties"] for f in top["features"]] == [
        f["properties"] for f in layer["features"][:3]
    ]
    earlier = _get(client, people, "jcc-analyst", LAYERS[1], month="2015-01").json()
    assert earlier["month"] == "2015-01"
    assert earlier["features"] != layer["features"]  # from 2014 alone


def test_an_import_changes_the_answer_and_a_repeat_is_kept(
    client: TestClient,
    people: dict[str, Account],
    engine: Engine,
    settings: Settings,
    locator: AreaLocator,
    tmp_path: Path,
) -> None:
    load(engine, settings, locator, _years(tmp_path / "a.csv", 2014, 2014))
    risk = _get(client, people, "joc-analyst", LAYERS[1]).json()
    spots = _get(client, people, "joc-analyst", LAYERS[0]).json()
    kept = len(results(client.app.state))
    assert _get(client, people, "krg-analyst", LAYERS[1]).json() == risk  # the same answer
    assert len(results(client.app.state)) == kept  # ... kept, not computed again

    load(engine, settings, locator, _years(tmp_path / "b.csv", 2015, 2015))

    assert risk["month"] == "2015-01"
    assert _get(client, people, "joc-analyst", LAYERS[1]).json()["month"] == "2016-01"
    assert _get(client, people, "joc-analyst", LAYERS[0]).json()["incidents"] > spots["incidents"]


def test_the_cache_keeps_the_most_recent_answers_and_computes_each_once() -> None:
    cache = ResultCache(size=2)
    calls: list[str] = []

    def compute(name: str) -> Any:
        return lambda: calls.append(name) or name.upper()

    assert cache.get_or_compute("a", compute("a")) == "A"
    assert cache.get_or_compute("b", compute("b")) == "B"
    assert cache.get_or_compute("a", compute("a")) == "A"  # kept: now the most recent
    assert cache.get_or_compute("c", compute("c")) == "C"  # b, the least recent, goes
    assert cache.get_or_compute("b", compute("b")) == "B"
    assert calls == ["a", "b", "c", "b"]
    assert len(cache) == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (LAYERS[0], {"res": 8}),  # 999 permutations on that many cells: minutes
        (LAYERS[0], {"res": 3}),
        (LAYERS[0], {"res": "six"}),
        (LAYERS[0], {"from": "2015-02-30"}),
        (LAYERS[0], {"from": "2016-01-01", "to": "2015-01-01"}),
        (LAYERS[1], {"month": "2015-13"}),
        (LAYERS[1], {"month": "January"}),
        (LAYERS[1], {"res": 9}),
        (LAYERS[1], {"limit": 0}),
        (LAYERS[2], {"at": "yesterday"}),
        (LAYERS[3], {"res": 8}),
        (LAYERS[3], {"from": "2015-01-01", "to": "2015-06-30"}),  # 6 months: under 10 steps
        (LAYERS[4], {"k": 0}),
        (LAYERS[4], {"k": 21}),
        (LAYERS[4], {"radius_km": 0}),
        (LAYERS[4], {"radius_km": 51}),
        (LAYERS[4], {"radius_km": "nan"}),
        (LAYERS[4], {"month": "2015-1"}),
        (LAYERS[0], {"p": "exact"}),
    ],
)
def test_a_bad_parameter_is_a_problem(
    client: TestClient, people: dict[str, Account], path: str, params: dict[str, Any]
) -> None:
    answer = _get(client, people, "joc-analyst", path, **params)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"]


@pytest.fixture
def demo(engine: Engine, locator: AreaLocator, people: dict[str, Account]) -> None:
    """The demo's synthetic positions: joc's released to krg, krg's to joc; none to jcc."""
    with writing(engine) as conn:
        positions.save(conn, locator, demo_positions(None), "test", FROZEN_NOW)


def _layers(collection: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for feature in collection["features"]:
        found.setdefault(feature["properties"]["layer"], []).append(feature["properties"])
    return found


@pytest.mark.usefixtures("demo")
def test_coverage_shows_both_sides_to_a_partner_each_released_to(
    client: TestClient, people: dict[str, Account]
) -> None:
    layer = _get(client, people, "joc-analyst", LAYERS[2]).json()

    parts = _layers(layer)
    assert {p["partner"] for p in parts["partner"]} == {"joc", "krg"}
    assert {p["partner_name"] for p in parts["partner"]} == {
        "Joint Operations Command",
        "Kurdistan Region Security Council",
    }
    assert set(parts) == {"partner", "overlap", "uncovered", "seam"}
    assert layer["at"] == FROZEN_NOW.date().isoformat()
    assert layer["positions"] > 10
    assert 0 < layer["uncovered_km2"] < layer["disputed_km2"]
    assert layer["seam_km2"] > 0
    assert _decimals(layer) <= 5


@pytest.mark.usefixtures("demo")
def test_a_partner_nothing_is_released_to_gets_no_coverage_of_the_other_side(
    client: TestClient, people: dict[str, Account], engine: Engine
) -> None:
    layer = _get(client, people, "jcc-analyst", LAYERS[2]).json()

    assert layer["positions"] == 0
    assert set(_layers(layer)) == {"uncovered"}  # the whole territory; no partner, no seam
    assert layer["uncovered_km2"] == layer["disputed_km2"]
    with reading(engine) as conn:
        reads = [e for e in audit.entries(conn) if e.actor == "jcc-analyst" and e.action == "read"]
    assert reads == []


@pytest.mark.usefixtures("demo")
def test_coverage_reads_of_positions_are_audited(
    client: TestClient, people: dict[str, Account], engine: Engine
) -> None:
    layer = _get(client, people, "krg-analyst", LAYERS[2]).json()

    with reading(engine) as conn:
        reads = [e for e in audit.entries(conn) if e.actor == "krg-analyst" and e.action == "read"]
    assert len(reads) == 1
    assert reads[0].detail["count"] == layer["positions"]


@pytest.mark.usefixtures("demo")
def test_coverage_on_a_day_takes_the_positions_active_that_day(
    client: TestClient, people: dict[str, Account]
) -> None:
    before = _get(client, people, "joc-analyst", LAYERS[2], at="2000-01-01").json()

    assert before["positions"] == 0  # the demo's positions start later
    assert set(_layers(before)) == {"uncovered"}


@pytest.mark.usefixtures("imported")
def test_emerging_hot_spots_name_each_cells_pattern(
    client: TestClient, people: dict[str, Account]
) -> None:
    layer = _get(client, people, "krg-analyst", LAYERS[3]).json()

    assert layer["unit"] == "month"  # 24 months: monthly steps
    assert layer["steps"] == 24
    assert layer["features"], "the fall of Mosul makes patterns"
    for feature in layer["features"]:
        props = feature["properties"]
        assert props["key"] in PATTERN_KEYS
        assert props["pattern"].lower().startswith(props["key"].split("-")[0])
        assert len(feature["geometry"]["coordinates"][0]) == 7
    assert _decimals(layer) <= 5


@pytest.mark.usefixtures("imported", "demo")
def test_recommended_sites_are_ranked_with_the_risk_they_cover(
    client: TestClient, people: dict[str, Account]
) -> None:
    layer = _get(client, people, "joc-analyst", LAYERS[4], k=3, radius_km=15).json()

    assert [f["properties"]["rank"] for f in layer["features"]] == [1, 2, 3]
    gains = [f["properties"]["gain"] for f in layer["features"]]
    assert gains == sorted(gains, reverse=True)
    assert min(gains) > 0
    assert layer["covered_after"] == pytest.approx(layer["covered_before"] + sum(gains), abs=1e-3)
    assert layer["features"][-1]["properties"]["cumulative"] == pytest.approx(
        layer["covered_after"], abs=1e-3
    )
    assert layer["month"] == "2016-01"
    assert layer["positions"] > 10
    for feature in layer["features"]:
        assert feature["geometry"]["type"] == "Point"
    assert _decimals(layer) <= 5


@pytest.mark.usefixtures("imported", "demo")
def test_recommended_sites_count_only_the_positions_released_to_the_caller(
    client: TestClient, people: dict[str, Account]
) -> None:
    both = _get(client, people, "joc-analyst", LAYERS[4], radius_km=15).json()
    none = _get(client, people, "jcc-analyst", LAYERS[4], radius_km=15).json()

    assert none["positions"] == 0
    assert none["covered_before"] == 0
    assert both["covered_before"] > 0  # the demo's positions already cover some risk
    assert none["total"] == both["total"]


def test_a_planted_cluster_is_drawn_as_hot_spots(
    client: TestClient,
    people: dict[str, Account],
    engine: Engine,
    settings: Settings,
    locator: AreaLocator,
    tmp_path: Path,
) -> None:
    """Twenty incidents in each of seven neighbouring cells near Kirkuk among 200 shipped ones
    scattered over Iraq: the seven are hot spots, and nothing else is."""
    centre = h3.latlng_to_cell(35.47, 44.39, 6)
    cluster = sorted(h3.grid_disk(centre, 1))
    moved = {}
    for n in range(140):
        lat, lon = h3.cell_to_latlng(cluster[n % 7])
        moved[n] = {"latitude": f"{lat:.5f}", "longitude": f"{lon:.5f}", "where_prec": "1"}
    load(engine, settings, locator, ucdp_file(tmp_path / "ged.csv", moved, count=200))

    layer = _get(client, people, "joc-analyst", LAYERS[0], res=6).json()

    hot = {f["properties"]["cell"] for f in layer["features"] if f["properties"]["gi_bin"] > 0}
    assert centre in hot
    assert hot <= set(cluster)
    assert all(f["properties"]["gi_bin"] > 0 for f in layer["features"])
    assert _decimals(layer) <= 5
