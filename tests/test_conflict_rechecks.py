"""A conflict is found whichever comes second: an operation submitted near a post, or a post,
a friendly track or a checkpoint that comes near an operation already submitted (both
databases). Only pairs with an operation on one end are conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tansiq import accounts, checkpoints, conflicts, operations, positions
from tansiq.accounts import Principal
from tansiq.cot.intake import Intake
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.checkpoints import CheckpointDraft
from tansiq.domain.markings import Tlp
from tansiq.domain.operations import OperationType, circle
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.store.database import writing
from tests.cot.senders import good_track
from tests.factories import make_position
from tests.nodes import setup_node

NOW = datetime.now(UTC).replace(microsecond=0)
"""The tracks pytak writes are timed by the clock, so the operation's window is around now."""
TIKRIT = (34.600, 43.680)
NEAR = (34.603, 43.683)  # about 430 m away
FAR = (34.700, 43.680)  # 11 km away
POLICY = Policy(contacts={"krg": "MoPA ops room (synthetic)"})


@pytest.fixture
def people(engine: Engine) -> dict[str, Principal]:
    found = {name: account.principal for name, account in setup_node(engine).items()}
    with writing(engine) as conn:
        user, _ = accounts.create_user(conn, "krg-registrar", "krg", Role.WATCH, None, NOW)
        found["krg-registrar"] = accounts.principal(conn, user)
    return found


def _raid(engine: Engine, planner: Principal) -> str:
    plan = Plan(
        name="Raid near Tikrit (synthetic)",
        op_type=OperationType.RAID,
        area=circle(*TIKRIT, 200),
        start=NOW - timedelta(hours=1),
        end=NOW + timedelta(hours=3),
        tlp=Tlp.AMBER,
    )
    with writing(engine) as conn:
        op = operations.create(conn, planner, plan, POLICY, NOW)
        operations.submit(conn, planner, op, POLICY, NOW)
    return op


def _open_with(engine: Engine, who: Principal, kind: str) -> list[dict[str, Any]]:
    with writing(engine) as conn:  # a disclosure is audited
        found = conflicts.conflicts_for(conn, who, NOW)
    return [c for c in found if any(y["kind"] == kind for y in c["yours"])]


def test_a_post_written_near_a_submitted_operation_is_a_conflict(
    engine: Engine, people: dict[str, Principal], locator: AreaLocator
) -> None:
    _raid(engine, people["joc-analyst"])
    far = make_position(
        partner="krg", name="Far post (synthetic)", latitude=FAR[0], longitude=FAR[1]
    )
    near = make_position(
        partner="krg", name="Near post (synthetic)", latitude=NEAR[0], longitude=NEAR[1]
    )
    with writing(engine) as conn:
        positions.save(conn, locator, [far], "test", NOW)
    assert _open_with(engine, people["krg-analyst"], "position") == []
    with writing(engine) as conn:
        positions.save(conn, locator, [near], "test", NOW)
    found = _open_with(engine, people["krg-analyst"], "position")
    assert len(found) == 1
    assert found[0]["other"] == [
        {"partner": "joc", "node": None, "contact": "joc duty officer", "acknowledged": False}
    ]


def test_two_posts_side_by_side_are_no_conflict(
    engine: Engine, people: dict[str, Principal], locator: AreaLocator
) -> None:
    _raid(engine, people["joc-analyst"])  # so that posts are checked at all
    a = make_position(partner="krg", name="Post A (synthetic)", latitude=FAR[0], longitude=FAR[1])
    b = make_position(partner="joc", name="Post B (synthetic)", latitude=FAR[0], longitude=FAR[1])
    with writing(engine) as conn:
        positions.save(conn, locator, [a, b], "test", NOW)
    assert _open_with(engine, people["krg-analyst"], "position") == []
    assert _open_with(engine, people["joc-analyst"], "position") == []


def test_a_friendly_track_near_an_operation_is_a_conflict_until_it_is_deleted(
    engine: Engine, people: dict[str, Principal]
) -> None:
    _raid(engine, people["joc-analyst"])
    logged: list[str] = []
    intake = Intake(engine, "krg", logged.append, lambda: datetime.now(UTC))
    intake.take(good_track("krg-patrol-7", *NEAR, callsign="Patrol 7"), "127.0.0.1")
    found = _open_with(engine, people["krg-analyst"], "track")
    assert len(found) == 1, logged
    assert found[0]["other"][0]["partner"] == "joc"
    delete = (
        '<event version="2.0" uid="krg-patrol-7-del" type="t-x-d-d" how="h-g-i-g-o" '
        f'time="{_iso(0)}" start="{_iso(0)}" stale="{_iso(60)}">'
        '<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/>'
        '<detail><link uid="krg-patrol-7" relation="none" type="a-f-G-U-C"/></detail></event>'
    )
    intake.take(delete.encode(), "127.0.0.1")
    assert _open_with(engine, people["krg-analyst"], "track") == [], logged


def _iso(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_a_checkpoint_registered_near_an_operation_is_a_conflict(
    engine: Engine, people: dict[str, Principal]
) -> None:
    _raid(engine, people["joc-analyst"])
    draft = CheckpointDraft(
        partner="krg",
        unit="SYNTHETIC checkpoint unit",
        name="Bridge checkpoint (synthetic)",
        latitude=NEAR[0],
        longitude=NEAR[1],
        valid_from=NOW - timedelta(days=1),
    )
    with writing(engine) as conn:
        checkpoints.register(conn, people["krg-registrar"], [draft], NOW)
    found = _open_with(engine, people["krg-analyst"], "checkpoint")
    assert len(found) == 1
    assert found[0]["other"][0]["partner"] == "joc"
