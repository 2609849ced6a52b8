"""The taxii_statuses table: the outcome of each TAXII Add Objects request, kept for 24 hours.

A status belongs to the partner that posted it: another partner asking for it gets nothing, as
if it did not exist. Expired statuses are deleted when a new one is created.

A status is `pending` while some of its objects wait in the quarantine for stix2-validator;
`settle` moves them to successes or failures as they are judged, and the status is `complete`
once none is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import taxii_statuses

LIFETIME: Final = timedelta(hours=24)
"""How long a status can be read (TAXII asks for at least 24 hours)."""

Detail = dict[str, str]
"""One entry of a status list: id, version and, for failures, a message."""


@dataclass(frozen=True, slots=True)
class TaxiiStatus:
    id: str
    partner: str
    created_at: datetime
    status: str
    successes: list[Detail] = field(default_factory=list)
    failures: list[Detail] = field(default_factory=list)
    pendings: list[Detail] = field(default_factory=list)

    @property
    def total_count(self) -> int:
        return len(self.successes) + len(self.failures) + len(self.pendings)


def create(conn: Connection, status: TaxiiStatus) -> None:
    """Store a status (inside the write transaction that did the work) and drop expired ones."""
    conn.execute(
        taxii_statuses.delete().where(taxii_statuses.c.created_at < _cutoff(status.created_at))
    )
    details = {
        "successes": status.successes,
        "failures": status.failures,
        "pendings": status.pendings,
    }
    conn.execute(
        taxii_statuses.insert().values(
            id=status.id,
            partner_code=status.partner,
            created_at=_utc(status.created_at),
            status=status.status,
            total_count=status.total_count,
            success_count=len(status.successes),
            failure_count=len(status.failures),
            pending_count=len(status.pendings),
            details=orjson.dumps(details).decode(),
        )
    )


def settle(
    conn: Connection, status_id: str, successes: Sequence[Detail], failures: Sequence[Detail]
) -> None:
    """Move judged objects from the status's pending list to its successes or failures.

    The row is locked (FOR UPDATE on PostgreSQL) so that two validators settling parts of one
    envelope do not overwrite each other. A status already expired and deleted is left alone.
    """
    t = taxii_statuses
    stmt = sa.select(t.c.details).where(t.c.id == status_id).with_for_update()
    text = conn.execute(stmt).scalar()
    if text is None:
        return
    details = orjson.loads(text)
    judged = Counter(_key(d) for d in [*successes, *failures])
    pendings = []
    for entry in details.get("pendings", []):
        if judged[_key(entry)] > 0:
            judged[_key(entry)] -= 1
        else:
            pendings.append(entry)
    details = {
        "successes": [*details.get("successes", []), *successes],
        "failures": [*details.get("failures", []), *failures],
        "pendings": pendings,
    }
    conn.execute(
        t.update()
        .where(t.c.id == status_id)
        .values(
            status="pending" if pendings else "complete",
            success_count=len(details["successes"]),
            failure_count=len(details["failures"]),
            pending_count=len(pendings),
            details=orjson.dumps(details).decode(),
        )
    )


def _key(detail: Detail) -> tuple[str, str]:
    return detail["id"], detail["version"]


def get(conn: Connection, status_id: str, partner: str, now: datetime) -> TaxiiStatus | None:
    """The status if `partner` posted it less than 24 hours ago, else None."""
    t = taxii_statuses
    stmt = sa.select(t.c.id, t.c.partner_code, t.c.created_at, t.c.status, t.c.details).where(
        t.c.id == status_id, t.c.partner_code == partner, t.c.created_at >= _cutoff(now)
    )
    row = conn.execute(stmt).first()
    return _status(row) if row is not None else None


def _status(row: Any) -> TaxiiStatus:
    details = orjson.loads(row.details)
    return TaxiiStatus(
        id=str(row.id),
        partner=str(row.partner_code),
        created_at=_utc(row.created_at),
        status=str(row.status),
        successes=details.get("successes", []),
        failures=details.get("failures", []),
        pendings=details.get("pendings", []),
    )


def _cutoff(now: datetime) -> datetime:
    return _utc(now) - LIFETIME


def _utc(moment: datetime) -> datetime:
    """UTC, and naive-as-UTC read back from SQLite made aware again."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
