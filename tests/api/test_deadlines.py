"""The server's deadline sweeper escalates, in its own thread, an operation left pending past
its approval deadline and a task left unacknowledged, and never approves (both databases)."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq import operations, tasks
from tansiq.api import deadlines
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.markings import Tlp
from tansiq.domain.operations import OperationType, circle
from tansiq.store import operations as store
from tansiq.store.database import reading, writing
from tansiq.store.schema_tasks import tasks as task_table
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

POLICY = Policy(sla_hours={"raid": 1.0})


def _overdue(engine: Engine) -> tuple[str, int]:
    people = setup_node(engine)
    planner = people["joc-analyst"].principal
    plan = Plan(
        name="Raid left waiting (synthetic)",
        op_type=OperationType.RAID,
        area=circle(35.468, 44.392, 300),  # Kirkuk: both keys needed
        start=FROZEN_NOW + timedelta(days=1),
        end=FROZEN_NOW + timedelta(days=1, hours=2),
        tlp=Tlp.AMBER,
        releasable_to=frozenset({"krg"}),
    )
    with writing(engine) as conn:
        op = operations.create(conn, planner, plan, POLICY, FROZEN_NOW)
        operations.submit(conn, planner, op, POLICY, FROZEN_NOW)
        task = tasks.open_task(
            conn,
            source_kind="incident",
            source_ref="1",
            from_partner="joc",
            to_partner="krg",
            title="Check the report of a cell (synthetic)",
            body="",
            by="joc-analyst",
            now=FROZEN_NOW,
            ack_within=timedelta(minutes=30),
        )
    return op, task


def _levels(engine: Engine, op: str, task: int) -> tuple[int, int, str]:
    with reading(engine) as conn:
        record = store.stored(conn, op)
        assert record is not None
        level = conn.execute(
            sa.select(task_table.c.escalation_level).where(task_table.c.id == task)
        ).scalar_one()
        return record.escalation_level, int(level), record.state


def test_the_sweeper_escalates_in_the_background_and_never_approves(engine: Engine) -> None:
    op, task = _overdue(engine)
    later = FROZEN_NOW + timedelta(hours=1, minutes=5)
    with deadlines.running(engine, POLICY, lambda: later, 0.05):
        deadline = time.monotonic() + 20
        while _levels(engine, op, task)[:2] != (1, 1) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _levels(engine, op, task) == (1, 1, "pending-approval")


def test_a_sweep_before_the_deadlines_changes_nothing(engine: Engine) -> None:
    op, task = _overdue(engine)
    swept = deadlines.sweep(engine, POLICY, FROZEN_NOW + timedelta(minutes=10))
    assert (swept.operations, swept.tasks) == (0, 0)
    assert _levels(engine, op, task) == (0, 0, "pending-approval")
