"""Tasks from intelligence: an action asked of a partner, its states, deadlines and metrics.

"We provided them with information, but they did not take any action" (CONTEXT.md): a task
makes the hand-over explicit. It is raised from a report, an incident, an operation (a
break-glass review) or a border alert, addressed to one partner, and moves

    open -> acknowledged -> in-progress -> done (with feedback)
    open | acknowledged | in-progress -> declined (with a reason)

Only the receiving partner's people move it; the issuing partner follows its progress. It has
two deadlines, for acknowledgement and for completion, counted from its creation; a sweep
raises its escalation level when one passes (1: not acknowledged in time, 2: not done in time),
and the level never goes down.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tansiq.errors import Conflict, InvalidInput


class TaskState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    DECLINED = "declined"

    @property
    def closed(self) -> bool:
        return self in (TaskState.DONE, TaskState.DECLINED)


class TaskAction(StrEnum):
    ACK = "ack"
    START = "start"
    DONE = "done"
    DECLINE = "decline"

    @property
    def verb(self) -> str:
        return _VERBS[self]


_VERBS = {"ack": "acknowledge", "start": "start", "done": "close as done", "decline": "decline"}


class SourceKind(StrEnum):
    REPORT = "report"
    INCIDENT = "incident"
    OPERATION = "operation"
    BORDER_ALERT = "border-alert"


_MOVES: dict[TaskAction, tuple[frozenset[TaskState], TaskState]] = {
    TaskAction.ACK: (frozenset({TaskState.OPEN}), TaskState.ACKNOWLEDGED),
    TaskAction.START: (frozenset({TaskState.ACKNOWLEDGED}), TaskState.IN_PROGRESS),
    TaskAction.DONE: (frozenset({TaskState.IN_PROGRESS}), TaskState.DONE),
    TaskAction.DECLINE: (
        frozenset({TaskState.OPEN, TaskState.ACKNOWLEDGED, TaskState.IN_PROGRESS}),
        TaskState.DECLINED,
    ),
}

DEFAULT_DEADLINES: dict[SourceKind, tuple[timedelta, timedelta]] = {
    SourceKind.REPORT: (timedelta(hours=4), timedelta(days=3)),
    SourceKind.INCIDENT: (timedelta(hours=2), timedelta(days=1)),
    SourceKind.OPERATION: (timedelta(hours=4), timedelta(days=2)),
    SourceKind.BORDER_ALERT: (timedelta(hours=1), timedelta(hours=12)),
}
"""(acknowledge within, done within) by source: an incident or a border alert is fresher than
a report, so it is due sooner."""

MAX_WITHIN = timedelta(days=365)
ESCALATION_ACK = 1
ESCALATION_DONE = 2


def parse_source_kind(text: str) -> SourceKind:
    try:
        return SourceKind(text)
    except ValueError:
        choices = ", ".join(k.value for k in SourceKind)
        raise InvalidInput(f"unknown task source {text!r}; use one of {choices}") from None


def parse_state(text: str) -> TaskState:
    try:
        return TaskState(text.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in TaskState)
        raise InvalidInput(f"state: unknown task state {text!r}; use one of {choices}") from None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)


def parse_within(text: str, field: str) -> timedelta:
    """A deadline as a number and a unit: 30m, 4h, 3d, 2w."""
    found = _DURATION.match(text)
    if found is None:
        raise InvalidInput(f"{field}: {text!r} is not a duration like 30m, 4h, 3d or 2w")
    return check_within(float(found.group(1)) * _UNITS[found.group(2).lower()], field)


def check_within(within: timedelta, field: str) -> timedelta:
    if not timedelta(minutes=1) <= within <= MAX_WITHIN:
        raise InvalidInput(f"{field}: a deadline is 1 minute to 365 days away")
    return within


def deadlines(
    kind: SourceKind, ack_within: timedelta | None, done_within: timedelta | None
) -> tuple[timedelta, timedelta]:
    """The two deadlines: those given, else the source's defaults; done cannot come first."""
    default_ack, default_done = DEFAULT_DEADLINES[kind]
    ack = check_within(ack_within, "ack_within") if ack_within is not None else default_ack
    done = check_within(done_within, "done_within") if done_within is not None else default_done
    if done < ack:
        raise InvalidInput("done_within: the task cannot be due before it must be acknowledged")
    return ack, done


def check_text(title: str, body: str) -> None:
    if not title.strip() or len(title) > 300:
        raise InvalidInput("title: a task's title is 1-300 characters")
    if len(body) > 20_000:
        raise InvalidInput("body: at most 20,000 characters")


def move(state: TaskState, action: TaskAction, text: str) -> TaskState:
    """The state after `action`, or Conflict naming what is allowed; done needs feedback
    and decline a reason (the issuer is owed an answer either way)."""
    allowed, after = _MOVES[action]
    if state not in allowed:
        raise Conflict(
            f"cannot {action.verb} a task that is {state.value}"
            + (" (it is closed)" if state.closed else f"; allowed: {_allowed_from(state)}")
        )
    if action is TaskAction.DONE and not text.strip():
        raise InvalidInput("feedback: say what was done (required to close a task as done)")
    if action is TaskAction.DECLINE and not text.strip():
        raise InvalidInput("reason: say why the task is declined (required)")
    if len(text) > 20_000:
        raise InvalidInput("feedback/reason: at most 20,000 characters")
    return after


def _allowed_from(state: TaskState) -> str:
    return ", ".join(a.value for a, (froms, _) in _MOVES.items() if state in froms)


@dataclass(frozen=True, slots=True)
class Timing:
    """What the sweep and the metrics need to know of a task."""

    to_partner: str
    state: TaskState
    created_at: datetime
    ack_due: datetime
    done_due: datetime
    acknowledged_at: datetime | None
    escalation_level: int = 0

    def ack_overdue(self, now: datetime) -> bool:
        return self.state is TaskState.OPEN and now > self.ack_due

    def done_overdue(self, now: datetime) -> bool:
        return not self.state.closed and now > self.done_due

    def due_level(self, now: datetime) -> int:
        """The escalation level the deadlines call for now (never below the recorded one)."""
        level = ESCALATION_DONE if self.done_overdue(now) else 0
        if not level and self.ack_overdue(now):
            level = ESCALATION_ACK
        return max(level, self.escalation_level)


@dataclass(frozen=True, slots=True)
class PartnerMetrics:
    partner: str
    received: int
    acknowledged: int
    median_ack_s: float | None
    p90_ack_s: float | None
    share_done: float
    share_declined: float
    overdue_ack: int
    overdue_done: int
    overdue: int


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile by linear interpolation between closest ranks (numpy's default,
    Hyndman and Fan type 7); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def metrics(tasks: Iterable[Timing], now: datetime) -> list[PartnerMetrics]:
    """Per receiving partner: tasks received, time to acknowledge (median, p90, seconds, over
    the tasks acknowledged), shares done and declined, and tasks overdue now."""
    by_partner: dict[str, list[Timing]] = {}
    for task in tasks:
        by_partner.setdefault(task.to_partner, []).append(task)
    return [_partner_metrics(code, by_partner[code], now) for code in sorted(by_partner)]


def _partner_metrics(partner: str, tasks: list[Timing], now: datetime) -> PartnerMetrics:
    waits = [
        (t.acknowledged_at - t.created_at).total_seconds()
        for t in tasks
        if t.acknowledged_at is not None
    ]
    n = len(tasks)
    return PartnerMetrics(
        partner=partner,
        received=n,
        acknowledged=len(waits),
        median_ack_s=percentile(waits, 50),
        p90_ack_s=percentile(waits, 90),
        share_done=sum(t.state is TaskState.DONE for t in tasks) / n,
        share_declined=sum(t.state is TaskState.DECLINED for t in tasks) / n,
        overdue_ack=sum(t.ack_overdue(now) for t in tasks),
        overdue_done=sum(t.done_overdue(now) for t in tasks),
        overdue=sum(t.ack_overdue(now) or t.done_overdue(now) for t in tasks),
    )
