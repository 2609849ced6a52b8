"""`tansiq placement` on SQLite and PostgreSQL, in-process: the shipped UCDP events of 2015-2017
imported by `tansiq import ucdp`, the demo's synthetic positions, and the node's viewers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tansiq.analysis import coverage
from tansiq.analysis.region import cell_centres
from tansiq.cli import app
from tansiq.domain.areas import AreaLevel
from tansiq.domain.positions import Period, PositionFilter
from tansiq.errors import InvalidInput, NotFound
from tansiq.geo.reference import areas
from tansiq.risk import next_month_risk
from tansiq.store.audit import latest
from tansiq.store.database import create_db_engine, reading
from tansiq.store.positions import find_positions
from tests.factories import shipped_ucdp_years

AT = "2026-11-25"
PLAN = ("placement", "--k", "5", "--radius-km", "10", "--month", "2018-01", "--at", AT)


def run(*args: str, db: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", db])


def ok(*args: str, db: str) -> Result:
    done = run(*args, db=db)
    assert done.exit_code == 0, done.output
    return done


@pytest.fixture
def node(db_url: str, tmp_path: Path) -> str:
    """A jcc node with the events, the demo positions, and an observer whose partner nothing
    is released to."""
    ok("init", "--partner", "jcc", db=db_url)
    shipped_ucdp_years(tmp_path / "ucdp.csv", 2015, 2017)  # the 36 months before 2018-01
    ok("import", "ucdp", str(tmp_path / "ucdp.csv"), db=db_url)
    ok("positions", "demo", db=db_url)
    ok("partners", "add", "obs", "--name", "Observers", db=db_url)
    ok("users", "add", "olga", "--partner", "obs", "--role", "analyst", db=db_url)
    return db_url


def _before(db: str, as_user: str | None) -> tuple[int, float, float]:
    """Positions the viewer sees active on AT, the risk they cover, and the total risk."""
    from tansiq.commands.accounts import acting

    engine = create_db_engine(db)
    with reading(engine) as conn:
        viewer = acting(conn, as_user).viewer
        rows = find_positions(
            conn, viewer, PositionFilter(active=Period.day(date.fromisoformat(AT)))
        )
        risk = next_month_risk(conn, "2018-01", 7)
    engine.dispose()
    lat, lon = cell_centres(list(risk.cells))
    covered = coverage.covered(coverage.sites_from_records(rows), lat, lon)
    return len(rows), float(risk.expected[covered].sum()), float(risk.expected.sum())


@pytest.mark.slow
def test_placement_recommends_sites_in_the_disputed_districts_on_real_data(node: str) -> None:
    found = json.loads(ok(*PLAN, "--json", db=node).stdout)
    table = ok(*PLAN, db=node).stdout
    collection = json.loads(ok(*PLAN, "--time-limit", "0", "--geojson", db=node).stdout)

    positions, before, total = _before(node, None)
    risk = found["risk"]
    assert found["month"] == "2018-01"
    assert found["existing_positions"] == positions > 10
    assert risk["total"] == pytest.approx(total)
    assert risk["before"] == pytest.approx(before)
    assert 0 < risk["before"] < risk["after_greedy"] <= risk["after_exact"] + 1e-9 <= total + 1e-9
    assert found["exact"]["proven_optimal"]
    assert found["exact"]["gap"] == 0.0
    sites = found["sites"]
    assert [s["rank"] for s in sites] == [1, 2, 3, 4, 5]
    gains = [s["risk_added"] for s in sites]
    assert gains == sorted(gains, reverse=True)
    after = risk["after_exact"] if found["method"] == "exact" else risk["after_greedy"]
    assert risk["before"] + sum(gains) == pytest.approx(after)
    disputed = {a.pcode for a in areas() if a.disputed and a.level == AreaLevel.DISTRICT}
    assert all(s["adm2_pcode"] in disputed for s in sites)  # Mandali lies in Baladrooz: none here
    assert len({(s["latitude"], s["longitude"]) for s in sites}) == 5
    # Mosul's incidents sit just outside Tilkaef and Al-Hamdaniya: the first site is near them.
    assert sites[0]["district"] in {"Tilkaef", "Al-Hamdaniya"}
    assert "covered before:" in table
    assert "after greedy:" in table
    assert "after exact:" in table
    assert "proven optimal" in table
    assert sites[0]["district"] in table
    assert collection["type"] == "FeatureCollection"
    points = [f["geometry"]["coordinates"] for f in collection["features"]]
    assert collection["placement"]["risk"]["after_greedy"] == pytest.approx(risk["after_greedy"])
    assert collection["placement"]["exact"] is None
    assert len(points) == 5
    assert all(38 < lon < 49 and 29 < lat < 38 for lon, lat in points)


def test_a_viewer_counts_only_the_positions_released_to_them(node: str) -> None:
    admin = json.loads(ok(*PLAN, "--time-limit", "0", "--json", db=node).stdout)
    observer = json.loads(ok(*PLAN, "--time-limit", "0", "--as", "olga", "--json", db=node).stdout)
    earlier = json.loads(
        ok(*PLAN[:-2], "--at", "2001-01-01", "--time-limit", "0", "--json", db=node).stdout
    )

    assert _before(node, "olga")[:2] == (0, 0.0)
    engine = create_db_engine(node)
    with reading(engine) as conn:
        reads = [e for e in latest(conn, 20) if e.action == "read" and e.subject == "cli"]
    engine.dispose()
    # The administrator's read of marked positions is audited; olga's and the earlier day's
    # read none.
    assert [(e.actor, e.detail["count"]) for e in reads] == [
        ("console", admin["existing_positions"])
    ]
    assert observer["existing_positions"] == 0
    assert observer["risk"]["before"] == 0.0
    assert admin["risk"]["before"] > 0.0
    assert observer["risk"]["total"] == pytest.approx(admin["risk"]["total"])
    assert observer["exact"] is None
    # What the admin's positions cover is not offered again as new coverage.
    assert admin["risk"]["after_greedy"] - admin["risk"]["before"] <= (
        observer["risk"]["after_greedy"] + 1e-9
    )
    # No position is active before the demo set starts.
    assert earlier["existing_positions"] == 0
    assert earlier["risk"]["before"] == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--k", "0", "--radius-km", "10"), "k must be at least 1"),
        (("--k", "100000", "--radius-km", "10"), "k must be 1 to"),
        (("--k", "3", "--radius-km", "0"), "radius must be more than 0"),
        (("--k", "3", "--radius-km", "-4"), "radius must be more than 0"),
        (("--k", "3", "--radius-km", "5000"), "at most 200 km"),
        (("--k", "3", "--radius-km", "10", "--month", "2018-13"), "month must be YYYY-MM"),
        (("--k", "3", "--radius-km", "10", "--res", "11"), "H3 resolution must be 4 to 9"),
        (("--k", "3", "--radius-km", "10", "--time-limit", "-1"), "time limit must be"),
        (("--k", "3", "--radius-km", "10", "--json", "--geojson"), "one of --json and --geojson"),
    ],
)
def test_bad_values_are_clear_errors(db_url: str, args: tuple[str, ...], message: str) -> None:
    ok("init", "--partner", "jcc", db=db_url)

    done = run("placement", *args, db=db_url)

    assert done.exit_code == 1
    assert isinstance(done.exception, InvalidInput)
    assert message in str(done.exception)
    assert done.stdout == ""


def test_an_unknown_user_and_an_empty_node_are_refused(db_url: str) -> None:
    ok("init", "--partner", "jcc", db=db_url)

    unknown = run("placement", "--k", "2", "--radius-km", "10", "--as", "nobody", db=db_url)
    empty = run("placement", "--k", "2", "--radius-km", "10", db=db_url)

    assert isinstance(unknown.exception, NotFound)
    assert isinstance(empty.exception, InvalidInput)
    assert "no events" in str(empty.exception)
    assert unknown.stdout == empty.stdout == ""
