"""Draining the quarantine: stix2-validator on held inbox objects, then store or fail each.

A batch is claimed (tansiq.store.quarantine), validated with no transaction open, so the slow
validator never holds SQLite's write lock, and applied in one write transaction: what passes
goes through `exchange.receive` with the same Source as an inbox POST always had, what fails
becomes a failure with the validator's message, the rows leave the quarantine and the statuses
move their entries from pending to successes or failures. `drain` empties the queue; the
background worker (tansiq.sharing.taxii.worker) calls `drain_batch` in a loop, and tests call
`drain` directly instead of waiting for it.

A batch that cannot be applied (an unexpected error in storing some odd object) is applied
again object by object, and an object that still fails is a failure in its status: one poison
object never blocks the queue. A database that is unavailable is not such an error: the batch
stays claimed, its lease lapses, and it is tried again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tansiq.sharing import exchange, validation
from tansiq.store import audit, quarantine, statuses
from tansiq.store.database import writing
from tansiq.store.statuses import Detail

log = logging.getLogger("tansiq.taxii")

BATCH: Final = 200
"""Objects per batch by default: about a third of a second of validation, one transaction."""

INTERNAL: Final = "could not be stored (internal error); the receiving node logged it"

_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True, slots=True)
class _Judged:
    row: quarantine.Held
    body: Any
    problem: str | None

    def detail(self, message: str | None = None) -> Detail:
        found = {"id": self.row.stix_id, "version": self.row.version}
        return found if message is None else {**found, "message": message}


def drain(engine: Engine, now: datetime, batch: int = BATCH) -> int:
    """Validate and apply everything held that no other worker has claimed; returns how many."""
    total = 0
    while done := drain_batch(engine, now, batch):
        total += done
    return total


def drain_batch(
    engine: Engine, now: datetime, limit: int, stop: threading.Event | None = None
) -> int:
    """Claim, validate and apply up to `limit` held objects; returns how many were judged.

    If `stop` is set while validating, the claim is given back and 0 is returned.
    """
    token = str(uuid.uuid4())
    with writing(engine) as conn:
        held = quarantine.claim(conn, token, now, limit)
    judged = []
    for row in held:
        if stop is not None and stop.is_set():
            with writing(engine) as conn:
                quarantine.release(conn, token)
            return 0
        judged.append(_judge(row))
    if judged:
        _settle(engine, token, judged, now)
    return len(judged)


def _judge(row: quarantine.Held) -> _Judged:
    body = orjson.loads(row.body)
    return _Judged(row, body, validation.problem(body))


def _settle(engine: Engine, token: str, judged: Sequence[_Judged], now: datetime) -> None:
    try:
        with writing(engine) as conn:
            _apply(conn, token, judged, now)
    except _UNAVAILABLE:
        raise
    except Exception:
        if len(judged) == 1:
            log.exception("storing %s from the quarantine failed", judged[0].row.stix_id)
            with writing(engine) as conn:
                _apply(conn, token, [replace(judged[0], problem=INTERNAL)], now)
            return
        log.exception("applying a quarantine batch failed; applying it object by object")
        for one in judged:
            _settle(engine, token, [one], now)


def _apply(conn: Connection, token: str, judged: Sequence[_Judged], now: datetime) -> None:
    """Store what passed and settle the statuses, for the rows this worker still holds."""
    mine = quarantine.take(conn, token, [j.row.seq for j in judged])
    by_poster: dict[quarantine.Poster, list[_Judged]] = {}
    for one in judged:
        if one.row.seq in mine:
            by_poster.setdefault(one.row.poster, []).append(one)
    for poster, group in by_poster.items():
        _apply_group(conn, poster, group, now)


def _apply_group(
    conn: Connection, poster: quarantine.Poster, group: list[_Judged], now: datetime
) -> None:
    passed = [j for j in group if j.problem is None]
    failures = [j.detail(j.problem) for j in group if j.problem is not None]
    successes: list[Detail] = []
    if passed:
        source = exchange.Source(partner=poster.partner, peer=None, actor=poster.actor)
        summary = exchange.receive(conn, source, [j.body for j in passed], now)
        for one, result in zip(passed, summary.results, strict=True):
            if result.ok:
                successes.append(one.detail())
            else:
                failures.append(one.detail(result.message or "rejected"))
    if len(passed) < len(group):
        failed = {"passed": len(passed), "failed": len(group) - len(passed)}
        audit.append(
            conn,
            at=now,
            actor=poster.actor,
            action="validate",
            subject=poster.partner,
            detail=failed,
        )
    statuses.settle(conn, poster.status_id, successes, failures)
