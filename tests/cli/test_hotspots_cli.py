"""`tansiq hotspots` and `tansiq hotspots emerging` on SQLite and PostgreSQL, in-process, on the
shipped UCDP events of 2015-2017 imported by `tansiq import ucdp`."""

from __future__ import annotations

import json
from pathlib import Path

import h3
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from tansiq.analysis.emerging import PATTERNS
from tansiq.analysis.hotspots import gi_star
from tansiq.cli import app
from tansiq.errors import InvalidInput
from tansiq.geo.locator import AreaLocator
from tansiq.importing import ImportRequest, import_file
from tansiq.settings import Settings
from tansiq.store.database import reading
from tansiq.store.events import event_arrays
from tests.conftest import frozen_clock
from tests.factories import shipped_ucdp_years

YEARS = ("2015", "2016", "2017")


def run(*args: str, db: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", db])


@pytest.fixture
def loaded(
    engine: Engine, db_url: str, tmp_path: Path, locator: AreaLocator
) -> tuple[str, list[dict[str, str]]]:
    """A node holding the 2015-2017 events, imported as `tansiq import ucdp` does (with the
    session's locator, built once); the URL and the rows as dicts."""
    rows = shipped_ucdp_years(tmp_path / "ucdp.csv", 2015, 2017)
    request = ImportRequest(tmp_path / "ucdp.csv", "ucdp")
    summary = import_file(engine, request, Settings(db=db_url), locator, frozen_clock)
    assert summary.imported == len(rows)
    return db_url, rows


def test_hotspots_json_is_gi_star_of_the_stored_incidents(
    loaded: tuple[str, list[dict[str, str]]], engine: Engine
) -> None:
    db, rows = loaded
    args = ("hotspots", "--res", "6", "--permutations", "99", "--seed", "3", "--all")

    listed = json.loads(run(*args, "--json", db=db).stdout)
    collection = json.loads(run(*args, "--geojson", db=db).stdout)

    with reading(engine) as conn:
        expected = gi_star(event_arrays(conn), 6, 99, 3).rows(significant_only=False)
    assert listed == expected
    assert sum(row["count"] for row in listed) == len(rows)
    first = h3.latlng_to_cell(float(rows[0]["latitude"]), float(rows[0]["longitude"]), 6)
    assert any(row["cell"] == first and row["count"] >= 1 for row in listed)
    features = collection["features"]
    assert [f["properties"] for f in features] == listed
    lon, lat = features[0]["geometry"]["coordinates"][0][0]
    assert 38 < lon < 49
    assert 29 < lat < 38


def test_hotspots_table_and_date_range(loaded: tuple[str, list[dict[str, str]]]) -> None:
    db, rows = loaded
    in_2016 = sum(row["date_start"].startswith("2016") for row in rows)

    listed = json.loads(
        run(
            "hotspots", "--from", "2016-01-01", "--to", "2016-12-31", "--permutations", "9",
            "--all", "--json", db=db,
        ).stdout
    )  # fmt: skip
    table = run("hotspots", "--res", "5", "--permutations", "49", db=db)

    assert sum(row["count"] for row in listed) == in_2016
    assert all(h3.get_resolution(row["cell"]) == 7 for row in listed)
    assert table.exit_code == 0
    assert f"{len(rows):,} incidents in" in table.stderr
    assert "hot and" in table.stderr
    assert "p_fdr" in table.stdout


def test_normal_p_values_are_asked_for_by_name(loaded: tuple[str, list[dict[str, str]]]) -> None:
    db, _ = loaded
    permuted = run("hotspots", "--res", "6", "--permutations", "99", db=db)
    normal = run("hotspots", "--res", "6", "--p-value", "normal", db=db)
    wrong = run("hotspots", "--p-value", "exact", db=db)

    said = " ".join(permuted.stderr.split())  # rich wraps lines at the terminal's width
    assert "--p-value normal" in said  # the hint when nothing passes FDR
    assert "0 hot and 0 cold" in said
    assert normal.exit_code == 0
    assert "normal p-values: 14 hot" in " ".join(normal.stderr.split())
    assert "Hot Spot" in normal.stdout
    assert wrong.exit_code == 1
    assert isinstance(wrong.exception, InvalidInput)
    assert "p-value must be one of permutation, normal" in str(wrong.exception)


def test_emerging_lists_a_pattern_per_cell(loaded: tuple[str, list[dict[str, str]]]) -> None:
    db, rows = loaded

    listed = json.loads(run("hotspots", "emerging", "--res", "5", "--all", "--json", db=db).stdout)
    table = run("hotspots", "emerging", "--res", "5", db=db)
    found = json.loads(run("hotspots", "emerging", "--res", "5", "--geojson", db=db).stdout)

    assert sum(row["count"] for row in listed) == len(rows)
    assert {row["pattern"] for row in listed} <= set(PATTERNS)
    assert all(0 <= row["hot_steps"] <= 36 for row in listed)
    assert table.exit_code == 0
    assert "x 36 months (2015-01 to 2017-12)" in table.stderr
    patterned = [row for row in listed if row["pattern"] != "No Pattern Detected"]
    assert [f["properties"]["cell"] for f in found["features"]] == [r["cell"] for r in patterned]


BAD_INPUT = [
    (("hotspots", "--from", "2017-01-01", "--to", "2016-01-01"), "is after --to"),
    (("hotspots", "--res", "12"), "H3 resolution must be 4 to 9"),
    (("hotspots", "--from", "2019-01-01"), "no incidents from 2019-01-01"),
    (("hotspots", "--json", "--geojson"), "choose one of --json and --geojson"),
    (("hotspots", "--permutations", "0"), "permutations must be"),
    (("hotspots", "emerging", "--res", "3"), "H3 resolution must be 4 to 9"),
    (("hotspots", "emerging", "--from", "2017-06-01"), "at least 10 time steps"),
    (("hotspots", "emerging", "--to", "2010-12-31"), "no incidents from the start"),
]


def test_bad_input_is_a_clear_error(loaded: tuple[str, list[dict[str, str]]]) -> None:
    for args, message in BAD_INPUT:
        done = run(*args, db=loaded[0])

        assert done.exit_code == 1, args
        assert isinstance(done.exception, InvalidInput), args
        assert message in str(done.exception)
        assert done.stdout == ""

    bad_day = run("hotspots", "--from", "2016-13-01", db=loaded[0])
    assert bad_day.exit_code == 2
    assert "--from" in bad_day.stderr
