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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from tansiq import operations, tasks
from tansiq.domain.approvals import Policy
from tansiq.store.database import writing

log = logging.getLogger("tansiq.deadlines")

STOP_WAIT_S = 30.0


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


class Sweeper:
    """One background thread sweeping until stopped."""

    def __init__(
        self, engine: Engine, policy: Policy, clock: Callable[[], datetime], poll_s: float
    ) -> None:
        self._engine, self._policy, self._clock, self._poll_s = engine, policy, clock, poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tansiq-deadlines", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT_S)
        if self._thread.is_alive():
            log.warning("the deadline sweeper did not stop within %s s", STOP_WAIT_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = sweep(self._engine, self._policy, self._clock())
                if done.operations or done.tasks:
                    log.info(
                        "escalated %d operation deadlines and %d overdue tasks",
                        done.operations,
                        done.tasks,
                    )
            except Exception:
                log.exception("the deadline sweep failed; trying again in %s s", self._poll_s)
            self._stop.wait(self._poll_s)


@contextmanager
def running(
    engine: Engine, policy: Policy, clock: Callable[[], datetime], poll_s: float
) -> Iterator[None]:
    """A sweeper while the block runs (none when `poll_s` is 0)."""
    if poll_s <= 0:
        yield
        return
    sweeper = Sweeper(engine, policy, clock, poll_s)
    sweeper.start()
    try:
        yield
    finally:
        sweeper.stop()
