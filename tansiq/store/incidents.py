"""The incidents table: idempotent batch upserts and filtered reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.areas import AreaLevel
from tansiq.domain.incidents import IncidentFilter, pcode_level
from tansiq.store.incident_grid import FACT_COLUMNS, Facts, GridChanges, folded_through
from tansiq.store.schema import INCIDENT_WRITE_COLUMNS, incidents

_ID_CHUNK = 5_000  # keeps IN lists well under SQLite's bound-parameter limit

Row = Sequence[Any]
"""An incident to write: values in INCIDENT_WRITE_COLUMNS order."""

_SOURCE_ID = INCIDENT_WRITE_COLUMNS.index("source_id")
_HASH = INCIDENT_WRITE_COLUMNS.index("content_hash")
_DATES = (INCIDENT_WRITE_COLUMNS.index("date_start"), INCIDENT_WRITE_COLUMNS.index("date_end"))
_FACTS = itemgetter(*(INCIDENT_WRITE_COLUMNS.index(name) for name in FACT_COLUMNS))


def existing_hashes(conn: Connection, source: str, source_ids: Sequence[str]) -> dict[str, str]:
    """source_id -> content_hash of the incidents of `source` that are already stored."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_PG_EXISTING, {"source": source, "ids": list(source_ids)})
        return {str(sid): str(digest) for sid, digest in rows}
    found: dict[str, str] = {}
    t = incidents.c
    for start in range(0, len(source_ids), _ID_CHUNK):
        chunk = source_ids[start : start + _ID_CHUNK]
        query = sa.select(t.source_id, t.content_hash).where(
            t.source == source, t.source_id.in_(chunk)
        )
        found.update((sid, digest) for sid, digest in conn.execute(query))
    return found


# A join against the batch's ids, not `source_id IN (...)`: inside one big import transaction
# PostgreSQL has no statistics for the new rows, plans the IN list as a filter over every index
# entry of the source, and each batch then costs rows x ids comparisons (minutes at 150,000).
_PG_EXISTING = sa.text(
    "SELECT i.source_id, i.content_hash FROM unnest(CAST(:ids AS text[])) AS batch(id) "
    "JOIN incidents AS i ON i.source = :source AND i.source_id = batch.id"
)


def upsert_incidents(
    conn: Connection,
    source: str,
    rows: Sequence[Row],
    now: datetime,
    grid: GridChanges | None = None,
) -> tuple[int, int, int]:
    """Write one batch of one source; returns (imported, updated, unchanged).

    A row whose (source, source_id) is new is inserted; one whose content hash differs from
    the stored one replaces it; one with the same hash is left alone. Runs inside the
    caller's transaction, so a batch is all or nothing. New incidents are left for the
    server to fold into the map's grid (tansiq.store.incident_grid); updated ones it counts
    already move in it, with the batch, or gathered in `grid` for the caller to write before
    it commits.
    """
    through = folded_through(conn, "share")
    stored = existing_hashes(conn, source, [r[_SOURCE_ID] for r in rows])
    new = [r for r in rows if r[_SOURCE_ID] not in stored]
    changed = [r for r in rows if r[_SOURCE_ID] in stored and stored[r[_SOURCE_ID]] != r[_HASH]]
    if new:
        _insert(conn, new, now)  # newer than the grid: the server folds them in later
    if changed:
        moved_to, moved_from = _update(conn, source, changed, now, through)
        changes = GridChanges() if grid is None else grid
        changes.add(moved_to, moved_from)
        if grid is None:
            changes.write(conn)
    return len(new), len(changed), len(rows) - len(new) - len(changed)


def _update(
    conn: Connection, source: str, changed: Sequence[Row], now: datetime, through: int
) -> tuple[list[Facts], list[Facts]]:
    """Replace changed incidents; returns the new and old grid facts of those the grid counts
    already and whose grid facts changed (a corrected headline moves no count)."""
    before = _stored_facts(conn, source, [r[_SOURCE_ID] for r in changed], through)
    values = [
        {
            **dict(zip(INCIDENT_WRITE_COLUMNS, r, strict=True)),
            "updated_at": now,
            "b_source_id": r[_SOURCE_ID],
        }
        for r in changed
    ]
    conn.execute(_update_statement(source), values)
    after = {r[_SOURCE_ID]: _FACTS(r) for r in changed if r[_SOURCE_ID] in before}
    moved = [sid for sid, facts in after.items() if before[sid] != facts]
    return [after[sid] for sid in moved], [before[sid] for sid in moved]


def _stored_facts(
    conn: Connection, source: str, source_ids: Sequence[str], through: int
) -> dict[str, Facts]:
    """source_id -> what the grid counts (FACT_COLUMNS) of each stored incident of `source`
    that the grid counts already (id up to `through`)."""
    if conn.dialect.name == "postgresql":
        values = {"source": source, "ids": list(source_ids), "through": through}
        return {str(r[0]): tuple(r[1:]) for r in conn.execute(_PG_FACTS, values)}
    t = incidents.c
    found: dict[str, Facts] = {}
    for start in range(0, len(source_ids), _ID_CHUNK):
        chunk = source_ids[start : start + _ID_CHUNK]
        query = sa.select(t.source_id, *(t[name] for name in FACT_COLUMNS)).where(
            t.source == source, t.source_id.in_(chunk), t.id <= through
        )
        found.update((r[0], tuple(r[1:])) for r in conn.execute(query))
    return found


_PG_FACTS = sa.text(
    f"SELECT i.source_id, {', '.join(f'i.{name}' for name in FACT_COLUMNS)} "
    "FROM unnest(CAST(:ids AS text[])) AS batch(id) "
    "JOIN incidents AS i ON i.source = :source AND i.source_id = batch.id "
    "WHERE i.id <= :through"
)


def _insert(conn: Connection, rows: Sequence[Row], now: datetime) -> None:
    """Insert new incidents; on SQLite straight through the driver, which is ~2x faster.

    SQLAlchemy's per-row parameter processing costs as much as SQLite's own insert on big
    imports. Only the two date columns need converting, to the ISO text that SQLAlchemy's
    SQLite Date type stores (and reads back); the timestamps go through its own processor.
    """
    if conn.dialect.name != "sqlite":
        values = [
            {
                **dict(zip(INCIDENT_WRITE_COLUMNS, r, strict=True)),
                "imported_at": now,
                "updated_at": now,
            }
            for r in rows
        ]
        conn.execute(incidents.insert(), values)
        return
    stamp = _sqlite_datetime(conn, now)
    start, end = _DATES
    params = [
        (*r[:start], r[start].isoformat(), r[end].isoformat(), *r[end + 1 :], stamp, stamp)
        for r in rows
    ]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SQLITE_INSERT, params)
    finally:
        cursor.close()


def _sqlite_datetime(conn: Connection, value: datetime) -> Any:
    process = incidents.c.imported_at.type.bind_processor(conn.dialect)
    return process(value) if process else value


_SQLITE_INSERT = (
    f"INSERT INTO incidents ({', '.join((*INCIDENT_WRITE_COLUMNS, 'imported_at', 'updated_at'))}) "
    f"VALUES ({', '.join('?' * (len(INCIDENT_WRITE_COLUMNS) + 2))})"
)
assert _DATES[1] == _DATES[0] + 1, "the insert converts the two adjacent date columns"


def _update_statement(source: str) -> sa.Update:
    t = incidents.c
    return (
        incidents.update()
        .where(t.source == source, t.source_id == sa.bindparam("b_source_id"))
        .values({name: sa.bindparam(name) for name in _UPDATABLE})
    )


_UPDATABLE = tuple(
    c.name for c in incidents.columns if c.name not in ("id", "source", "source_id", "imported_at")
)


def within_area(
    pcode: str, adm3: sa.ColumnElement[str] = incidents.c.adm3_pcode
) -> tuple[sa.ColumnElement[bool], ...]:
    """Rows inside an area of any level, as a range on an adm3 pcode column (and its index).

    Pcodes nest by prefix and are fixed-width, so every sub-district of IQG13Q04 sorts
    between "IQG13Q04" and "IQG13Q04~" ('~' follows every letter and digit).
    """
    if pcode_level(pcode) is AreaLevel.SUBDISTRICT:
        return (adm3 == pcode,)
    return (adm3 > pcode, adm3 < pcode + "~")


def where_matching(query: sa.Select[Any], filt: IncidentFilter) -> sa.Select[Any]:
    """`query` (over `incidents`) narrowed to the incidents that match the filter."""
    t = incidents.c
    if filt.area is not None:
        query = query.where(*within_area(filt.area))
    if filt.date_from is not None:
        query = query.where(t.date_start >= filt.date_from)
    if filt.date_to is not None:
        query = query.where(t.date_start <= filt.date_to)
    if filt.disputed_only:
        query = query.where(t.disputed.is_(True))
    return query


def count_incidents(conn: Connection, filt: IncidentFilter) -> int:
    """How many incidents match the filter."""
    query = where_matching(sa.select(sa.func.count()).select_from(incidents), filt)
    return int(conn.execute(query).scalar_one())


def find_incidents(
    conn: Connection, filt: IncidentFilter, limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Matching incidents, oldest first (ties by id), streamed from the database."""
    query = where_matching(sa.select(incidents), filt).order_by(
        incidents.c.date_start, incidents.c.id
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    result = conn.execution_options(yield_per=5_000).execute(query)
    for row in result.mappings():
        yield dict(row)


def find_incident(conn: Connection, source: str, source_id: str) -> dict[str, Any] | None:
    """One stored incident by its dataset and id in that dataset."""
    query = sa.select(incidents).where(
        incidents.c.source == source, incidents.c.source_id == source_id
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def incident_by_id(conn: Connection, incident_id: str) -> dict[str, Any] | None:
    """One stored incident by its id in this node (the `id` of its JSON record), or None for
    an id that is not a stored one, whatever its shape."""
    shaped = incident_id.isascii() and incident_id.isdigit() and len(incident_id) <= 10
    if not shaped or int(incident_id) >= 2**31:  # ids are 32-bit on both databases
        return None
    query = sa.select(incidents).where(incidents.c.id == int(incident_id))
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None
