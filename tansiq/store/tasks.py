"""The tasks table: writes, and reads filtered by who may see a task, in SQL.

A task is seen by the people of the partner that issued it and of the partner it is addressed
to, those partners themselves (a viewer's `red_codes`: not their parent or sub-organisations);
nobody else, on any read: lists, one task, metrics. An unknown viewer sees nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Viewer
from tansiq.domain.tasks import TaskState, Timing
from tansiq.store.positions import utc
from tansiq.store.schema_tasks import tasks

_TIMES = ("created_at", "ack_due", "done_due", "acknowledged_at", "started_at", "closed_at")


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """True for the tasks the viewer's own partner issued or received."""
    codes = sorted(viewer.red_codes)
    return sa.or_(tasks.c.to_partner.in_(codes), tasks.c.from_partner.in_(codes))


def insert(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(tasks.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _row(row: Any) -> dict[str, Any]:
    found = dict(row)
    for name in (*_TIMES, "escalated_at"):
        if found.get(name) is not None:
            found[name] = utc(found[name])
    return found


def visible_task(conn: Connection, viewer: Viewer, task_id: int) -> dict[str, Any] | None:
    """One task if the viewer may see it, else None (as if missing)."""
    query = sa.select(tasks).where(tasks.c.id == task_id, visible_to(viewer))
    row = conn.execute(query).mappings().first()
    return _row(row) if row else None


def locked_task(conn: Connection, viewer: Viewer, task_id: int) -> dict[str, Any] | None:
    """The same, locked for update until commit (PostgreSQL; SQLite has one writer)."""
    query = sa.select(tasks).where(tasks.c.id == task_id, visible_to(viewer)).with_for_update()
    row = conn.execute(query).mappings().first()
    return _row(row) if row else None


def find_tasks(
    conn: Connection,
    viewer: Viewer,
    *,
    states: Iterable[TaskState] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The tasks the viewer may see, newest first."""
    query = sa.select(tasks).where(visible_to(viewer))
    if states is not None:
        query = query.where(tasks.c.state.in_(sorted(s.value for s in states)))
    query = query.order_by(tasks.c.created_at.desc(), tasks.c.id.desc()).limit(limit).offset(offset)
    return [_row(row) for row in conn.execute(query).mappings()]


def count_tasks(
    conn: Connection, viewer: Viewer, *, states: Iterable[TaskState] | None = None
) -> int:
    query = sa.select(sa.func.count()).select_from(tasks).where(visible_to(viewer))
    if states is not None:
        query = query.where(tasks.c.state.in_(sorted(s.value for s in states)))
    return int(conn.execute(query).scalar_one())


def update(conn: Connection, task_id: int, values: dict[str, Any]) -> None:
    conn.execute(tasks.update().where(tasks.c.id == task_id).values(**values))


def timings(conn: Connection, viewer: Viewer | None) -> list[tuple[int, Timing]]:
    """Each task's deadlines and progress: the viewer's (None: every task, for the sweep)."""
    t = tasks.c
    query = sa.select(
        t.id,
        t.to_partner,
        t.state,
        t.created_at,
        t.ack_due,
        t.done_due,
        t.acknowledged_at,
        t.escalation_level,
    ).order_by(t.id)
    if viewer is not None:
        query = query.where(visible_to(viewer))
    return [(int(r.id), _timing(r)) for r in conn.execute(query)]


def open_timings(conn: Connection, now: datetime) -> list[tuple[int, Timing]]:
    """Tasks still open, acknowledged or in progress with a deadline passed: the sweep's work."""
    t = tasks.c
    when = utc(now)
    query = (
        sa.select(
            t.id,
            t.to_partner,
            t.state,
            t.created_at,
            t.ack_due,
            t.done_due,
            t.acknowledged_at,
            t.escalation_level,
        )
        .where(
            t.state.in_([s.value for s in TaskState if not s.closed]),
            sa.or_(t.ack_due < when, t.done_due < when),
        )
        .order_by(t.id)
        .with_for_update()
    )
    return [(int(r.id), _timing(r)) for r in conn.execute(query)]


def _timing(r: Any) -> Timing:
    return Timing(
        to_partner=str(r.to_partner),
        state=TaskState(r.state),
        created_at=utc(r.created_at),
        ack_due=utc(r.ack_due),
        done_due=utc(r.done_due),
        acknowledged_at=utc(r.acknowledged_at) if r.acknowledged_at is not None else None,
        escalation_level=int(r.escalation_level),
    )
