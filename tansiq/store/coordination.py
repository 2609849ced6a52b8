"""The coordination feed's outbox: rows appended as things change, read by peer nodes in order.

Only the latest row of each (topic, key) is kept: a peer that missed an earlier change of a
footprint or an operation needs its present state, not its history. A removal is a row with
no body, kept so that peers which held the thing drop it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Viewer
from tansiq.store.objects import clock
from tansiq.store.schema_coordination import coordination_audience, coordination_outbox


@dataclass(frozen=True, slots=True)
class FeedRow:
    seq: int
    topic: str
    key: str
    body: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a row is for: every peer node, or the partners named (exactly, when `red`)."""

    every_peer: bool = False
    partners: frozenset[str] = frozenset()
    red: bool = False


EVERY_PEER = Audience(every_peer=True)


@dataclass(frozen=True, slots=True)
class Change:
    """One thing changed: its topic and key, and its new record (None: removed)."""

    topic: str
    key: str
    body: dict[str, Any] | None
    audience: Audience


_CHUNK = 500


def append(conn: Connection, changes: Sequence[Change]) -> None:
    """Record changes in order; earlier rows of the same things are dropped (see above)."""
    for start in range(0, len(changes), _CHUNK):
        _append_chunk(conn, changes[start : start + _CHUNK])


def _append_chunk(conn: Connection, changes: Sequence[Change]) -> None:
    latest = {(c.topic, c.key): c for c in changes}
    t = coordination_outbox.c
    old = sa.select(t.seq).where(sa.tuple_(t.topic, t.key).in_(list(latest)))
    stale = [int(s) for s in conn.execute(old).scalars()]
    if stale:
        conn.execute(coordination_audience.delete().where(coordination_audience.c.seq.in_(stale)))
        conn.execute(coordination_outbox.delete().where(t.seq.in_(stale)))
    first = clock(conn, 1, len(latest))
    rows, audience = [], []
    for seq, change in enumerate(latest.values(), start=first):
        rows.append(_outbox_row(seq, change))
        audience += [{"seq": seq, "partner_code": p} for p in sorted(change.audience.partners)]
    conn.execute(coordination_outbox.insert(), rows)
    if audience:
        conn.execute(coordination_audience.insert(), audience)


def _outbox_row(seq: int, change: Change) -> dict[str, Any]:
    body = change.body
    return {
        "seq": seq,
        "topic": change.topic,
        "key": change.key,
        "body": None if body is None else orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode(),
        "every_peer": change.audience.every_peer,
        "red": change.audience.red,
    }


def _for(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The rows a peer node's account may read: releasability in SQL, failing closed."""
    named = sa.exists().where(
        coordination_audience.c.seq == coordination_outbox.c.seq,
        sa.or_(
            sa.and_(
                coordination_outbox.c.red.is_(False),
                coordination_audience.c.partner_code.in_(sorted(viewer.codes)),
            ),
            sa.and_(
                coordination_outbox.c.red.is_(True),
                coordination_audience.c.partner_code.in_(sorted(viewer.red_codes)),
            ),
        ),
    )
    return sa.or_(coordination_outbox.c.every_peer.is_(True), named)


def page(conn: Connection, viewer: Viewer, after: int, limit: int) -> list[FeedRow]:
    """The rows after `after` that `viewer` may read, oldest first."""
    stmt = (
        sa.select(
            coordination_outbox.c.seq,
            coordination_outbox.c.topic,
            coordination_outbox.c.key,
            coordination_outbox.c.body,
        )
        .where(coordination_outbox.c.seq > after, _for(viewer))
        .order_by(coordination_outbox.c.seq)
        .limit(limit)
    )
    return [_row(r) for r in conn.execute(stmt)]


def _row(r: Any) -> FeedRow:
    body = None if r.body is None else orjson.loads(r.body)
    return FeedRow(int(r.seq), str(r.topic), str(r.key), body)
