"""Operations' pure rules: transitions, areas, the content hash, decisions, escalation."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785

from tansiq.domain.markings import Tlp
from tansiq.domain.operations import (
    TRANSITIONS,
    AreaKind,
    Content,
    Decision,
    Event,
    IllegalTransition,
    OperationType,
    State,
    Waiting,
    circle,
    due_escalations,
    from_wkt,
    is_operation_id,
    next_state,
    parse_time,
    parse_type,
    side_of,
    sides_needed,
    statement,
)
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden, InvalidInput

START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
KIRKUK = (35.468, 44.392)
CELL = "intrusion-set--0b2b4e3c-7e0c-4b1e-9a43-0d52f0c1a001"
REPORT = "report--5f0a5f6e-3c2d-4d8e-b0e3-2a1c7b9d0f11"


def make_content(**overrides: object) -> Content:
    values: dict[str, object] = {
        "owner": "joc",
        "name": "Raid on the Wadi al-Shay hideout",
        "op_type": OperationType.RAID,
        "area": circle(*KIRKUK, 500),
        "start": START,
        "end": START + timedelta(hours=4),
        "units": ("1st Bde",),
        "subjects": frozenset({CELL}),
        "links": frozenset({REPORT}),
        "tlp": Tlp.AMBER,
        "releasable_to": frozenset({"krg"}),
    }
    values.update(overrides)
    return Content(**values)  # type: ignore[arg-type]


EXPECTED = {
    (State.DRAFT, Event.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Event.DECONFLICTED): State.PENDING,
    (State.PENDING, Event.APPROVE): State.APPROVED,
    (State.PENDING, Event.VETO): State.VETOED,
    (State.APPROVED, Event.ACTIVATE): State.ACTIVE,
    (State.SUBMITTED, Event.BREAK_GLASS): State.ACTIVE,
    (State.PENDING, Event.BREAK_GLASS): State.ACTIVE,
    (State.ACTIVE, Event.CLOSE): State.CLOSED,
    (State.DRAFT, Event.CANCEL): State.CANCELLED,
    (State.SUBMITTED, Event.CANCEL): State.CANCELLED,
    (State.PENDING, Event.CANCEL): State.CANCELLED,
    (State.APPROVED, Event.CANCEL): State.CANCELLED,
    (State.VETOED, Event.CANCEL): State.CANCELLED,
    (State.DRAFT, Event.EDIT): State.DRAFT,
    (State.SUBMITTED, Event.EDIT): State.DRAFT,
    (State.PENDING, Event.EDIT): State.DRAFT,
    (State.APPROVED, Event.EDIT): State.DRAFT,
    (State.VETOED, Event.EDIT): State.DRAFT,
    (State.ACTIVE, Event.EDIT): State.ACTIVE,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Event))
def test_every_pair_of_state_and_event_is_legal_exactly_as_listed(
    state: State, event: Event
) -> None:
    expected = EXPECTED.get((state, event))
    if expected is None:
        with pytest.raises(IllegalTransition, match=f"cannot {event.value}"):
            next_state(state, event)
    else:
        assert next_state(state, event) is expected


def test_the_table_is_the_listed_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED
    assert IllegalTransition.status == 409


def test_closed_and_cancelled_operations_are_final() -> None:
    for end in (State.CLOSED, State.CANCELLED):
        assert not [e for (s, e) in TRANSITIONS if s is end]


def test_the_hash_is_sha256_of_the_rfc8785_content() -> None:
    content = make_content()
    expected = hashlib.sha256(rfc8785.dumps(content.as_json())).hexdigest()
    assert content.digest() == expected
    assert content.as_json()["buffer_m"] == 1000.0
    assert content.as_json()["margin_s"] == 7200


def test_the_same_content_always_hashes_the_same() -> None:
    # Sets in another order, a time given in another zone: the same content.
    a = make_content(subjects=frozenset({CELL, REPORT.replace("report", "intrusion-set")}))
    b = make_content(
        subjects=frozenset({REPORT.replace("report", "intrusion-set"), CELL}),
        start=parse_time("start", "2026-11-26T09:00:00+03:00"),
    )
    assert a.digest() == b.digest()


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Raid on the hideout"},
        {"area": circle(35.469, 44.392, 500)},
        {"area": circle(*KIRKUK, 501)},
        {"op_type": OperationType.CLEARANCE},
        {"start": START - timedelta(seconds=1)},
        {"end": START + timedelta(hours=5)},
        {"units": ("1st Bde", "Quick reaction force")},
        {"units": ()},
        {"subjects": frozenset()},
        {"links": frozenset()},
        {"tlp": Tlp.RED},
        {"releasable_to": frozenset()},
    ],
)
def test_every_material_change_changes_the_hash(change: dict[str, object]) -> None:
    before = make_content()
    after = dataclasses.replace(before, **change)  # type: ignore[arg-type]
    assert after.digest() != before.digest()


def test_areas_of_each_kind() -> None:
    polygon = from_wkt("POLYGON ((44.3 35.4, 44.5 35.4, 44.5 35.5, 44.3 35.4))")
    corridor = from_wkt("LINESTRING (44.0 36.19, 44.39 35.47)", width_m=400)
    point = circle(35.468, 44.392, 750)
    assert (polygon.kind, polygon.extent_m) == (AreaKind.POLYGON, 0.0)
    assert (corridor.kind, corridor.extent_m) == (AreaKind.CORRIDOR, 200.0)
    assert (point.kind, point.wkt, point.extent_m) == (
        AreaKind.CIRCLE,
        "POINT (44.392 35.468)",
        750,
    )
    # Normalised to 7 decimals: the same area in more digits is the same text.
    assert (
        from_wkt("POLYGON ((44.30000000001 35.4, 44.5 35.4, 44.5 35.5, 44.30000000001 35.4))")
        == polygon
    )


@pytest.mark.parametrize(
    ("wkt", "width", "field"),
    [
        ("POLYGON ((44 35, 45 35", None, "wkt"),
        ("POINT (44 35)", None, "wkt"),
        ("POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))", None, "wkt"),
        ("POLYGON ((44 95, 45 35, 45 36, 44 95))", None, "wkt"),
        ("LINESTRING (44 35, 45 36)", None, "width_m"),
        ("LINESTRING (44 35, 45 36)", 0, "width_m"),
        ("POLYGON ((44 35, 45 35, 45 36, 44 35))", 100, "width_m"),
        ("", None, "wkt"),
    ],
)
def test_bad_areas_are_refused_naming_the_field(wkt: str, width: float | None, field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        from_wkt(wkt, width)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Raid\x00"}, "name"),
        ({"start": datetime(1999, 12, 31, tzinfo=UTC)}, "start"),
        ({"units": ("8th\x00Division",)}, "unit"),
        ({"end": START}, "end"),
        ({"end": START + timedelta(days=400)}, "end"),
        ({"units": ("",)}, "unit"),
        ({"subjects": frozenset({"not an id"})}, "subject"),
        ({"links": frozenset({"report--x"})}, "link"),
    ],
)
def test_bad_content_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        make_content(**change)


def test_bad_radius_type_and_time_name_their_field() -> None:
    with pytest.raises(InvalidInput, match=r"^radius_m:"):
        circle(*KIRKUK, -1)
    with pytest.raises(InvalidInput, match=r"^type:"):
        parse_type("ambush")
    with pytest.raises(InvalidInput, match=r"^start:.*time zone"):
        parse_time("start", "2026-11-26T06:00:00")
    with pytest.raises(InvalidInput, match=r"^end: a time in the years"):
        parse_time("end", "9999-12-31T23:00:00-05:00")
    assert parse_type("Checkpoint move") is OperationType.CHECKPOINT_MOVE
    assert is_operation_id("operation--0b2b4e3c-7e0c-4b1e-9a43-0d52f0c1a001")
    assert not is_operation_id("operation--x\x00")


def test_a_side_is_the_top_level_partner_when_it_approves() -> None:
    parents = {"joc": None, "krg": None, "krg-asayish": "krg", "jcc": None}
    sides = ("joc", "krg")
    assert side_of("krg-asayish", parents, sides) == "krg"
    assert side_of("joc", parents, sides) == "joc"
    assert side_of("jcc", parents, sides) is None
    assert sides_needed("joc", True, sides) == ("joc", "krg")
    assert sides_needed("joc", False, sides) == ("joc",)
    assert sides_needed(None, False, sides) == ("joc", "krg")


def test_only_approvers_of_a_needed_side_decide() -> None:
    from tansiq.domain.operations import require_approver, require_planner

    assert require_approver(Role.APPROVER, "krg", ("joc", "krg")) == "krg"
    with pytest.raises(Forbidden):
        require_approver(Role.ANALYST, "krg", ("joc", "krg"))
    with pytest.raises(Forbidden):
        require_approver(Role.APPROVER, "krg", ("joc",))
    with pytest.raises(Forbidden):
        require_approver(Role.APPROVER, None, ("joc", "krg"))
    require_planner(Role.WATCH, "joc", "joc")
    with pytest.raises(Forbidden):
        require_planner(Role.PEER, "joc", "joc")
    with pytest.raises(Forbidden):
        require_planner(Role.ANALYST, "krg", "joc")


def test_a_statement_names_everything_decided() -> None:
    made = statement("operation--1", 2, "ab" * 32, Decision.VETO, "krg-approver", "krg", START)
    assert (
        rfc8785.dumps(
            {
                "type": "tansiq-operation-decision",
                "operation": "operation--1",
                "version": 2,
                "hash": "ab" * 32,
                "decision": "veto",
                "approver": "krg-approver",
                "side": "krg",
                "at": "2026-11-26T06:00:00Z",
            }
        )
        == made
    )


def test_escalation_raises_one_level_per_sla_period_and_never_twice() -> None:
    names = {"joc": ("JOC duty general",), "krg": ("MoPA duty officer", "MoPA minister")}
    op = Waiting("operation--1", 3, START, timedelta(hours=6), ("joc", "krg"), 0)

    assert due_escalations([op], START + timedelta(hours=5, minutes=59), names) == []
    first = due_escalations([op], START + timedelta(hours=6), names)
    assert [(e.side, e.level, e.to) for e in first] == [
        ("joc", 1, "JOC duty general"),
        ("krg", 1, "MoPA duty officer"),
    ]
    raised = dataclasses.replace(op, level=1, missing_sides=("krg",))
    later = due_escalations([raised], START + timedelta(hours=18), names)
    assert [(e.side, e.level, e.to) for e in later] == [
        ("krg", 2, "MoPA minister"),
        ("krg", 3, "MoPA minister (level 3)"),
    ]
    assert (
        due_escalations([dataclasses.replace(raised, level=3)], START + timedelta(hours=18), names)
        == []
    )
