"""Joint operations: planning, two-key approval, break-glass, escalation, deconfliction.

The CLI (`tansiq ops`) and the API (`/api/operations`, `/api/conflicts`) call these functions
inside one write transaction each, so every change and its audit entries commit together or
not at all. Who may do what (tansiq.domain.operations): the owner partner's analysts, watch
officers and approvers plan (create, edit, submit, activate, close, cancel); an approver of a
side that must decide approves or vetoes; break-glass is an approver of the owner's partner.

Need-to-know. An operation not released to the caller answers exactly like one that does not
exist. A conflict is disclosed to each owner as: that it exists, its reasons, when, the other
side's partner and whom to call, and the owner's own item; never the other plan (no area,
window, name, type, units or, for a position, place).

Signatures. Each approval or veto is signed by this node's Ed25519 key over
tansiq.domain.operations.statement; whether it still counts: tansiq.decisions. What a reader is
shown: tansiq.operation_views.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.engine import Connection

from tansiq import conflicts, decisions
from tansiq.accounts import Principal
from tansiq.analysis.coverage import disputed_units, to_plane
from tansiq.domain import operations as ops
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.markings import Tlp, person_viewer
from tansiq.domain.operations import (
    Area,
    Content,
    Decision,
    Event,
    IllegalTransition,
    OperationType,
    State,
)
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.settings import Settings
from tansiq.sharing import operation_feed, stix
from tansiq.sharing.keys import node_key
from tansiq.store import audit, objects
from tansiq.store import operations as store
from tansiq.store.operations import OperationRecord, StoredDecision
from tansiq.store.partners import find_partner, partner_parents

PARTNER_CODE: Final = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

REVIEW_ACK_WITHIN: Final = timedelta(hours=2)
REVIEW_DONE_WITHIN: Final = timedelta(hours=72)
"""A break-glass (or in-flight edit) review task: acknowledged within 2 h, done within 3 days."""


def audit_event(
    conn: Connection, actor: str, action: str, subject: str, now: datetime, **detail: Any
) -> None:
    audit.append(conn, at=now, actor=actor, action=action, subject=subject, detail=detail)


def side_of_partner(conn: Connection, partner: str, policy: Policy) -> str | None:
    return ops.side_of(partner, partner_parents(conn), policy.sides)


def _contact(conn: Connection, owner: str, policy: Policy) -> str:
    return policy.contact(owner, side_of_partner(conn, owner, policy))


def contacts(conn: Connection, policy: Policy) -> Callable[[str], str]:
    """Whom to call about a partner's footprint: the policy's contact for it or its side."""
    parents = partner_parents(conn)
    return lambda owner: policy.contact(owner, ops.side_of(owner, parents, policy.sides))


def policy_from(settings: Settings) -> Policy:
    """The node's policy for operations, from its settings (InvalidInput for an unknown type)."""
    for name in settings.ops_sla_hours:
        ops.parse_type(name)
    return Policy(
        sides=tuple(settings.ops_sides),
        escalation={k: tuple(v) for k, v in settings.ops_escalation.items()},
        contacts=dict(settings.ops_contacts),
        sla_hours=dict(settings.ops_sla_hours),
    )


# --- where: disputed districts -------------------------------------------------------------


def disputed_areas(area: Area, buffer_m: float) -> list[str]:
    """Pcodes of the disputed districts (and Mandali) the buffered area touches: within the
    extent plus the type's buffer of the geometry, measured in the equal-area plane."""
    reach = area.extent_m + buffer_m
    shape = to_plane(area.geometry)
    return sorted(u.pcode for u in _disputed_in_plane() if shape.distance(u.geometry) <= reach)


_PLANE_UNITS: list[Any] = []


def _disputed_in_plane() -> list[Any]:
    if not _PLANE_UNITS:
        _PLANE_UNITS.extend(replace(u, geometry=to_plane(u.geometry)) for u in disputed_units())
    return _PLANE_UNITS


# --- checks ----------------------------------------------------------------------------------


def visible(
    conn: Connection, actor: Principal, operation_id: str, *, lock: bool = True
) -> OperationRecord:
    """The operation if the actor may see it (locked for the change to come), else NotFound
    exactly as for one that does not exist."""
    found = (
        store.visible(conn, actor.viewer, operation_id, lock=lock)
        if ops.is_operation_id(operation_id)
        else None
    )
    if found is None:
        raise NotFound(f"no such operation: {operation_id}")
    return found


def _check_content(conn: Connection, actor: Principal, content: Content) -> None:
    """Partners named must exist; linked reports and cells must be readable by the planner
    (refused exactly like ids that do not exist)."""
    for code in sorted(content.releasable_to):
        if not PARTNER_CODE.match(code) or find_partner(conn, code) is None:
            raise InvalidInput(f"releasable_to: unknown partner {code!r}")
    wanted = content.subjects | content.links
    missing = wanted - objects.readable_ids(conn, actor.viewer, wanted)
    if missing:
        raise NotFound(f"no such object: {sorted(missing)[0]}")


def _where(conn: Connection, content: Content, policy: Policy) -> tuple[list[str], tuple[str, ...]]:
    pcodes = disputed_areas(content.area, content.buffer_m)
    owner_side = side_of_partner(conn, content.owner, policy)
    return pcodes, ops.sides_needed(owner_side, bool(pcodes), policy.sides)


def _check_reaches_sides(conn: Connection, record: OperationRecord) -> None:
    """Every side that must decide can read the operation (else its approvers never could)."""
    audience = record.content().marking.audience()
    parents = partner_parents(conn)
    for side in record.sides_needed:
        if not person_viewer(side, parents).sees(Tlp(record.tlp), audience):
            raise InvalidInput(
                f"releasable_to: the operation needs {side}'s approval but is not released to "
                f"{side}; edit it with --releasable-to {side} (and a TLP other than AMBER+STRICT)"
            )


# --- planning --------------------------------------------------------------------------------


def _require_planned_here(actor: Principal, record: OperationRecord) -> None:
    """Only the node an operation was planned on changes it: another node holds a copy
    (tansiq.sharing.operation_feed), on which its approvers decide and nothing else is done."""
    ops.require_planner(actor.role, actor.partner, record.owner)
    if record.origin:
        raise Forbidden(
            f"operation {record.id} is planned on {record.origin}'s node: change it there"
        )


def create(conn: Connection, actor: Principal, plan: Plan, policy: Policy, now: datetime) -> str:
    """A new operation of the actor's partner, in draft; its id (`operation--<uuid4>`)."""
    ops.require_planner(actor.role, actor.partner, actor.partner)
    content = plan.new(actor.partner)
    _check_content(conn, actor, content)
    pcodes, sides = _where(conn, content, policy)
    operation_id = stix.new_id("operation")
    store.insert(
        conn,
        operation_id,
        content,
        disputed_areas=pcodes,
        sides_needed=sides,
        by=actor.name,
        now=now,
    )
    audit_event(
        conn,
        actor.name,
        "operation-create",
        operation_id,
        now,
        version=1,
        hash=content.digest(),
        tlp=content.tlp.value,
        to=sorted(content.marking.audience()),
        disputed=pcodes,
        sides=list(sides),
    )
    operation_feed.announce(conn, operation_id)
    return operation_id


@dataclass(frozen=True, slots=True)
class Edited:
    version: int
    changed: bool
    state: State
    voided: int


def edit(
    conn: Connection, actor: Principal, operation_id: str, plan: Plan, policy: Policy, now: datetime
) -> Edited:
    """A material edit: a new version (back to draft, approvals void; an active operation
    stays active and is reviewed by the other side). No change, no version."""
    record = visible(conn, actor, operation_id)
    _require_planned_here(actor, record)
    content = plan.applied_to(record.content())
    if content.digest() == record.content_hash:
        return Edited(record.version, False, State(record.state), 0)
    state = ops.next_state(State(record.state), Event.EDIT)
    _check_content(conn, actor, content)
    pcodes, sides = _where(conn, content, policy)
    version = store.new_version(
        conn,
        record,
        content,
        state=state,
        disputed_areas=pcodes,
        sides_needed=sides,
        by=actor.name,
        now=now,
    )
    voided = [d.id for d in store.decisions(conn, operation_id) if d.version == record.version]
    audit_event(
        conn,
        actor.name,
        "operation-edit",
        operation_id,
        now,
        version=version,
        hash=content.digest(),
        was=record.state,
        state=state.value,
        voided=voided,
        disputed=pcodes,
        sides=list(sides),
    )
    fresh = store.stored(conn, operation_id)
    assert fresh is not None
    if State(record.state) in ops.LIVE_STATES:
        conflicts.deconflict(conn, fresh, contacts(conn, policy), now, actor.name)
    if state is State.ACTIVE:
        _tell_other_sides(conn, fresh, policy, "edited-in-flight", actor.name, now, review=True)
    operation_feed.announce(conn, operation_id)
    return Edited(version, True, state, len(voided))


def submit(
    conn: Connection, actor: Principal, operation_id: str, policy: Policy, now: datetime
) -> State:
    """draft -> submitted (deconflicted) -> pending-approval, with its deadline."""
    record = visible(conn, actor, operation_id)
    _require_planned_here(actor, record)
    ops.next_state(State(record.state), Event.SUBMIT)
    _check_reaches_sides(conn, record)
    deadline = now + policy.sla(OperationType(record.op_type))
    store.set_state(
        conn,
        operation_id,
        State.SUBMITTED,
        now,
        submitted_at=now,
        deadline_at=deadline,
        escalation_level=0,
        break_glass=False,
    )
    audit_event(
        conn,
        actor.name,
        "operation-submit",
        operation_id,
        now,
        version=record.version,
        hash=record.content_hash,
    )
    fresh = store.stored(conn, operation_id)
    assert fresh is not None
    found = conflicts.deconflict(conn, fresh, contacts(conn, policy), now, actor.name)
    state = ops.next_state(State.SUBMITTED, Event.DECONFLICTED)
    store.set_state(conn, operation_id, state, now)
    audit_event(
        conn,
        "system",
        "operation-pending",
        operation_id,
        now,
        version=record.version,
        sides=list(record.sides_needed),
        deadline=ops.iso(deadline),
        conflicts=found,
    )
    if len(record.sides_needed) == 1:
        _tell_other_sides(conn, fresh, policy, "own-zone", actor.name, now, review=False)
    operation_feed.announce(conn, operation_id)
    return state


def _tell_other_sides(
    conn: Connection,
    record: OperationRecord,
    policy: Policy,
    kind: str,
    actor: str,
    now: datetime,
    *,
    review: bool,
) -> None:
    """A notice to every side but the owner's: who and whom to call, never the plan; with
    `review`, a task for each to review what was done without its key."""
    owner_side = side_of_partner(conn, record.owner, policy)
    contact = policy.contact(record.owner, owner_side)
    for side in policy.sides:
        if side == owner_side:
            continue
        store.add_notice(conn, record, side, kind, contact, now)
        audit_event(
            conn,
            actor,
            "operation-notice",
            record.id,
            now,
            to=side,
            kind=kind,
            version=record.version,
        )
        if review:
            _review_task(conn, record, side, kind, actor, contact, now)


def _review_task(
    conn: Connection,
    record: OperationRecord,
    side: str,
    kind: str,
    actor: str,
    contact: str,
    now: datetime,
) -> None:
    from tansiq.tasks import open_task

    open_task(
        conn,
        source_kind="operation",
        source_ref=record.id,
        from_partner=record.owner,
        to_partner=side,
        title=f"Review: {kind} of operation {record.id} by {record.owner}",
        body=f"{record.owner} acted without {side}'s key ({kind}, version {record.version}). "
        f"Call: {contact}.",
        by=actor,
        now=now,
        ack_within=REVIEW_ACK_WITHIN,
        done_within=REVIEW_DONE_WITHIN,
    )


# --- decisions -------------------------------------------------------------------------------


def decide(
    conn: Connection,
    actor: Principal,
    operation_id: str,
    decision: Decision,
    reason: str | None,
    policy: Policy,
    now: datetime,
) -> State:
    """An approver's signed approval or veto of the current version, for their side."""
    record = visible(conn, actor, operation_id)
    side = ops.require_approver(
        actor.role, side_of_partner(conn, actor.partner, policy), record.sides_needed
    )
    event = Event.APPROVE if decision is Decision.APPROVE else Event.VETO
    ops.next_state(State(record.state), event)
    text = ops.check_reason(reason, required=decision is Decision.VETO, what="a veto")
    if side in decisions.valid_sides(conn, record):
        raise IllegalTransition(f"state: {side} has already approved version {record.version}")
    digest = decisions.require_intact(conn, record)
    key = node_key(conn)
    message = ops.statement(record.id, record.version, digest, decision, actor.name, side, now)
    row = StoredDecision(
        0,
        record.id,
        record.version,
        digest,
        decision,
        actor.name,
        side,
        actor.partner,
        text,
        now,
        key.public(),
        key.sign(message),
    )
    decision_id = store.add_decision(conn, row)
    audit_event(
        conn,
        actor.name,
        f"operation-{decision.value}",
        operation_id,
        now,
        decision=decision_id,
        version=record.version,
        hash=digest,
        side=side,
        key=key.public(),
        reason=text,
    )
    state = _settle(conn, record, decision, actor.name, now)
    operation_feed.announce(conn, operation_id)
    return state


def _settle(
    conn: Connection, record: OperationRecord, decision: Decision, actor: str, now: datetime
) -> State:
    """A pending operation after a decision on its current version: vetoed by a valid veto,
    approved once every side needed has a valid approval, else still pending."""
    if decision is Decision.VETO:
        store.set_state(conn, record.id, State.VETOED, now, deadline_at=None)
        conflicts.unregister(conn, record.id, "operation vetoed", actor, now)
        return State.VETOED
    if not ops.approved_by_all(record.sides_needed, decisions.valid_sides(conn, record)):
        return State.PENDING
    store.set_state(conn, record.id, State.APPROVED, now, deadline_at=None)
    detail = {"version": record.version, "hash": record.content_hash}
    audit_event(conn, "system", "operation-approved", record.id, now, **detail)
    return State.APPROVED


def decision_received(
    conn: Connection, record: OperationRecord, decision: StoredDecision, now: datetime
) -> State:
    """A decision signed on a partner's node (already checked and stored by tansiq.sharing.
    operation_feed) for an operation this node owns: it moves the operation as a decision
    made here would, if it is valid and for the current version of a pending operation."""
    if State(record.state) is not State.PENDING or decision.version != record.version:
        return State(record.state)
    if decision.side not in decisions.valid_sides(conn, record, decision.decision):
        return State(record.state)
    state = _settle(conn, record, decision.decision, "sync", now)
    operation_feed.announce(conn, record.id)
    return state


# --- activation, closing, cancelling ------------------------------------------------------


def activate(
    conn: Connection,
    actor: Principal,
    operation_id: str,
    policy: Policy,
    now: datetime,
    *,
    break_glass: bool = False,
    reason: str | None = None,
) -> State:
    """approved -> active; or with break-glass, by an approver of the owner's partner, from
    submitted or pending: active, recorded, and a review task for every other side."""
    record = visible(conn, actor, operation_id)
    _require_planned_here(actor, record)
    if not break_glass:
        ops.next_state(State(record.state), Event.ACTIVATE)
        missing = set(record.sides_needed) - decisions.valid_sides(conn, record)
        if missing:
            raise IllegalTransition(
                f"state: the approval of {sorted(missing)[0]} no longer verifies; submit again"
            )
        store.set_state(conn, operation_id, State.ACTIVE, now)
        audit_event(
            conn, actor.name, "operation-activate", operation_id, now, version=record.version
        )
        operation_feed.announce(conn, operation_id)
        return State.ACTIVE
    if actor.role is not Role.APPROVER:
        raise Forbidden(f"only an approver of {record.owner} may activate by break-glass")
    text = ops.check_reason(reason, required=True, what="a break-glass activation")
    ops.next_state(State(record.state), Event.BREAK_GLASS)
    store.set_state(conn, operation_id, State.ACTIVE, now, break_glass=True, deadline_at=None)
    audit_event(
        conn,
        actor.name,
        "operation-break-glass",
        operation_id,
        now,
        version=record.version,
        hash=record.content_hash,
        reason=text,
        was=record.state,
    )
    _tell_other_sides(conn, record, policy, "break-glass", actor.name, now, review=True)
    operation_feed.announce(conn, operation_id)
    return State.ACTIVE


def finish(
    conn: Connection,
    actor: Principal,
    operation_id: str,
    event: Event,
    reason: str | None,
    now: datetime,
) -> State:
    """close (active -> closed) or cancel: out of the deconfliction registry, its open
    conflicts resolved."""
    record = visible(conn, actor, operation_id)
    _require_planned_here(actor, record)
    state = ops.next_state(State(record.state), event)
    text = ops.check_reason(reason, required=False, what="")
    store.set_state(conn, operation_id, state, now, deadline_at=None)
    audit_event(
        conn,
        actor.name,
        f"operation-{event.value}",
        operation_id,
        now,
        version=record.version,
        reason=text,
    )
    conflicts.unregister(conn, operation_id, f"operation {state.value}", actor.name, now)
    operation_feed.announce(conn, operation_id)
    return state


# --- escalation ------------------------------------------------------------------------------


def escalate(
    conn: Connection, policy: Policy, now: datetime, actor: str = "system"
) -> list[ops.Escalation]:
    """Raise the escalations due at `now` (tansiq.domain.operations.due_escalations), record
    and audit each, and move each deadline on by one SLA. Never approves anything."""
    raised: list[ops.Escalation] = []
    for record in store.waiting(conn, now):
        sla = policy.sla(OperationType(record.op_type))
        waiting = store.as_waiting(record, sla.total_seconds(), decisions.valid_sides(conn, record))
        due = ops.due_escalations([waiting], now, policy.escalation)
        for e in due:
            store.add_escalation(conn, e.operation, e.version, e.side, e.level, e.to, now)
            audit_event(
                conn,
                actor,
                "operation-escalate",
                e.operation,
                now,
                version=e.version,
                side=e.side,
                level=e.level,
                to=e.to,
            )
        level = max([e.level for e in due], default=record.escalation_level)
        assert record.submitted_at is not None
        next_deadline = record.submitted_at + sla * (level + 1)
        store.set_workflow(conn, record.id, now, escalation_level=level, deadline_at=next_deadline)
        operation_feed.announce(conn, record.id)
        raised += due
    return raised
