"""The incidents table: idempotent batch upserts and filtered reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.incidents import IncidentFilter, pcode_level
from tansiq.store.schema import incidents

_ID_CHUNK = 5_000  # keeps IN lists well under SQLite's bound-parameter limit

Row = Mapping[str, Any]


def existing_hashes(conn: Connection, source: str, source_ids: Sequence[str]) -> dict[str, str]:
    """source_id -> content_hash of the incidents of `source` that are already stored."""
    found: dict[str, str] = {}
    t = incidents.c
    for start in range(0, len(source_ids), _ID_CHUNK):
        chunk = source_ids[start : start + _ID_CHUNK]
        query = sa.select(t.source_id, t.content_hash).where(
            t.source == source, t.source_id.in_(chunk)
        )
        found.update((sid, digest) for sid, digest in conn.execute(query))
    return found


def upsert_incidents(
    conn: Connection, source: str, rows: Sequence[Row], now: datetime
) -> tuple[int, int, int]:
    """Write one batch of one source; returns (imported, updated, unchanged).

    A row whose (source, source_id) is new is inserted; one whose content hash differs from
    the stored one replaces it; one with the same hash is left alone. Runs inside the
    caller's transaction, so a batch is all or nothing.
    """
    stored = existing_hashes(conn, source, [r["source_id"] for r in rows])
    new = [
        {**r, "imported_at": now, "updated_at": now} for r in rows if r["source_id"] not in stored
    ]
    changed = [
        {**r, "updated_at": now, "b_source_id": r["source_id"]}
        for r in rows
        if r["source_id"] in stored and stored[r["source_id"]] != r["content_hash"]
    ]
    if new:
        conn.execute(incidents.insert(), new)
    if changed:
        conn.execute(_update_statement(source), changed)
    return len(new), len(changed), len(rows) - len(new) - len(changed)


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


def _where(query: sa.Select[Any], filt: IncidentFilter) -> sa.Select[Any]:
    t = incidents.c
    if filt.area is not None:
        column = t[f"adm{int(pcode_level(filt.area))}_pcode"]
        query = query.where(column == filt.area)
    if filt.date_from is not None:
        query = query.where(t.date_start >= filt.date_from)
    if filt.date_to is not None:
        query = query.where(t.date_start <= filt.date_to)
    if filt.disputed_only:
        query = query.where(t.disputed.is_(True))
    return query


def count_incidents(conn: Connection, filt: IncidentFilter) -> int:
    """How many incidents match the filter."""
    query = _where(sa.select(sa.func.count()).select_from(incidents), filt)
    return int(conn.execute(query).scalar_one())


def find_incidents(
    conn: Connection, filt: IncidentFilter, limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Matching incidents, oldest first (ties by id), streamed from the database."""
    query = _where(sa.select(incidents), filt).order_by(incidents.c.date_start, incidents.c.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    result = conn.execution_options(yield_per=5_000).execute(query)
    for row in result.mappings():
        yield dict(row)
