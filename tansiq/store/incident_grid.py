"""The incident_grid table: the map's counts per grid cell, folded in from `incidents`.

The grid counts the incidents up to an id, `folded_through` (incident_grid_state); the map
counts newer ones straight from `incidents` (tansiq.store.viewport), so every answer is exact
whether they have been folded in or not. Why not count in the import's transaction: for a
million incidents spread over Iraq and 29 years, the grid gains about as many rows as the
import writes incidents, which made `tansiq import` 70% slower (issue 2's benchmark fell from
0.60 to 0.34 of its reference). So an import only writes incidents, and the server folds them
in afterwards (`fold`, in chunks of FOLD_ROWS, from its background thread: tansiq.api.app).

Ids only grow (no incident is deleted; a new one gets a larger id than every stored one), so
"newer than folded_through" is exactly "not yet counted". An update of an incident already
counted moves it in the grid in the update's own transaction (`upsert_incidents` gives the
old and new facts to a GridChanges). The state row is locked by every writer of incidents
and by the fold, so on PostgreSQL a fold never passes an id whose transaction is still open.
`rebuild` recounts everything in SQL (the migration that creates the table, and a repair).

Stored levels: 1, 3 and 5 (cells of 1/2°, 1/8° and 1/32°, about 3.5 km). A view of the level
below a stored one sums its cells four by four (`cell_row >> 1`); views finer than 5 get
level-5 cells. Each incident counts in its month and in the rows for all months, which a view
without a date filter (the map's first view) reads alone.

What it costs: an upsert per grid row a write touches, about 2.2 rows per incident for
incidents spread evenly over Iraq (each is alone in its level-5 cell and month) and 0.4 for the
clustered ones of bench/viewport_bench.py. Levels 0, 2 and 4 as well would cost about half as
much again; storing every other level keeps the rows a view sums within four times the fewest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from tansiq.domain.viewport import LAT_OFFSET, LON_OFFSET
from tansiq.store.database import reading, writing
from tansiq.store.schema import GRID_FACTS, incident_grid, incident_grid_state, incidents

STORED_LEVELS: Final = (1, 3, 5)
EVERY_MONTH: Final = -1
"""The `month` of the rows that count an incident whatever its month."""

FACT_COLUMNS: Final = ("date_start", *GRID_FACTS)
"""What the grid counts of an incident: its date, place, type, deaths, sub-district, flag."""
Facts = tuple[date, float, float, str, int | None, str, bool]
"""An incident's FACT_COLUMNS."""
KEY_COLUMNS: Final = (
    "level",
    "all_months",
    "cell_row",
    "cell_col",
    "month",
    "incident_type",
    "adm3_pcode",
    "disputed",
)
SUM_COLUMNS: Final = ("incidents", "fatalities", "sum_latitude", "sum_longitude")

IntArray = npt.NDArray[np.int64]
Columns = tuple[list[Any], ...]
"""Grid rows as columns: KEY_COLUMNS then SUM_COLUMNS, one list each."""


def stored_level(level: int) -> int:
    """The stored level that answers a view of `level`: itself, the next finer, or the finest."""
    return next((s for s in STORED_LEVELS if s >= level), STORED_LEVELS[-1])


# --- keeping it in step -------------------------------------------------------------------------


class GridChanges:
    """Incidents counted in and out of the grid, gathered until `write`.

    Grouped once, the million clustered incidents of bench/viewport_bench.py touch a fifth of
    the grid rows they touch grouped batch by batch (20,000 a batch), each of which costs an
    upsert: 2 s of the writer's time instead of 13.
    """

    def __init__(self) -> None:
        self._types = _Names()
        self._adm3s = _Names()
        self._parts: list[_Facts] = []

    def add(self, added: Sequence[Facts], removed: Sequence[Facts]) -> None:
        if added or removed:
            self._parts.append(_Facts.of(added, removed, self._types, self._adm3s))

    def write(self, conn: Connection) -> None:
        """Apply what was gathered to incident_grid, and start afresh."""
        apply = _apply_postgresql if conn.dialect.name == "postgresql" else _apply_sqlite
        for columns in self.rows():
            apply(conn, columns)
        self._parts.clear()

    def rows(self) -> Iterator[Columns]:
        """The change to each grid row, in key order and in chunks of at most WRITE_ROWS
        (incidents spread evenly over Iraq touch a row each), unchanged rows left out.

        Grouped with numpy: grouping a batch's rows in Python cost as much as writing them.
        """
        if not self._parts:
            return
        facts = _Facts.joined(self._parts)
        types, type_rank = self._types.sorted()
        adm3s, adm3_rank = self._adm3s.sorted()
        # One key of what is not place or time: type, then sub-district, then the flag.
        kind = (type_rank[facts.type_code] * len(adm3s) + adm3_rank[facts.adm3_code]) * 2
        kind += facts.disputed
        finest = STORED_LEVELS[-1]
        rows = _cell_index(facts.latitude, LAT_OFFSET, finest)
        cols = _cell_index(facts.longitude, LON_OFFSET, finest)
        every_month = np.full(len(rows), EVERY_MONTH, dtype=np.int64)
        for level in STORED_LEVELS:
            place = ((rows >> (finest - level)) << _COL_BITS) | (cols >> (finest - level))
            for all_months, month in ((True, every_month), (False, facts.month)):
                grouped = _Grouped.of((place, month, kind), facts.weights)
                yield from _chunks((level, all_months), grouped, (types, len(adm3s), adm3s))


WRITE_ROWS: Final = 50_000
"""Grid rows built and written at a time: Python objects cost a few hundred bytes a row."""
_COL_BITS: Final = 20
"""Row and column share one key, the column in the low bits: columns stay below 2^20 up to
level 11 (360 * 2^11)."""


class _Names:
    """Codes for names (types, sub-districts) in the order first seen, across batches."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def codes(self, names: Sequence[str]) -> IntArray:
        known = self._codes
        return np.array([known.setdefault(n, len(known)) for n in names], dtype=np.int64)

    def sorted(self) -> tuple[list[str], IntArray]:
        """The names in order, and each code's place among them (so keys sort by name)."""
        names = sorted(self._codes)
        rank = np.empty(len(names), dtype=np.int64)
        rank[[self._codes[n] for n in names]] = np.arange(len(names))
        return names, rank


@dataclass(frozen=True)
class _Facts:
    """Incidents as arrays; removed ones weigh -1."""

    latitude: npt.NDArray[np.float64]
    longitude: npt.NDArray[np.float64]
    month: IntArray
    type_code: IntArray
    adm3_code: IntArray
    disputed: IntArray
    weights: tuple[npt.NDArray[np.float64], ...]
    """Per SUM_COLUMNS: the incident (1 or -1), its deaths, latitude and longitude."""

    @classmethod
    def of(
        cls, added: Sequence[Facts], removed: Sequence[Facts], types: _Names, adm3s: _Names
    ) -> _Facts:
        days, lat, lon, kinds, fatalities, places, disputed = zip(*added, *removed, strict=True)
        sign = np.repeat(np.array([1.0, -1.0]), [len(added), len(removed)])
        latitude = np.array(lat, dtype=np.float64)
        longitude = np.array(lon, dtype=np.float64)
        deaths = np.array([f or 0 for f in fatalities], dtype=np.float64)
        return cls(
            latitude,
            longitude,
            np.array([d.year * 12 + d.month - 1 for d in days], dtype=np.int64),
            types.codes(kinds),
            adm3s.codes(places),
            np.array(disputed, dtype=np.int64),
            (sign, sign * deaths, sign * latitude, sign * longitude),
        )

    @classmethod
    def joined(cls, parts: Sequence[_Facts]) -> _Facts:
        if len(parts) == 1:
            return parts[0]

        def joined(name: str) -> Any:
            return np.concatenate([getattr(p, name) for p in parts])

        return cls(
            joined("latitude"),
            joined("longitude"),
            joined("month"),
            joined("type_code"),
            joined("adm3_code"),
            joined("disputed"),
            tuple(np.concatenate(w) for w in zip(*(p.weights for p in parts), strict=True)),
        )


@dataclass(frozen=True)
class _Grouped:
    """Equal keys grouped: a representative of each group (groups in key order) and sums."""

    first: IntArray
    keys: tuple[IntArray, ...]
    sums: tuple[npt.NDArray[np.float64], ...]

    @classmethod
    def of(
        cls, keys: tuple[IntArray, ...], weights: tuple[npt.NDArray[np.float64], ...]
    ) -> _Grouped:
        order = np.lexsort(tuple(reversed(keys)))
        starts = np.zeros(len(order), dtype=bool)
        starts[0] = True
        for key in keys:
            ordered = key[order]
            starts[1:] |= ordered[1:] != ordered[:-1]
        group = np.empty(len(order), dtype=np.int64)
        group[order] = np.cumsum(starts) - 1
        sums = tuple(np.asarray(np.bincount(group, weights=w), dtype=np.float64) for w in weights)
        return cls(order[starts], keys, sums)


def _chunks(
    period: tuple[int, bool],
    grouped: _Grouped,
    names: tuple[list[str], int, list[str]],
) -> Iterator[Columns]:
    """One (level, all_months)'s rows as columns, WRITE_ROWS at a time, leaving out those an
    update left as they were (the same place, type and deaths)."""
    count, deaths, sum_lat, sum_lon = grouped.sums
    kept = np.flatnonzero((count != 0) | (deaths != 0) | (sum_lat != 0) | (sum_lon != 0))
    types, adm3_count, adm3s = names
    for start in range(0, len(kept), WRITE_ROWS):
        group = kept[start : start + WRITE_ROWS]
        place, month, kind = (key[grouped.first[group]] for key in grouped.keys)
        yield (
            *([value] * len(group) for value in period),
            (place >> _COL_BITS).tolist(),
            (place & ((1 << _COL_BITS) - 1)).tolist(),
            month.tolist(),
            [types[t] for t in (kind // 2 // adm3_count).tolist()],
            [adm3s[a] for a in (kind // 2 % adm3_count).tolist()],
            (kind % 2).astype(bool).tolist(),
            np.rint(count[group]).astype(np.int64).tolist(),
            np.rint(deaths[group]).astype(np.int64).tolist(),
            sum_lat[group].tolist(),
            sum_lon[group].tolist(),
        )


def _cell_index(values: npt.NDArray[np.float64], offset: float, level: int) -> IntArray:
    """tansiq.domain.viewport.cell_row/cell_col for many values (the same float arithmetic)."""
    return np.floor((values + offset) * 2.0**level).astype(np.int64)


_SQLITE_UPSERT = (
    f"INSERT INTO incident_grid ({', '.join((*KEY_COLUMNS, *SUM_COLUMNS))}) "
    f"VALUES ({', '.join('?' * (len(KEY_COLUMNS) + len(SUM_COLUMNS)))}) "
    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS)
)
_SQLITE_SWEEP = (
    "DELETE FROM incident_grid WHERE "
    + " AND ".join(f"{c} = ?" for c in KEY_COLUMNS)
    + " AND incidents <= 0"
)


def _apply_sqlite(conn: Connection, columns: Columns) -> None:
    """Upsert through the driver (SQLAlchemy's per-row processing would double the cost),
    then delete the rows that lost their last incident."""
    rows = list(zip(*columns, strict=True))
    keys = len(KEY_COLUMNS)
    emptied = [r[:keys] for r in rows if r[keys] < 0]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SQLITE_UPSERT, rows)
        if emptied:
            cursor.executemany(_SQLITE_SWEEP, emptied)
    finally:
        cursor.close()


_PG_TYPES: Final = (
    "smallint",
    "boolean",
    "integer",
    "integer",
    "integer",
    "text",
    "text",
    "boolean",
    "integer",
    "integer",
    "float8",
    "float8",
)
_PG_ROWS = "unnest(" + ", ".join(
    f"CAST(:{c} AS {t}[])" for c, t in zip((*KEY_COLUMNS, *SUM_COLUMNS), _PG_TYPES, strict=True)
)
_PG_UPSERT = sa.text(
    f"INSERT INTO incident_grid ({', '.join((*KEY_COLUMNS, *SUM_COLUMNS))}) "
    f"SELECT * FROM {_PG_ROWS}) "
    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = incident_grid.{c} + excluded.{c}" for c in SUM_COLUMNS)
)
_PG_SWEEP = sa.text(
    f"DELETE FROM incident_grid AS g USING {_PG_ROWS}) AS k({', '.join(KEY_COLUMNS)}, "
    f"{', '.join(SUM_COLUMNS)}) WHERE "
    + " AND ".join(f"g.{c} = k.{c}" for c in KEY_COLUMNS)
    + " AND g.incidents <= 0 AND k.incidents < 0"
)


def _apply_postgresql(conn: Connection, columns: Columns) -> None:
    """One statement over arrays (unnest): executemany would cost a round trip per row."""
    named = dict(zip((*KEY_COLUMNS, *SUM_COLUMNS), columns, strict=True))
    conn.execute(_PG_UPSERT, named)
    if any(n < 0 for n in named["incidents"]):
        conn.execute(_PG_SWEEP, named)


# --- folding new incidents in ------------------------------------------------------------------

FOLD_ROWS: Final = 100_000
"""Incidents folded in one transaction: on SQLite it holds the node's write lock about a second."""


def folded_through(conn: Connection, lock: Literal["share", "fold"] | None = None) -> int:
    """The id up to which the grid counts incidents.

    On PostgreSQL a writer of incidents takes the state row "share" and a fold takes it
    exclusively, each until its transaction ends: a fold waits for open writes, so it cannot
    pass over ids whose rows are not committed yet (SQLite has one writer at a time anyway).
    """
    query = sa.select(incident_grid_state.c.folded_through).where(incident_grid_state.c.id == 1)
    if lock is not None and conn.dialect.name == "postgresql":
        query = query.with_for_update(read=lock == "share")
    return int(conn.execute(query).scalar_one())


def fold(conn: Connection, limit: int = FOLD_ROWS) -> int:
    """Fold up to `limit` incidents newer than the grid into it; returns how many."""
    through = folded_through(conn, "fold")
    i = incidents.c
    query = (
        sa.select(i.id, *(i[name] for name in FACT_COLUMNS))
        .where(i.id > through)
        .order_by(i.id)
        .limit(limit)
    )
    rows = conn.execute(query).all()
    if not rows:
        return 0
    changes = GridChanges()
    changes.add([tuple(r[1:]) for r in rows], [])
    changes.write(conn)
    state = incident_grid_state.update().where(incident_grid_state.c.id == 1)
    conn.execute(state.values(folded_through=rows[-1][0]))
    return len(rows)


def unfolded(engine: Engine) -> int:
    """How many incidents the grid does not count yet (ids past `folded_through`)."""
    with reading(engine) as conn:
        through = folded_through(conn)
        count = sa.select(sa.func.count()).where(incidents.c.id > through)
        return int(conn.execute(count).scalar_one())


def fold_all(engine: Engine, limit: int = FOLD_ROWS) -> int:
    """Fold in every incident newer than the grid, `limit` a transaction; returns how many."""
    total = 0
    while True:
        with writing(engine) as conn:
            done = fold(conn, limit)
        total += done
        if done < limit:
            return total


# --- recounting in SQL --------------------------------------------------------------------------


class floor_int(FunctionElement[int]):  # noqa: N801 (named like the SQL functions it stands for)
    """floor() as an integer. On SQLite a cast: it truncates, which is the floor for the grid's
    non-negative values, and SQLite's own floor() is an optional build feature."""

    type = sa.Integer()
    name = "floor_int"
    inherit_cache = True


@compiles(floor_int)
def _floor_int(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_int_sqlite(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


def _float(value: float) -> sa.ColumnElement[float]:
    """A float constant written into the SQL (no bind parameter, so that GROUP BY and SELECT
    hold the same expression on PostgreSQL), typed as a double."""
    return sa.cast(sa.literal_column(repr(float(value))), sa.Float)


def row_sql(latitude: sa.ColumnElement[float], level: int) -> sa.ColumnElement[int]:
    """tansiq.domain.viewport.cell_row in SQL."""
    return floor_int((latitude + _float(LAT_OFFSET)) * _float(2.0**level))


def col_sql(longitude: sa.ColumnElement[float], level: int) -> sa.ColumnElement[int]:
    """tansiq.domain.viewport.cell_col in SQL."""
    return floor_int((longitude + _float(LON_OFFSET)) * _float(2.0**level))


def month_sql(day: sa.ColumnElement[date]) -> sa.ColumnElement[int]:
    """tansiq.domain.viewport.month_index in SQL."""
    year = sa.cast(sa.extract("year", day), sa.Integer)
    month = sa.cast(sa.extract("month", day), sa.Integer)
    return year * sa.literal_column("12") + month - sa.literal_column("1")


def rebuild(conn: Connection) -> None:
    """Recount the whole grid from the incidents, in the caller's transaction."""
    conn.execute(incident_grid.delete())
    conn.execute(incident_grid_state.delete())
    newest = conn.execute(sa.select(sa.func.coalesce(sa.func.max(incidents.c.id), 0)))
    conn.execute(incident_grid_state.insert().values(id=1, folded_through=newest.scalar_one()))
    for level in STORED_LEVELS:
        for by_month in (True, False):
            rows = counted(level, by_month)
            conn.execute(incident_grid.insert().from_select([*KEY_COLUMNS, *SUM_COLUMNS], rows))


def counted(level: int, by_month: bool) -> sa.Select[Any]:
    """The grid rows of one level, by month or for all months, counted from `incidents`."""
    i = incidents.c
    month = month_sql(i.date_start) if by_month else sa.literal_column(str(EVERY_MONTH))
    all_months = sa.false() if by_month else sa.true()
    keyed = sa.select(
        row_sql(i.latitude, level).label("cell_row"),
        col_sql(i.longitude, level).label("cell_col"),
        month.label("month"),
        i.incident_type,
        i.adm3_pcode,
        i.disputed,
        i.fatalities,
        i.latitude,
        i.longitude,
    ).subquery()
    k = keyed.c
    group = (k.cell_row, k.cell_col, k.month, k.incident_type, k.adm3_pcode, k.disputed)
    return sa.select(
        sa.literal_column(str(level)).label("level"),
        all_months.label("all_months"),
        *group,
        sa.func.count().label("incidents"),
        sa.func.coalesce(sa.func.sum(k.fatalities), 0).label("fatalities"),
        sa.func.sum(k.latitude).label("sum_latitude"),
        sa.func.sum(k.longitude).label("sum_longitude"),
    ).group_by(*group)
