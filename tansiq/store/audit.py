"""The audit_log and audit_head tables: appends that extend the hash chain, reads, verification.

Nothing here updates or deletes an entry. Appends serialise on the head row: SQLite's
`BEGIN IMMEDIATE` already makes the writer the only one, and on PostgreSQL the head is read
with `SELECT ... FOR UPDATE`, so two appends never take the same seq or link to the same entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from tansiq.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditVerdict,
    Head,
    StoredEntry,
    check_fields,
    encode_detail,
    entry_hash,
    utc,
    verify_chain,
)
from tansiq.errors import TansiqError
from tansiq.store.schema import audit_head, audit_log

_HEAD_ID = 1
_STREAM_ROWS = 1_000  # rows fetched at a time while verifying

_HEAD = sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)
# FOR UPDATE is rendered on PostgreSQL only; SQLite's single writer needs no row lock.
_HEAD_FOR_UPDATE = _HEAD.with_for_update()
_ANY_ENTRY = sa.select(sa.exists().select_from(audit_log))
# `at` as stored, unconverted: on SQLite an edited value may not parse (see _at).
_ENTRY_COLUMNS = (
    audit_log.c.seq,
    sa.type_coerce(audit_log.c.at, sa.String).label("at"),
    audit_log.c.actor,
    audit_log.c.action,
    audit_log.c.subject,
    audit_log.c.detail,
)
_UNREADABLE_AT = datetime.min.replace(tzinfo=UTC)


def append(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any],
) -> int:
    """Add an entry at the end of the chain and move the head to it; returns its seq.

    Call inside a write transaction (`tansiq.store.database.writing`), in the same transaction
    as the change it records. Raises InvalidInput for a detail that is not JSON.
    """
    check_fields(actor, action)
    text = encode_detail(detail)
    last_seq, last_hash = _locked_head(conn)
    # Hash the detail as it will be read back, so that verification sees the same value.
    entry = AuditEntry(last_seq + 1, utc(at), actor, action, subject, orjson.loads(text))
    digest = entry_hash(last_hash, entry)
    conn.execute(
        audit_log.insert(),
        {**_entry_values(entry), "detail": text, "prev_hash": last_hash, "hash": digest},
    )
    conn.execute(
        audit_head.update().where(audit_head.c.id == _HEAD_ID),
        {"seq": entry.seq, "hash": digest},
    )
    return entry.seq


def _locked_head(conn: Connection) -> Head:
    """The head's (seq, hash), locked until commit; created at (0, GENESIS) on first use."""
    head = conn.execute(_HEAD_FOR_UPDATE).one_or_none()
    if head is None:
        _create_head(conn)
        head = conn.execute(_HEAD_FOR_UPDATE).one()
        if head.seq == 0 and conn.execute(_ANY_ENTRY).scalar():
            # Never restart the chain over old entries: that would cover up the deleted head.
            raise TansiqError("the audit head is missing: run `tansiq audit verify`")
    return int(head.seq), str(head.hash)


def _create_head(conn: Connection) -> None:
    # Two first appends on PostgreSQL may race here; DO NOTHING lets the second one wait
    # for the first and then lock the row it made.
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"id": _HEAD_ID, "seq": 0, "hash": GENESIS}
    conn.execute(dialect_insert(audit_head).values(values).on_conflict_do_nothing())


def _entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
    }


def entries(conn: Connection, *, limit: int | None = None, after: int = 0) -> list[AuditEntry]:
    """Entries with seq above `after`, oldest first, at most `limit` of them."""
    query = (
        sa.select(*_ENTRY_COLUMNS)
        .where(audit_log.c.seq > after)
        .order_by(audit_log.c.seq)
        .limit(limit)
    )
    return [_entry(row) for row in conn.execute(query)]


def latest(conn: Connection, count: int) -> list[AuditEntry]:
    """The newest `count` entries, oldest first."""
    query = sa.select(*_ENTRY_COLUMNS).order_by(audit_log.c.seq.desc()).limit(count)
    return [_entry(row) for row in reversed(conn.execute(query).all())]


def verify(conn: Connection) -> AuditVerdict:
    """Check the whole chain and the head, streaming the entries in seq order.

    Run inside one read transaction. The head is read first, so appends committed while the
    walk runs extend the chain past the head instead of looking like a break.
    """
    row = conn.execute(_HEAD).one_or_none()
    head = None if row is None else (int(row.seq), str(row.hash))
    query = sa.select(*_ENTRY_COLUMNS, audit_log.c.prev_hash, audit_log.c.hash).order_by(
        audit_log.c.seq
    )
    with conn.execute(query, execution_options={"yield_per": _STREAM_ROWS}) as result:
        return verify_chain(_stored(result), head)


def _stored(rows: Iterator[sa.Row[Any]]) -> Iterator[StoredEntry]:
    for row in rows:
        yield _entry(row), str(row.prev_hash), str(row.hash)


def _entry(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(
        seq=int(row.seq),
        at=_at(row.at),
        actor=str(row.actor),
        action=str(row.action),
        subject=str(row.subject),
        detail=_detail(row.detail),
    )


# append stores only well-formed values, so a value that does not parse was put there by
# hand. A stand-in for it can never hash like the original, and verify reports the entry
# as edited instead of failing on it.


def _at(stored: datetime | str) -> datetime:
    if isinstance(stored, datetime):
        return utc(stored)
    try:
        return utc(datetime.fromisoformat(str(stored)))
    except ValueError:
        return _UNREADABLE_AT


def _detail(stored: str) -> Any:
    try:
        return orjson.loads(stored)
    except (TypeError, ValueError):
        return stored  # a string, where a stored detail is always a JSON object
