"""Operations end to end on one node (both databases): two-key approval, edits voiding it,
tampering, veto, break-glass with its review task, escalation, releasability, deconfliction
and what each side is told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tansiq import accounts, conflicts, operation_views, operations, positions
from tansiq.accounts import Principal
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.markings import Tlp
from tansiq.domain.operations import (
    Decision,
    Event,
    IllegalTransition,
    OperationType,
    State,
    circle,
    statement,
)
from tansiq.domain.reports import CellDraft, Role
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.geo.locator import AreaLocator
from tansiq.sharing import exchange, keys
from tansiq.sharing.signing import SigningKey
from tansiq.store import audit
from tansiq.store import operations as store
from tansiq.store.database import reading, writing
from tansiq.store.operations import StoredDecision
from tansiq.store.schema_operations import operation_decisions
from tansiq.store.schema_operations import operations as operations_table
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import setup_node

T0 = FROZEN_NOW
POLICY = Policy(
    sides=("joc", "krg"),
    contacts={"joc": "JOC ops room, +964 790 000 0001", "krg": "MoPA ops room, +964 750 000 0002"},
)
KIRKUK_CITY = (35.468, 44.392)  # Kirkuk district: disputed
ERBIL_CITY = (36.191, 44.009)  # Erbil district: Kurdistan Region, not disputed
BASRA_CITY = (30.508, 47.783)


@pytest.fixture
def people(engine: Engine) -> dict[str, Principal]:
    found = {name: account.principal for name, account in setup_node(engine).items()}
    with writing(engine) as conn:
        for name, partner in (
            ("joc-approver", "joc"),
            ("krg-approver", "krg"),
            ("asayish-approver", "krg-asayish"),
            ("jcc-approver", "jcc"),
        ):
            user, _ = accounts.create_user(conn, name, partner, Role.APPROVER, None, T0)
            found[name] = accounts.principal(conn, user)
    return found


def plan(**overrides: Any) -> Plan:
    values: dict[str, Any] = {
        "name": "Raid on the Wadi al-Shay hideout",
        "op_type": OperationType.RAID,
        "area": circle(*KIRKUK_CITY, 300),
        "start": T0 + timedelta(days=1),
        "end": T0 + timedelta(days=1, hours=4),
        "units": ("8th Division, 2nd Battalion",),
        "tlp": Tlp.AMBER,
        "releasable_to": frozenset({"krg"}),
    }
    values.update(overrides)
    return Plan(**values)


def run(engine: Engine, work: Callable[[Connection], Any]) -> Any:
    with writing(engine) as conn:
        return work(conn)


def create(engine: Engine, who: Principal, **overrides: Any) -> str:
    return str(run(engine, lambda c: operations.create(c, who, plan(**overrides), POLICY, T0)))


def show(engine: Engine, who: Principal, op: str, at: Any = T0) -> dict[str, Any]:
    return dict(run(engine, lambda c: operation_views.show(c, who, op, at)))


def submit(engine: Engine, who: Principal, op: str, at: Any = T0) -> State:
    return State(run(engine, lambda c: operations.submit(c, who, op, POLICY, at)))


def decide(
    engine: Engine, who: Principal, op: str, decision: Decision, reason: str | None = None
) -> State:
    return State(run(engine, lambda c: operations.decide(c, who, op, decision, reason, POLICY, T0)))


def actions(engine: Engine) -> list[tuple[str, str, Any]]:
    with reading(engine) as conn:
        return [(e.action, e.subject, e.detail) for e in audit.entries(conn)]


# --- where: two keys or one ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "sides", "disputed"),
    [
        (KIRKUK_CITY, ["joc", "krg"], ["IQG13Q04"]),
        (ERBIL_CITY, ["joc"], []),
        (BASRA_CITY, ["joc"], []),
    ],
)
def test_a_disputed_district_needs_both_sides_and_the_own_zone_only_the_owner(
    engine: Engine,
    people: dict[str, Principal],
    place: tuple[float, float],
    sides: list[str],
    disputed: list[str],
) -> None:
    op = create(engine, people["joc-analyst"], area=circle(*place, 300))
    shown = show(engine, people["joc-analyst"], op)
    assert shown["sides_needed"] == sides
    assert shown["disputed_areas"] == disputed
    assert shown["two_key"] is (len(sides) == 2)


def test_the_type_buffer_decides_whether_an_area_touches_a_disputed_district(
    engine: Engine, people: dict[str, Principal]
) -> None:
    # About 1.5 km north of Makhmour district's edge, in Erbil district.
    near = circle(35.89, 43.9, 300)
    raid = create(engine, people["joc-analyst"], area=near)  # reach 300 + 1000 m
    clearance = create(engine, people["joc-analyst"], area=near, op_type=OperationType.CLEARANCE)
    assert show(engine, people["joc-analyst"], raid)["sides_needed"] == ["joc"]
    cleared = show(engine, people["joc-analyst"], clearance)  # reach 300 + 2000 m
    assert cleared["sides_needed"] == ["joc", "krg"]
    assert cleared["disputed_areas"] == ["IQG11Q04"]


def test_an_own_zone_operation_is_approved_by_its_owner_and_the_other_side_is_told(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(
        engine, people["joc-analyst"], area=circle(*BASRA_CITY, 300), releasable_to=frozenset()
    )
    assert submit(engine, people["joc-analyst"], op) is State.PENDING
    assert decide(engine, people["joc-approver"], op, Decision.APPROVE) is State.APPROVED
    notices = run(engine, lambda c: operation_views.notices_for(c, people["krg-analyst"], POLICY))
    assert [(n["owner"], n["kind"], n["contact"]) for n in notices] == [
        ("joc", "own-zone", "JOC ops room, +964 790 000 0001")
    ]
    assert "Wadi" not in orjson.dumps(notices).decode()
    with pytest.raises(NotFound):  # not released to krg, so not there for it at all
        decide(engine, people["krg-approver"], op, Decision.APPROVE)


# --- two keys ------------------------------------------------------------------------------


def test_both_sides_approve_the_exact_version_then_it_runs_and_closes(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    assert submit(engine, people["joc-analyst"], op) is State.PENDING
    assert decide(engine, people["joc-approver"], op, Decision.APPROVE) is State.PENDING
    assert decide(engine, people["krg-approver"], op, Decision.APPROVE) is State.APPROVED

    shown = show(engine, people["krg-approver"], op)
    assert shown["state"] == "approved"
    assert shown["hash_ok"] is True
    assert [(a["side"], a["version"], a["hash"], a["validity"]) for a in shown["approvals"]] == [
        ("joc", 1, shown["hash"], "valid"),
        ("krg", 1, shown["hash"], "valid"),
    ]
    run(engine, lambda c: operations.activate(c, people["joc-watch"], op, POLICY, T0))
    run(engine, lambda c: operations.finish(c, people["joc-watch"], op, Event.CLOSE, None, T0))
    assert show(engine, people["joc-analyst"], op)["state"] == "closed"
    done = [a for a, s, _ in actions(engine) if s == op]
    assert done == [
        "operation-create",
        "operation-submit",
        "operation-pending",
        "operation-approve",
        "operation-approve",
        "operation-approved",
        "read",
        "operation-activate",
        "operation-close",
        "read",
    ]


def test_an_approver_of_a_sub_organisation_decides_for_its_side(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    decide(engine, people["asayish-approver"], op, Decision.APPROVE)
    assert show(engine, people["joc-analyst"], op)["approvals"][0]["side"] == "krg"
    with pytest.raises(IllegalTransition, match="already approved"):
        decide(engine, people["krg-approver"], op, Decision.APPROVE)


@pytest.mark.parametrize("who", ["joc-analyst", "krg-analyst", "jcc-approver", "krg-node"])
def test_only_approvers_of_a_side_needed_approve(
    engine: Engine, people: dict[str, Principal], who: str
) -> None:
    op = create(engine, people["joc-analyst"], releasable_to=frozenset({"krg", "jcc"}))
    submit(engine, people["joc-analyst"], op)
    with pytest.raises(Forbidden):
        decide(engine, people[who], op, Decision.APPROVE)
    assert show(engine, people["joc-analyst"], op)["approvals"] == []


def test_an_edit_makes_a_new_version_voids_the_approvals_and_needs_them_again(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    decide(engine, people["joc-approver"], op, Decision.APPROVE)
    decide(engine, people["krg-approver"], op, Decision.APPROVE)
    before = show(engine, people["joc-analyst"], op)

    same = run(engine, lambda c: operations.edit(c, people["joc-analyst"], op, plan(), POLICY, T0))
    assert (same.changed, same.version, same.state) == (False, 1, State.APPROVED)
    edited = run(
        engine,
        lambda c: operations.edit(
            c, people["joc-analyst"], op, Plan(end=T0 + timedelta(days=1, hours=6)), POLICY, T0
        ),
    )
    assert (edited.changed, edited.version, edited.state, edited.voided) == (
        True,
        2,
        State.DRAFT,
        2,
    )

    after = show(engine, people["joc-analyst"], op)
    assert after["hash"] != before["hash"]
    assert [a["validity"] for a in after["approvals"]] == ["void", "void"]
    with pytest.raises(IllegalTransition):
        run(engine, lambda c: operations.activate(c, people["joc-analyst"], op, POLICY, T0))
    submit(engine, people["joc-analyst"], op)
    assert decide(engine, people["joc-approver"], op, Decision.APPROVE) is State.PENDING
    assert decide(engine, people["krg-approver"], op, Decision.APPROVE) is State.APPROVED


def test_a_changed_decision_row_or_operation_row_stops_verifying(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    decide(engine, people["joc-approver"], op, Decision.APPROVE)
    decide(engine, people["krg-approver"], op, Decision.APPROVE)
    with writing(engine) as conn:  # someone with database access swaps the approver
        conn.execute(
            operation_decisions.update()
            .where(operation_decisions.c.side == "krg")
            .values(approver="krg-analyst")
        )
    shown = show(engine, people["joc-analyst"], op)
    assert [a["validity"] for a in shown["approvals"]] == ["valid", "invalid"]
    with pytest.raises(IllegalTransition, match="no longer verifies"):
        run(engine, lambda c: operations.activate(c, people["joc-analyst"], op, POLICY, T0))

    with writing(engine) as conn:  # and moves the operation without a new version
        conn.execute(
            operations_table.update().where(operations_table.c.id == op).values(extent_m=5000.0)
        )
    moved = show(engine, people["joc-analyst"], op)
    assert moved["hash_ok"] is False
    assert [a["validity"] for a in moved["approvals"]] == ["invalid", "invalid"]


def test_a_veto_needs_a_reason_ends_the_version_and_the_owner_resubmits_a_new_one(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    with pytest.raises(InvalidInput, match=r"^reason:"):
        decide(engine, people["krg-approver"], op, Decision.VETO, "  ")
    assert show(engine, people["joc-analyst"], op)["vetoes"] == []
    assert (
        decide(engine, people["krg-approver"], op, Decision.VETO, "Peshmerga patrol there")
        is State.VETOED
    )
    vetoed = show(engine, people["joc-analyst"], op)
    assert [(v["side"], v["reason"], v["validity"]) for v in vetoed["vetoes"]] == [
        ("krg", "Peshmerga patrol there", "valid")
    ]
    with pytest.raises(IllegalTransition):
        submit(engine, people["joc-analyst"], op)  # the same version again: no
    run(
        engine,
        lambda c: operations.edit(c, people["joc-analyst"], op, Plan(units=("QRF",)), POLICY, T0),
    )
    assert submit(engine, people["joc-analyst"], op) is State.PENDING
    assert show(engine, people["joc-analyst"], op)["vetoes"][0]["validity"] == "void"


def test_break_glass_activates_at_once_is_recorded_and_opens_a_review_for_the_other_side(
    engine: Engine, people: dict[str, Principal]
) -> None:
    pytest.importorskip("tansiq.tasks")
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    for who, reason, error in (
        ("joc-analyst", "ambush under way", Forbidden),  # not an approver
        ("krg-approver", "ambush under way", Forbidden),  # not the owner's
        ("joc-approver", "", InvalidInput),  # no reason
    ):
        with pytest.raises(error):
            run(engine, _break_glass(people[who], op, reason))
    state = run(
        engine,
        lambda c: operations.activate(
            c, people["joc-approver"], op, POLICY, T0, break_glass=True, reason="ambush under way"
        ),
    )
    assert state is State.ACTIVE
    shown = show(engine, people["krg-analyst"], op)
    assert (shown["state"], shown["break_glass"]) == ("active", True)
    log = actions(engine)
    assert ("operation-break-glass", op) in [(a, s) for a, s, _ in log]
    opened = [d for a, _, d in log if a == "task-open"]
    assert opened == [{"source": f"operation:{op}", "from": "joc", "to": "krg"}]
    notices = run(engine, lambda c: operation_views.notices_for(c, people["krg-analyst"], POLICY))
    assert [n["kind"] for n in notices] == ["break-glass"]


def _break_glass(who: Principal, op: str, reason: str) -> Callable[[Connection], Any]:
    return lambda c: operations.activate(c, who, op, POLICY, T0, break_glass=True, reason=reason)


def test_an_approved_operation_cannot_be_activated_by_break_glass_nor_a_draft(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    with pytest.raises(IllegalTransition):
        run(
            engine,
            lambda c: operations.activate(
                c, people["joc-approver"], op, POLICY, T0, break_glass=True, reason="now"
            ),
        )
    assert show(engine, people["joc-analyst"], op)["state"] == "draft"


def test_a_passed_deadline_escalates_level_by_level_and_never_approves(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])  # a raid: 6 h
    submit(engine, people["joc-analyst"], op)

    def sweep(hours: float) -> list[tuple[str, int, str]]:
        raised = run(engine, lambda c: operations.escalate(c, POLICY, T0 + timedelta(hours=hours)))
        return [(e.side, e.level, e.to) for e in raised]

    assert sweep(5.9) == []
    assert sweep(6) == [
        ("joc", 1, "Joint Operations Command duty general"),
        ("krg", 1, "Ministry of Peshmerga Affairs duty officer"),
    ]
    assert sweep(7) == []  # raised once
    decide(engine, people["joc-approver"], op, Decision.APPROVE)
    assert sweep(12) == [("krg", 2, "Ministry of Peshmerga Affairs duty officer (level 2)")]
    shown = show(engine, people["joc-analyst"], op)
    assert shown["state"] == "pending-approval"
    assert shown["escalation_level"] == 2
    assert [(e["side"], e["level"]) for e in shown["escalations"]] == [
        ("joc", 1),
        ("krg", 1),
        ("krg", 2),
    ]
    assert [a for a, s, _ in actions(engine) if s == op].count("operation-escalate") == 3


# --- every illegal move ----------------------------------------------------------------------


def _to_state(engine: Engine, people: dict[str, Principal], target: State) -> str:
    op = create(engine, people["joc-analyst"])
    analyst, steps = (
        people["joc-analyst"],
        {
            State.PENDING: [lambda c: operations.submit(c, analyst, op, POLICY, T0)],
        },
    )
    steps[State.APPROVED] = [
        *steps[State.PENDING],
        lambda c: operations.decide(
            c, people["joc-approver"], op, Decision.APPROVE, None, POLICY, T0
        ),
        lambda c: operations.decide(
            c, people["krg-approver"], op, Decision.APPROVE, None, POLICY, T0
        ),
    ]
    steps[State.VETOED] = [
        *steps[State.PENDING],
        lambda c: operations.decide(c, people["krg-approver"], op, Decision.VETO, "no", POLICY, T0),
    ]
    steps[State.ACTIVE] = [
        *steps[State.APPROVED],
        lambda c: operations.activate(c, analyst, op, POLICY, T0),
    ]
    steps[State.CLOSED] = [
        *steps[State.ACTIVE],
        lambda c: operations.finish(c, analyst, op, Event.CLOSE, None, T0),
    ]
    steps[State.CANCELLED] = [lambda c: operations.finish(c, analyst, op, Event.CANCEL, None, T0)]
    for step in steps.get(target, []):
        run(engine, step)
    assert show(engine, analyst, op)["state"] == target.value
    return op


ILLEGAL = {
    State.DRAFT: ["approve", "veto", "activate", "break-glass", "close"],
    State.PENDING: ["submit", "activate", "close"],
    State.APPROVED: ["submit", "approve", "veto", "break-glass", "close"],
    State.ACTIVE: ["submit", "approve", "veto", "activate", "break-glass", "cancel"],
    State.VETOED: ["submit", "approve", "veto", "activate", "break-glass", "close"],
    State.CLOSED: [
        "submit",
        "approve",
        "veto",
        "activate",
        "break-glass",
        "close",
        "cancel",
        "edit",
    ],
    State.CANCELLED: [
        "submit",
        "approve",
        "veto",
        "activate",
        "break-glass",
        "close",
        "cancel",
        "edit",
    ],
}


def _attempt(engine: Engine, people: dict[str, Principal], op: str, move: str) -> None:
    analyst = people["joc-analyst"]
    moves: dict[str, Callable[[Connection], Any]] = {
        "submit": lambda c: operations.submit(c, analyst, op, POLICY, T0),
        "approve": lambda c: operations.decide(
            c, people["joc-approver"], op, Decision.APPROVE, None, POLICY, T0
        ),
        "veto": lambda c: operations.decide(
            c, people["joc-approver"], op, Decision.VETO, "no", POLICY, T0
        ),
        "activate": lambda c: operations.activate(c, analyst, op, POLICY, T0),
        "break-glass": lambda c: operations.activate(
            c, people["joc-approver"], op, POLICY, T0, break_glass=True, reason="now"
        ),
        "close": lambda c: operations.finish(c, analyst, op, Event.CLOSE, None, T0),
        "cancel": lambda c: operations.finish(c, analyst, op, Event.CANCEL, None, T0),
        "edit": lambda c: operations.edit(c, analyst, op, Plan(name="Changed"), POLICY, T0),
    }
    run(engine, moves[move])


@pytest.mark.parametrize("state", list(ILLEGAL))
def test_every_illegal_move_is_refused_and_changes_nothing(
    engine: Engine, people: dict[str, Principal], state: State
) -> None:
    op = _to_state(engine, people, state)
    before = show(engine, people["joc-analyst"], op)
    for move in ILLEGAL[state]:
        with pytest.raises(IllegalTransition):
            _attempt(engine, people, op, move)
    after = show(engine, people["joc-analyst"], op)
    assert {k: v for k, v in after.items() if k != "conflicts"} == {
        k: v for k, v in before.items() if k != "conflicts"
    }


# --- releasability ---------------------------------------------------------------------------


def _reads_and_writes(who: Principal, target: str) -> list[Callable[[Connection], Any]]:
    return [
        lambda c: operation_views.show(c, who, target, T0),
        lambda c: operations.edit(c, who, target, Plan(name="x"), POLICY, T0),
        lambda c: operations.decide(c, who, target, Decision.APPROVE, None, POLICY, T0),
        lambda c: operations.finish(c, who, target, Event.CANCEL, None, T0),
    ]


def test_an_operation_not_released_to_a_partner_is_missing_for_its_people(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"], releasable_to=frozenset())
    missing = "operation--00000000-0000-4000-8000-000000000000"
    for who in ("krg-analyst", "krg-approver", "asayish-approver", "jcc-analyst"):
        for target in (op, missing):
            for attempt in _reads_and_writes(people[who], target):
                with pytest.raises(NotFound) as caught:
                    run(engine, attempt)
                assert str(caught.value) == f"no such operation: {target}"
        listing = partial(operation_views.listing, actor=people[who], states=None, now=T0)
        listed = run(engine, listing)
        assert listed == []
    watch = people["joc-watch"]
    listed = run(engine, lambda c: operation_views.listing(c, watch, None, T0))
    assert [o["id"] for o in listed] == [op]


def test_a_two_key_operation_must_reach_the_other_side_before_it_is_submitted(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"], releasable_to=frozenset())
    with pytest.raises(InvalidInput, match=r"^releasable_to: .*krg"):
        submit(engine, people["joc-analyst"], op)
    assert show(engine, people["joc-analyst"], op)["state"] == "draft"


def test_links_the_planner_cannot_read_are_refused_like_missing_ones(
    engine: Engine, people: dict[str, Principal]
) -> None:
    with writing(engine) as conn:
        hidden = exchange.create_cell(
            conn,
            people["krg-analyst"],
            CellDraft("Hawija cell"),
            exchange.Release(Tlp.AMBER, frozenset()),
            T0,
        )
        shared = exchange.create_cell(
            conn,
            people["krg-analyst"],
            CellDraft("Daquq cell"),
            exchange.Release(Tlp.AMBER, frozenset({"joc"})),
            T0,
        )
    absent = "intrusion-set--00000000-0000-4000-8000-000000000000"
    errors = []
    for ref in (hidden, absent):
        with pytest.raises(NotFound) as caught:
            create(engine, people["joc-analyst"], subjects=frozenset({ref}))
        errors.append(str(caught.value).replace(ref, "ID"))
    assert errors[0] == errors[1]
    op = create(engine, people["joc-analyst"], subjects=frozenset({shared}))
    assert show(engine, people["joc-analyst"], op)["subjects"] == [shared]


# --- deconfliction ---------------------------------------------------------------------------


PLAN_WORDS = ("Wadi al-Shay", "8th Division", "44.392", "35.468", "raid", "2026-11-26T")


def test_a_conflict_with_the_other_sides_position_is_disclosed_on_need_to_know(
    engine: Engine, people: dict[str, Principal], locator: AreaLocator
) -> None:
    with writing(engine) as conn:
        positions.save(
            conn,
            locator,
            [
                make_position(
                    partner="krg", name="Peshmerga post 7", latitude=35.47, longitude=44.40
                )
            ],
            "test",
            T0,
        )
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)

    joc = run(engine, lambda c: conflicts.conflicts_for(c, people["joc-analyst"], T0))
    krg = run(engine, lambda c: conflicts.conflicts_for(c, people["krg-analyst"], T0))
    assert len(joc) == len(krg) == 1
    assert joc[0]["id"] == krg[0]["id"]
    assert joc[0]["reasons"] == ["space-time"]
    assert joc[0]["yours"] == [
        {
            "kind": "operation",
            "ref": op,
            "acknowledged": False,
            "name": "Raid on the Wadi al-Shay hideout",
            "state": "pending-approval",
            "version": 1,
        }
    ]
    assert joc[0]["other"] == [
        {
            "partner": "krg",
            "node": None,
            "contact": "MoPA ops room, +964 750 000 0002",
            "acknowledged": False,
        }
    ]
    assert [i["kind"] for i in krg[0]["yours"]] == ["position"]
    assert krg[0]["other"][0]["partner"] == "joc"
    assert krg[0]["other"][0]["contact"] == "JOC ops room, +964 790 000 0001"
    told_krg = orjson.dumps(krg).decode()
    for word in (*PLAN_WORDS, op):
        assert word not in told_krg
    told_joc = orjson.dumps(joc).decode()
    for word in ("Peshmerga post 7", "35.47", "44.4"):
        assert word not in told_joc
    assert show(engine, people["krg-analyst"], op)["conflicts"] == []  # not the owner's

    run(engine, lambda c: conflicts.acknowledge(c, people["joc-analyst"], joc[0]["id"], T0))
    with pytest.raises(NotFound):
        run(engine, lambda c: conflicts.acknowledge(c, people["jcc-analyst"], joc[0]["id"], T0))
    acked = run(engine, lambda c: conflicts.acknowledge(c, people["krg-analyst"], joc[0]["id"], T0))
    assert acked["status"] == "acknowledged"

    run(engine, lambda c: operations.finish(c, people["joc-analyst"], op, Event.CANCEL, None, T0))
    assert run(engine, lambda c: conflicts.conflicts_for(c, people["krg-analyst"], T0)) == []
    resolved = run(
        engine,
        lambda c: conflicts.conflicts_for(c, people["krg-analyst"], T0, include_resolved=True),
    )
    assert resolved[0]["resolution"] == "operation cancelled"
    assert "conflict-disclose" in [a for a, _, _ in actions(engine)]


def test_two_sides_operations_conflict_and_each_sees_only_its_own(
    engine: Engine, people: dict[str, Principal]
) -> None:
    mine = create(engine, people["joc-analyst"])
    theirs = create(
        engine,
        people["krg-analyst"],
        name="Peshmerga sweep of Laylan",
        op_type=OperationType.PATROL,
        area=circle(35.475, 44.40, 200),
        units=("Zeravani 3rd Brigade",),
        releasable_to=frozenset({"joc"}),
    )
    submit(engine, people["joc-analyst"], mine)
    submit(engine, people["krg-analyst"], theirs)
    (joc,) = run(engine, lambda c: conflicts.conflicts_for(c, people["joc-analyst"], T0))
    assert joc["other"][0]["contact"] == "MoPA ops room, +964 750 000 0002"
    told = orjson.dumps(joc).decode()
    for word in ("Laylan", "Zeravani", "patrol", "35.475", theirs):
        assert word not in told
    (krg,) = run(engine, lambda c: conflicts.conflicts_for(c, people["krg-analyst"], T0))
    for word in (*PLAN_WORDS, mine):
        assert word not in orjson.dumps(krg).decode()

    # An edit that moves the patrol away resolves the conflict.
    far = Plan(area=circle(35.9, 44.0, 200))
    run(engine, lambda c: operations.edit(c, people["krg-analyst"], theirs, far, POLICY, T0))
    assert run(engine, lambda c: conflicts.conflicts_for(c, people["joc-analyst"], T0)) == []


def test_a_shared_subject_conflicts_and_an_owners_own_pair_shows_both(
    engine: Engine, people: dict[str, Principal]
) -> None:
    with writing(engine) as conn:
        cell = exchange.create_cell(
            conn,
            people["joc-analyst"],
            CellDraft("Hamrin cell"),
            exchange.Release(Tlp.AMBER, frozenset()),
            T0,
        )
    a = create(
        engine, people["joc-analyst"], area=circle(*BASRA_CITY, 100), subjects=frozenset({cell})
    )
    b = create(engine, people["joc-analyst"], name="Second raid", subjects=frozenset({cell}))
    submit(engine, people["joc-analyst"], a)
    submit(engine, people["joc-analyst"], b)
    (found,) = run(engine, lambda c: conflicts.conflicts_for(c, people["joc-analyst"], T0))
    assert found["reasons"] == ["subject"]
    assert sorted(i["ref"] for i in found["yours"]) == sorted([a, b])
    assert found["other"] == []
    acked = run(engine, lambda c: conflicts.acknowledge(c, people["joc-watch"], found["id"], T0))
    assert acked["status"] == "acknowledged"


def test_stored_conflicts_are_unique_per_pair(engine: Engine, people: dict[str, Principal]) -> None:
    a = create(engine, people["joc-analyst"])
    b = create(engine, people["joc-analyst"], name="Second raid")
    submit(engine, people["joc-analyst"], a)
    submit(engine, people["joc-analyst"], b)
    run(
        engine,
        lambda c: operations.edit(c, people["joc-analyst"], b, Plan(units=("QRF",)), POLICY, T0),
    )
    with reading(engine) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM conflicts")).scalar_one() == 1
        assert store.open_conflicts_of(conn, "operation", a)[0].reasons == ("space-time",)


@pytest.mark.parametrize("pinned", [True, False])
def test_a_decision_signed_on_a_partners_node_counts_only_by_its_pinned_key(
    engine: Engine, people: dict[str, Principal], pinned: bool
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    decide(engine, people["joc-approver"], op, Decision.APPROVE)
    krg_node = SigningKey.generate()
    with writing(engine) as conn:
        if pinned:
            keys.pin(conn, "krg", krg_node.public(), T0, "test")
        record = store.stored(conn, op)
        assert record is not None
        said = statement(op, 1, record.content_hash, Decision.APPROVE, "krg-approver", "krg", T0)
        received = StoredDecision(
            0, op, 1, record.content_hash, Decision.APPROVE, "krg-approver", "krg", "krg", "",
            T0, krg_node.public(), krg_node.sign(said),
        )  # fmt: skip
        store.add_decision(conn, received)
        state = operations.decision_received(conn, record, received, T0)
    assert state is (State.APPROVED if pinned else State.PENDING)
    validity = [a["validity"] for a in show(engine, people["joc-analyst"], op)["approvals"]]
    assert validity == ["valid", "valid" if pinned else "invalid"]


def test_two_approvals_at_the_same_moment_approve_the_operation(
    engine: Engine, people: dict[str, Principal]
) -> None:
    op = create(engine, people["joc-analyst"])
    submit(engine, people["joc-analyst"], op)
    first_in, go_on = threading.Event(), threading.Event()
    second: list[State] = []

    def second_approver() -> None:
        first_in.wait(10)
        second.append(decide(engine, people["krg-approver"], op, Decision.APPROVE))

    other = threading.Thread(target=second_approver)
    other.start()
    with writing(engine) as conn:
        state = operations.decide(
            conn, people["joc-approver"], op, Decision.APPROVE, None, POLICY, T0
        )
        first_in.set()
        go_on.wait(0.5)  # the second approver starts while this one is not committed
    other.join(10)
    assert state is State.PENDING
    assert second == [State.APPROVED]  # it waited for the first, then saw its approval
    assert show(engine, people["joc-analyst"], op)["state"] == "approved"
