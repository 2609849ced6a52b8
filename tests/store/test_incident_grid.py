"""The grid counts follow every write of incidents, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from tansiq.domain.viewport import ViewportQuery, month_index
from tansiq.geo.locator import AreaLocator
from tansiq.importing import ImportRequest, import_file
from tansiq.settings import Settings
from tansiq.store import migrate
from tansiq.store.database import reading, writing
from tansiq.store.incident_grid import (
    KEY_COLUMNS,
    STORED_LEVELS,
    SUM_COLUMNS,
    fold,
    fold_all,
    folded_through,
    rebuild,
)
from tansiq.store.incidents import upsert_incidents
from tansiq.store.schema import INCIDENT_WRITE_COLUMNS, incident_grid, incidents
from tansiq.store.viewport import grid_cells
from tests.conftest import FROZEN_NOW, frozen_clock
from tests.factories import make_row
from tests.importers.files import ucdp_file
from tests.store.test_viewport import (
    DAYS,
    IRAQ,
    PLACES,
    TYPES,
    assert_grid_is,
    empty,
    expected_grid,
    incident,
    incident_rows,
    positions,
    spread,
    write,
)


class Key(NamedTuple):
    """A grid row's KEY_COLUMNS."""

    level: int
    all_months: bool
    cell_row: int
    cell_col: int
    month: int
    incident_type: str
    adm3_pcode: str
    disputed: bool


assert Key._fields == KEY_COLUMNS
Grid = dict[Key, tuple[int, int, float, float]]


def grid(conn: Connection) -> Grid:
    """Every grid row: key -> (incidents, fatalities, sum of latitudes, of longitudes)."""
    g = incident_grid.c
    keys = [g[name] for name in KEY_COLUMNS]
    sums = [g[name] for name in SUM_COLUMNS]
    return {
        Key(*row[: len(keys)]): tuple(row[len(keys) :])
        for row in conn.execute(sa.select(*keys, *sums))
    }


def assert_same_grid(kept: Grid, recounted: Grid) -> None:
    """Counts exactly; coordinate sums up to rounding (added and taken away in another order)."""
    assert kept.keys() == recounted.keys()
    for key, (count, deaths, lat, lon) in kept.items():
        assert (count, deaths) == recounted[key][:2], key
        assert (lat, lon) == pytest.approx(recounted[key][2:], abs=1e-9), key


def recounted(engine: Engine) -> Grid:
    """The grid rebuilt from the incidents, in a transaction that is then rolled back."""
    with engine.connect() as conn, conn.begin() as transaction:
        rebuild(conn)
        found = grid(conn)
        transaction.rollback()
    return found


def assert_grid_follows_the_incidents(engine: Engine) -> None:
    """The map counts what is stored, folded or not; once everything is folded in, the grid
    equals a recount and has no emptied rows."""
    whole = ViewportQuery(IRAQ, 6)
    with reading(engine) as conn:
        assert_grid_is(grid_cells(conn, whole)[1], expected_grid(conn, whole))
    fold_all(engine)
    with reading(engine) as conn:
        kept = grid(conn)
        assert all(count > 0 for count, *_ in kept.values()), "emptied rows are deleted"
        assert_grid_is(grid_cells(conn, whole)[1], expected_grid(conn, whole))
    assert_same_grid(kept, recounted(engine))


def test_every_stored_level_counts_each_incident_once(engine: Engine) -> None:
    write(engine, spread(40))
    with reading(engine) as conn:
        kept = grid(conn)
    for level in STORED_LEVELS:
        by_month = sum(v[0] for k, v in kept.items() if k.level == level and not k.all_months)
        every = sum(v[0] for k, v in kept.items() if k.level == level and k.all_months)
        assert by_month == every == 40
    assert_same_grid(kept, recounted(engine))


def test_an_update_moves_its_counts_to_the_new_place_type_and_month(engine: Engine) -> None:
    write(engine, [incident("1", 35.47, 44.39, date(2016, 1, 5)), incident("2", 35.47, 44.39)])
    write(
        engine,
        [
            incident(
                "1",
                30.55,
                47.78,
                date(2016, 3, 5),
                "IQG02Q01N01",
                incident_type="one-sided",
                fatalities=9,
            )
        ],
    )
    assert_grid_follows_the_incidents(engine)
    with reading(engine) as conn:
        kept = grid(conn)
    basra = [k for k in kept if k.adm3_pcode == "IQG02Q01N01"]
    assert len(basra) == 2 * len(STORED_LEVELS)  # its month and all months, at each level
    assert {k.incident_type for k in basra} == {"one-sided"}
    assert {k.month for k in basra if not k.all_months} == {month_index(date(2016, 3, 5))}
    assert sum(v[0] for k, v in kept.items() if k.level == STORED_LEVELS[0]) == 2 * 2


def test_new_incidents_wait_outside_the_grid_until_folded_in_chunks(engine: Engine) -> None:
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", spread(40), FROZEN_NOW)
    with reading(engine) as conn:
        assert grid(conn) == {}
        assert folded_through(conn) == 0
    with writing(engine) as conn:
        assert fold(conn, 15) == 15
    with reading(engine) as conn:
        assert folded_through(conn) == 15
        assert sum(v[0] for k, v in grid(conn).items() if k.level == 1 and k.all_months) == 15
    assert fold_all(engine, 10) == 25
    with reading(engine) as conn:
        newest = conn.execute(sa.select(sa.func.max(incidents.c.id))).scalar_one()
        assert folded_through(conn) == newest
    assert fold_all(engine) == 0
    assert_same_grid(grid_of(engine), recounted(engine))


def grid_of(engine: Engine) -> Grid:
    with reading(engine) as conn:
        return grid(conn)


def test_an_update_before_the_fold_is_counted_once_at_its_new_place(engine: Engine) -> None:
    write(engine, [incident("1", 35.47, 44.39)], fold=0)
    write(engine, [incident("1", 30.55, 47.78, adm3="IQG02Q01N01")], fold=0)
    assert_grid_follows_the_incidents(engine)
    assert {k.adm3_pcode for k in grid_of(engine)} == {"IQG02Q01N01"}


def test_a_reimport_or_a_corrected_headline_leaves_the_grid_as_it_was(engine: Engine) -> None:
    rows = spread(20)
    write(engine, rows)
    with reading(engine) as conn:
        before = grid(conn)
    write(engine, rows)
    corrected = [changed(r, headline="Corrected headline") for r in rows]
    with writing(engine) as conn:
        assert upsert_incidents(conn, "ucdp", corrected, FROZEN_NOW) == (0, 20, 0)
    with reading(engine) as conn:
        assert grid(conn) == before


def test_a_failed_batch_leaves_the_grid_as_it_was(engine: Engine) -> None:
    write(engine, spread(10))
    with reading(engine) as conn:
        before = grid(conn)
    with pytest.raises(RuntimeError), writing(engine) as conn:
        upsert_incidents(conn, "ucdp", spread(30), FROZEN_NOW)
        raise RuntimeError("crash in the middle of a batch")
    with reading(engine) as conn:
        assert grid(conn) == before


def test_the_migration_counts_the_incidents_already_stored(bare_engine: Engine) -> None:
    """A node upgraded with incidents in it gets the same grid as one that kept it all along."""
    config = migrate._config()
    revision = next(
        r
        for r in ScriptDirectory.from_config(config).walk_revisions()
        if r.path.endswith("_incident_grid.py")
    )
    rows = spread(60)
    with writing(bare_engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, str(revision.down_revision))
        stamp = {"imported_at": FROZEN_NOW, "updated_at": FROZEN_NOW}
        conn.execute(
            incidents.insert(),
            [{**dict(zip(INCIDENT_WRITE_COLUMNS, r, strict=True)), **stamp} for r in rows],
        )
    migrate.upgrade(bare_engine)
    with reading(bare_engine) as conn:
        migrated = grid(conn)
    empty(bare_engine)
    write(bare_engine, rows)
    with reading(bare_engine) as conn:
        assert_same_grid(migrated, grid(conn))


def test_an_import_is_folded_in_and_a_reimport_moves_the_counts(
    engine: Engine, settings: Settings, locator: AreaLocator, tmp_path: Path
) -> None:
    """An import leaves its incidents for the fold; a re-import of corrected rows (moved,
    re-typed) moves their counts, gathered over the file's batches."""
    small = settings.model_copy(update={"import_batch_rows": 40})
    first = ucdp_file(tmp_path / "ged.csv", count=150)
    import_file(engine, ImportRequest(first, "ucdp"), small, locator, frozen_clock)
    assert_grid_follows_the_incidents(engine)
    moved = {
        n: {"latitude": "36.34", "longitude": "43.13", "type_of_violence": "3"}
        for n in range(0, 150, 7)
    }
    again = ucdp_file(tmp_path / "ged.csv", moved, count=150)
    summary = import_file(engine, ImportRequest(again, "ucdp"), small, locator, frozen_clock)
    assert summary.updated == len(moved)
    assert_grid_follows_the_incidents(engine)


EXPLORE = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def changed(row: tuple[Any, ...], **changes: Any) -> tuple[Any, ...]:
    """`row` as upstream corrected it (with the content hash of its new values)."""
    values = dict(zip(INCIDENT_WRITE_COLUMNS, row, strict=True))
    del values["content_hash"]
    return make_row(**{**values, **changes})


@st.composite
def corrections(draw: st.DrawFn, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A second import of `rows`: some corrected upstream (moved, re-typed, re-dated, other
    deaths or sub-district, or only the headline), some the same, and some new rows."""
    out = []
    for row in rows:
        change = draw(st.sampled_from(CHANGES))
        if change == "moved":
            lat, lon = draw(positions())
            row = changed(row, latitude=lat, longitude=lon)
        elif change == "date":
            day = draw(DAYS)
            row = changed(row, date_start=day, date_end=day)
        elif change == "area":
            adm1, adm2, disputed = PLACES[adm3 := draw(st.sampled_from(sorted(PLACES)))]
            row = changed(row, adm1_pcode=adm1, adm2_pcode=adm2, adm3_pcode=adm3, disputed=disputed)
        elif change == "type":
            row = changed(row, incident_type=draw(st.sampled_from(TYPES)))
        elif change == "deaths":
            row = changed(row, fatalities=draw(st.none() | st.integers(0, 9)))
        elif change == "headline":
            row = changed(row, headline="Corrected")
        out.append(row)
    return out + draw(incident_rows(prefix="new-"))


CHANGES = ("same", "moved", "date", "area", "type", "deaths", "headline")


@EXPLORE
@given(data=st.data())
def test_the_grid_kept_by_writes_equals_a_recount(engine: Engine, data: st.DataObject) -> None:
    """Corrections move the counts of incidents folded in already, and only theirs."""
    empty(engine)
    first = data.draw(incident_rows())
    write(engine, first, data.draw(st.none() | st.integers(0, len(first))))
    write(engine, data.draw(corrections(first)))
    assert_grid_follows_the_incidents(engine)
