"""The audit of reads: who was shown which marked objects, through which door."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from tansiq.accounts import Principal
from tansiq.domain.reports import Role
from tansiq.store import audit
from tansiq.store.database import writing


def record_read(engine: Engine, who: Principal, ids: list[str], door: str) -> None:
    """One audit entry for objects shown to someone; a partner node's pull is a share."""
    if not ids:
        return
    action = "share" if who.role is Role.PEER else "read"
    with writing(engine) as conn:
        audit.append(
            conn,
            at=datetime.now(UTC),
            actor=who.name,
            action=action,
            subject=door,
            detail={"count": len(ids), "ids": ids},
        )
