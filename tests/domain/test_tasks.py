"""Tasks' rules: the state machine, deadlines, escalation levels and metrics, checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tansiq.domain.tasks import (
    SourceKind,
    TaskAction,
    TaskState,
    Timing,
    deadlines,
    metrics,
    move,
    parse_within,
    percentile,
)
from tansiq.errors import Conflict, InvalidInput

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)

LEGAL = [
    (TaskState.OPEN, TaskAction.ACK, "", TaskState.ACKNOWLEDGED),
    (TaskState.ACKNOWLEDGED, TaskAction.START, "", TaskState.IN_PROGRESS),
    (TaskState.IN_PROGRESS, TaskAction.DONE, "cell arrested", TaskState.DONE),
    (TaskState.OPEN, TaskAction.DECLINE, "not our area", TaskState.DECLINED),
    (TaskState.ACKNOWLEDGED, TaskAction.DECLINE, "no unit free", TaskState.DECLINED),
    (TaskState.IN_PROGRESS, TaskAction.DECLINE, "cannot reach", TaskState.DECLINED),
]


@pytest.mark.parametrize(("state", "action", "text", "after"), LEGAL)
def test_legal_moves(state: TaskState, action: TaskAction, text: str, after: TaskState) -> None:
    assert move(state, action, text) is after


LEGAL_PAIRS = {(s, a) for s, a, _, _ in LEGAL}
ILLEGAL = [(s, a) for s in TaskState for a in TaskAction if (s, a) not in LEGAL_PAIRS]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_other_move_is_refused(state: TaskState, action: TaskAction) -> None:
    with pytest.raises(Conflict, match=f"cannot {action.verb} a task that is {state.value}"):
        move(state, action, "some text")


def test_done_needs_feedback_and_decline_a_reason() -> None:
    with pytest.raises(InvalidInput, match="feedback"):
        move(TaskState.IN_PROGRESS, TaskAction.DONE, "  ")
    with pytest.raises(InvalidInput, match="reason"):
        move(TaskState.OPEN, TaskAction.DECLINE, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", 4 * H),
        ("3d", timedelta(days=3)),
        ("2W", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_within(text, "--ack-within") == expected


@pytest.mark.parametrize("text", ["4", "h", "-1h", "4 hours", "400d", "0m"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="--ack-within"):
        parse_within(text, "--ack-within")


def test_deadlines_default_by_source_and_done_not_before_ack() -> None:
    assert deadlines(SourceKind.REPORT, None, None) == (4 * H, timedelta(days=3))
    assert deadlines(SourceKind.INCIDENT, None, None) == (2 * H, timedelta(days=1))
    assert deadlines(SourceKind.REPORT, H, None) == (H, timedelta(days=3))
    with pytest.raises(InvalidInput, match="done_within"):
        deadlines(SourceKind.REPORT, 5 * H, 4 * H)


def _timing(state: TaskState, ack_after: timedelta | None = None, level: int = 0) -> Timing:
    acked = T0 + ack_after if ack_after is not None else None
    return Timing("krg", state, T0, T0 + 4 * H, T0 + 24 * H, acked, level)


def test_escalation_levels() -> None:
    open_task = _timing(TaskState.OPEN)
    assert open_task.due_level(T0 + 4 * H) == 0  # the deadline itself is still in time
    assert open_task.due_level(T0 + 5 * H) == 1
    assert open_task.due_level(T0 + 25 * H) == 2
    acked = _timing(TaskState.ACKNOWLEDGED, H)
    assert acked.due_level(T0 + 5 * H) == 0
    assert acked.due_level(T0 + 25 * H) == 2
    assert _timing(TaskState.DONE, H).due_level(T0 + 99 * H) == 0
    # A level never goes down, whatever happened since.
    assert _timing(TaskState.ACKNOWLEDGED, 6 * H, level=1).due_level(T0 + 7 * H) == 1


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 90) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    # sorted 1, 2, 4, 5, 10; rank (5-1)*0.9 = 3.6: 5 + 0.6 * (10 - 5)
    assert percentile([5.0, 1.0, 10.0, 2.0, 4.0], 90) == pytest.approx(8.0)


def test_metrics_by_hand() -> None:
    now = T0 + 30 * H
    tasks = [
        _timing(TaskState.DONE, 1 * H),
        _timing(TaskState.IN_PROGRESS, 2 * H),  # done overdue (due at 24 h)
        _timing(TaskState.DECLINED, 3 * H),
        _timing(TaskState.OPEN),  # ack and done overdue
        _timing(TaskState.DECLINED),  # declined without acknowledging
        Timing("joc", TaskState.OPEN, T0, now + H, now + 2 * H, None),
    ]
    krg, joc = sorted(metrics(tasks, now), key=lambda m: m.partner, reverse=True)

    assert krg.partner == "krg"
    assert krg.received == 5
    assert krg.acknowledged == 3
    assert krg.median_ack_s == 2 * 3600
    assert krg.p90_ack_s == pytest.approx(2.8 * 3600)  # rank 1.8 of [1, 2, 3] h
    assert krg.share_done == pytest.approx(1 / 5)
    assert krg.share_declined == pytest.approx(2 / 5)
    assert (krg.overdue_ack, krg.overdue_done, krg.overdue) == (1, 2, 2)
    assert (joc.received, joc.median_ack_s, joc.overdue) == (1, None, 0)
