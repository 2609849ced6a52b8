"""`tansiq positions import`: a partner's positions from CSV, all or nothing, run in-process."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from tansiq.cli import app
from tansiq.domain.markings import person_viewer
from tansiq.domain.positions import Period, PositionFilter
from tansiq.errors import ImportRejected, InvalidInput
from tansiq.store.database import reading, writing
from tansiq.store.partners import add_partner, partner_parents, set_node_partner
from tansiq.store.positions import find_positions
from tansiq.store.schema import audit_log, position_audience, positions
from tests.conftest import FROZEN_NOW

HEADER = "partner,kind,name,latitude,longitude,coverage_radius_m,active_from,active_to"
GOOD = [
    "joc,checkpoint,CP 1 south of Kirkuk (synthetic),35.44,44.39,1500,2024-01-01,",
    "joc,base,Base 1 near Daquq (synthetic),35.12,44.43,6000,,2024-09-30",
    "joc,Observation Post,OP 1 near Tuz (synthetic),34.87,44.62,4000,"
    "2024-05-01T06:00:00+03:00,2024-09-30T18:00:00Z",
]


def tansiq(*args: str, db: str) -> Result:
    """`tansiq ARGS --db DB` in this process (errors stay in result.exception, as main sees)."""
    return CliRunner().invoke(app, [*args, "--db", db])


def write_csv(path: Path, *lines: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode())
    return path


@pytest.fixture
def node(engine: Engine, db_url: str) -> str:
    """A node of the joint centre (jcc) that knows joc and krg."""
    with writing(engine) as conn:
        for code in ("jcc", "joc", "krg"):
            add_partner(conn, code, code.upper(), None, FROZEN_NOW)
        set_node_partner(conn, "jcc")
    return db_url


def stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Every position row, every audience row and the audit log length: the whole state."""
    with reading(engine) as conn:
        rows = conn.execute(sa.select(positions).order_by(positions.c.id)).all()
        audience = conn.execute(sa.select(position_audience).order_by(*position_audience.c)).all()
        entries = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
    return [tuple(r) for r in rows], [tuple(r) for r in audience], int(entries)


def seen_by(engine: Engine, partner: str, day: date | None = None) -> list[str]:
    with reading(engine) as conn:
        viewer = person_viewer(partner, partner_parents(conn))
        filt = PositionFilter(active=Period.day(day) if day else None)
        return [row["name"] for row in find_positions(conn, viewer, filt)]


def test_a_file_with_a_bom_imports_once_then_changes_nothing(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "joc.csv", HEADER, *GOOD, bom=True)

    first = tansiq("positions", "import", str(path), "--json", db=node)
    state = stored(engine)
    again = tansiq("positions", "import", str(path), "--json", db=node)

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"read": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert json.loads(again.stdout) == {"read": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert stored(engine)[:2] == state[:2]
    # The safe default marking: TLP:AMBER, released to nobody: joc alone sees them.
    assert len(seen_by(engine, "joc")) == 3
    assert seen_by(engine, "krg") == []
    assert seen_by(engine, "jcc") == []
    with reading(engine) as conn:
        rows = find_positions(conn, person_viewer("joc", {}), PositionFilter())
    assert {r["tlp"] for r in rows} == {"amber"}
    assert {r["kind"] for r in rows} == {"checkpoint", "base", "observation-post"}
    assert all(not r["synthetic"] for r in rows)


def test_active_dates_are_whole_utc_days_and_zoned_times(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "joc.csv", HEADER, *GOOD)
    assert tansiq("positions", "import", str(path), db=node).exit_code == 0

    with reading(engine) as conn:
        rows = {
            r["name"][:4]: r
            for r in find_positions(conn, person_viewer("joc", {}), PositionFilter())
        }

    assert rows["CP 1"]["active_from"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert rows["Base"]["active_to"] == datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)
    assert rows["OP 1"]["active_from"] == datetime(2024, 5, 1, 3, tzinfo=UTC)
    assert sorted(seen_by(engine, "joc", date(2024, 9, 30))) == sorted(
        r["name"] for r in rows.values()
    )
    assert [n[:4] for n in seen_by(engine, "joc", date(2024, 10, 1))] == ["CP 1"]
    assert sorted(n[:4] for n in seen_by(engine, "joc", date(2023, 12, 31))) == ["Base"]


def test_a_file_with_bad_rows_is_rejected_whole_with_line_and_field(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    assert (
        tansiq(
            "positions", "import", str(write_csv(tmp_path / "a.csv", HEADER, *GOOD)), db=node
        ).exit_code
        == 0
    )
    before = stored(engine)
    changed = GOOD[0].replace("1500", "2500")  # a good row that would update a stored one
    path = write_csv(
        tmp_path / "b.csv",
        HEADER,
        changed,
        "joc,checkpoint,CP 2 (synthetic),95,44.4,1500,,",
        "joc,tank,,35.4,44.4,15km,2024-01-01T10:00,",
        "xyz,base,Base 9 (synthetic),35.4,44.4,100,,",
        "joc,base,Base 3 (synthetic),35.4,44.4,100,2024-05-01,2024-04-01",
        changed,
        "joc,base,short row",
    )

    done = tansiq("positions", "import", str(path), db=node)

    assert done.exit_code == 1
    error = done.exception
    assert isinstance(error, ImportRejected)
    assert [(e.line, e.field) for e in error.errors] == [
        (3, "latitude"),
        (4, "kind"),
        (4, "name"),
        (4, "coverage_radius_m"),
        (4, "active_from"),
        (5, "partner"),
        (6, "active_to"),
        (7, "name"),
        (8, "row"),
    ]
    assert error.total == 6
    assert "'xyz'" in str(error)
    assert "tansiq partners add" in str(error)
    assert "also on line 2" in str(error)
    assert stored(engine) == before  # nothing written, not even the good row's update


def test_unknown_partners_are_named_and_never_created(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "k.csv",
        "kind,name,lat,lon,radius_m,tlp,releasable_to",
        "checkpoint,KRG CP 1 (synthetic),35.5,44.4,1500,green,jcc;joc",
        "checkpoint,KRG CP 2 (synthetic),35.6,44.4,1500,,krg-asayish",
    )
    before = stored(engine)

    unknown_owner = tansiq("positions", "import", str(path), "--partner", "krgx", db=node)
    unknown_recipient = tansiq("positions", "import", str(path), "--partner", "krg", db=node)

    assert isinstance(unknown_owner.exception, InvalidInput)
    assert "'krgx'" in str(unknown_owner.exception)
    assert isinstance(unknown_recipient.exception, ImportRejected)
    assert [(e.line, e.field) for e in unknown_recipient.exception.errors] == [(3, "releasable_to")]
    assert "'krg-asayish'" in str(unknown_recipient.exception)
    assert stored(engine) == before


def test_per_row_marking_and_the_commands_default_marking(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "k.csv",
        "partner,kind,name,lat,lon,radius_m,tlp,releasable_to",
        "krg,checkpoint,KRG CP 1 (synthetic),35.5,44.4,1500,green,jcc joc",
        "krg,checkpoint,KRG CP 2 (synthetic),35.6,44.4,1500,,",
        "krg,checkpoint,KRG CP 3 (synthetic),35.7,44.4,1500,red,jcc",
    )

    done = tansiq(
        "positions", "import", str(path), "--partner", "krg", "--release-to", "jcc", db=node
    )

    assert done.exit_code == 0, done.output
    assert sorted(seen_by(engine, "jcc")) == [
        "KRG CP 1 (synthetic)",
        "KRG CP 2 (synthetic)",
        "KRG CP 3 (synthetic)",
    ]
    assert seen_by(engine, "joc") == ["KRG CP 1 (synthetic)"]


def test_partner_cells_must_agree_with_the_command(node: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "k.csv",
        "partner,kind,name,lat,lon,radius_m",
        "krg,checkpoint,KRG CP 1 (synthetic),35.5,44.4,1500",
        ",checkpoint,KRG CP 2 (synthetic),35.6,44.4,1500",
    )

    done = tansiq("positions", "import", str(path), "--partner", "joc", db=node)
    no_partner = tansiq("positions", "import", str(path), db=node)

    assert isinstance(done.exception, ImportRejected)
    assert [(e.line, e.field) for e in done.exception.errors] == [(2, "partner")]
    assert isinstance(no_partner.exception, ImportRejected)
    assert [(e.line, e.field) for e in no_partner.exception.errors] == [(3, "partner")]


def test_a_missing_column_is_named_on_line_1(node: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", "partner,kind,name,lat,lon", "joc,base,B,35,44")

    done = tansiq("positions", "import", str(path), db=node)

    assert isinstance(done.exception, ImportRejected)
    assert str(done.exception.errors[0]) == (
        "line 1: header: missing required column(s): radius_m/coverage_radius_m"
    )


def test_a_bad_tlp_option_is_one_clear_error(node: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", HEADER, *GOOD)

    done = tansiq("positions", "import", str(path), "--tlp", "purple", db=node)

    assert isinstance(done.exception, InvalidInput)
    assert "unknown TLP level 'purple'" in str(done.exception)
