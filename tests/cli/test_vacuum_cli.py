"""`tansiq vacuum`: coverage of the disputed districts as one viewer may see it, run in-process."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from tansiq.accounts import create_user
from tansiq.analysis.coverage import disputed_units
from tansiq.cli import app
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput, NotFound
from tansiq.store.audit import latest
from tansiq.store.database import reading, writing
from tansiq.store.partners import add_partner, set_node_partner
from tests.conftest import FROZEN_NOW, SHIPPED_UCDP


def tansiq(*args: str, db: str) -> Result:
    """`tansiq ARGS --db DB` in this process (errors stay in result.exception, as main sees)."""
    return CliRunner().invoke(app, [*args, "--db", db])


def report(*args: str, db: str) -> dict[str, Any]:
    done = tansiq("vacuum", *args, "--json", db=db)
    assert done.exit_code == 0, done.output
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def node(engine: Engine, db_url: str) -> str:
    """A joint centre's node (jcc) knowing joc, krg and an observer with nothing released to it;
    a user of each."""
    with writing(engine) as conn:
        for code in ("jcc", "joc", "krg", "obs"):
            add_partner(conn, code, code.upper(), None, FROZEN_NOW)
        set_node_partner(conn, "jcc")
        for name, partner in (("ana", "jcc"), ("omar", "joc"), ("kawa", "krg"), ("olga", "obs")):
            create_user(conn, name, partner, Role.WATCH, None, FROZEN_NOW)
    return db_url


def disputed_ucdp_since_2014(path: Path) -> Path:
    """The shipped UCDP rows from 2014 on inside the disputed districts, unchanged: all that the
    vacuum counts (2017's incidents) and the forecast for 2018-01 reads (its 36 months)."""
    territory = shapely.union_all([u.geometry for u in disputed_units()])
    with SHIPPED_UCDP.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
        rows = csv.reader(source)
        writer = csv.writer(out)
        header = next(rows)
        writer.writerow(header)
        at = {name: header.index(name) for name in ("id", "date_start", "latitude", "longitude")}
        for row in rows:
            if row[at["id"]] and row[at["date_start"]] >= "2014-01-01":
                lat, lon = float(row[at["latitude"]]), float(row[at["longitude"]])
                if shapely.contains_xy(territory, lon, lat):
                    writer.writerow(row)
    return path


def write_positions(path: Path, *rows: str) -> Path:
    header = "partner,kind,name,lat,lon,radius_m,active_from,active_to,releasable_to"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


# Kirkuk: joc's released to nobody (the default), krg's to the joint centre.
KIRKUK_POSITIONS = (
    "joc,checkpoint,JOC CP 1 (synthetic),35.44,44.39,1500,2024-01-01,,",
    "joc,base,JOC summer base (synthetic),35.30,44.20,6000,2024-05-01,2024-09-30,",
    "krg,checkpoint,KRG CP 1 (synthetic),35.52,44.40,1500,2024-01-01,,jcc",
)


@pytest.mark.slow  # 3-8 s: an incident import and the demo's positions
def test_demo_positions_on_real_incidents_leave_a_vacuum_and_a_seam(
    node: str, tmp_path: Path
) -> None:
    incidents = disputed_ucdp_since_2014(tmp_path / "ucdp.csv")
    assert tansiq("import", "ucdp", str(incidents), db=node).exit_code == 0
    assert tansiq("positions", "demo", db=node).exit_code == 0

    found = report("--at", "2024-07-01", db=node)

    assert found["viewer"] == "console"
    assert [p["partner"] for p in found["partners"]] == ["joc", "krg"]
    assert sum(p["positions"] for p in found["partners"]) == 21  # the summer patrols too
    assert 0 < found["uncovered_km2"] < found["disputed_km2"]
    assert 0.5 < found["uncovered_share"] < 1
    assert 0 < found["seam_km2"] < found["uncovered_km2"]
    # The 12 months up to the latest well-located incident (2017-12-09), not up to --at.
    assert (found["incidents"]["from"], found["incidents"]["to"]) == ("2016-12-10", "2017-12-09")
    assert 0 < found["incidents"]["uncovered"] < found["incidents"]["in_disputed"]
    risk = found["risk"]
    assert (risk["month"], risk["res"]) == ("2018-01", 7)
    assert 0 < risk["expected_uncovered"] < risk["expected_in_disputed"]
    assert len(risk["top_cells"]) == 10
    expected = [c["expected"] for c in risk["top_cells"]]
    assert expected == sorted(expected, reverse=True)

    layers = json.loads(tansiq("vacuum", "--at", "2024-07-01", "--geojson", db=node).stdout)
    names = [f["properties"]["layer"] for f in layers["features"]]
    assert names == ["coverage:joc", "coverage:krg", "overlap", "uncovered", "seam"]
    seam = next(f for f in layers["features"] if f["properties"]["layer"] == "seam")
    assert seam["properties"]["area_km2"] == pytest.approx(found["seam_km2"], rel=1e-3)

    table = tansiq("vacuum", "--at", "2024-07-01", db=node).stdout
    assert "Uncovered risk cells" in table
    assert "seam (within 15 km of both)" in table


def test_a_viewer_sees_only_the_coverage_released_to_it(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_positions(tmp_path / "p.csv", *KIRKUK_POSITIONS)
    assert tansiq("positions", "import", str(path), db=node).exit_code == 0

    def partners(*who: str) -> dict[str, int]:
        found = report("--at", "2024-07-01", *who, db=node)
        return {p["partner"]: p["positions"] for p in found["partners"]}

    assert partners() == {"krg": 1}  # the node administrator sees through jcc
    assert partners("--as", "ana") == {"krg": 1}
    assert partners("--as", "omar") == {"joc": 2}
    assert partners("--as", "kawa") == {"krg": 1}
    blind = report("--at", "2024-07-01", "--as", "olga", db=node)
    assert blind["partners"] == []
    assert blind["uncovered_km2"] == pytest.approx(blind["disputed_km2"])
    assert blind["seam_km2"] == 0
    assert blind["incidents"]["from"] is None  # no incidents on this node
    assert blind["risk"]["month"] is None
    with reading(engine) as conn:
        reads = [e for e in latest(conn, 20) if e.action == "read" and e.subject == "cli"]
    assert [(e.actor, e.detail["count"]) for e in reads] == [
        ("console", 1),
        ("ana", 1),
        ("omar", 2),
        ("kawa", 1),
    ]  # each read of marked positions audited; olga read none


def test_at_counts_positions_active_on_that_day(node: str, tmp_path: Path) -> None:
    path = write_positions(tmp_path / "p.csv", *KIRKUK_POSITIONS)
    assert tansiq("positions", "import", str(path), db=node).exit_code == 0

    def joc(day: str) -> float:
        found = report("--at", day, "--as", "omar", db=node)
        return float(sum(p["coverage_km2"] for p in found["partners"]))

    assert joc("2023-12-31") == 0
    small, summer, last, after = (
        joc("2024-04-30"),
        joc("2024-05-01"),
        joc("2024-09-30"),
        joc("2024-10-01"),
    )
    assert small == pytest.approx(7.07, abs=0.02)  # pi x 1.5 km squared
    assert summer == last == pytest.approx(small + 113.1, abs=0.2)  # and pi x 6 km squared
    assert after == small


@pytest.mark.parametrize(
    ("args", "error", "says"),
    [
        (("--at", "2024-13-01"), InvalidInput, "--at must be a day"),
        (("--seam-km", "-1"), InvalidInput, "--seam-km"),
        (("--res", "12"), InvalidInput, "H3 resolution"),
        (("--json", "--geojson"), InvalidInput, "choose one"),
        (("--from", "2017-06-01", "--to", "2017-01-01"), InvalidInput, "after --to"),
        (("--as", "nobody"), NotFound, "nobody"),
    ],
)
def test_bad_options_are_one_clear_error(
    node: str, args: tuple[str, ...], error: type[Exception], says: str
) -> None:
    done = tansiq("vacuum", *args, db=node)

    assert isinstance(done.exception, error)
    assert says in str(done.exception)
