"""The deadline sweeper: a thread of `tansiq serve` that escalates what waited too long.

An operation pending approval past its deadline escalates to its sides' next level
(tansiq.operations.escalate; it never approves), and a task not acknowledged or not done in
time rises a level (tansiq.tasks.escalate_overdue). Both are idempotent at a given time, so the
sweep runs at start and then every `deadline_sweep_seconds`, each in one write transaction,
and `tansiq ops escalate` / `tansiq tasks escalate` from cron do the same on a node without a
server. An error is logged and tried again at the next sweep; the thread never dies of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.engine import Engine

from tansiq import operations, tasks
from tansiq.api import periodic
from tansiq.domain.approvals import Policy
from tansiq.store.database import writing

log = logging.getLogger("tansiq.deadlines")


@dataclass(frozen=True, slots=True)
class Swept:
    operations: int
    tasks: int


def sweep(engine: Engine, policy: Policy, now: datetime) -> Swept:
    """Escalate, once, every operation and task overdue at `now`."""
    with writing(engine) as conn:
        raised = operations.escalate(conn, policy, now)
        overdue = tasks.escalate_overdue(conn, now)
    return Swept(len(raised), len(overdue))


def running(
    engine: Engine, policy: Policy, clock: Callable[[], datetime], poll_s: float
) -> AbstractContextManager[None]:
    """A sweeper while the block runs (none when `poll_s` is 0)."""
    return periodic.running(
        "tansiq-deadlines", partial(_sweep_now, engine, policy, clock), poll_s, log
    )


def _sweep_now(engine: Engine, policy: Policy, clock: Callable[[], datetime]) -> None:
    done = sweep(engine, policy, clock())
    if done.operations or done.tasks:
        log.info(
            "escalated %d operation deadlines and %d overdue tasks", done.operations, done.tasks
        )
