"""Conflicts between an operation and the other footprints: found, recorded, disclosed, acked.

Deconfliction runs on submit and on every edit of a live operation (tansiq.operations): the
operation's footprint is registered (tansiq.store.footprints) and every registered footprint
it conflicts with (tansiq.domain.deconfliction, INTEROP 5.1) is recorded as a conflict, once
per pair; a pair found again with other reasons is reopened, one no longer found is resolved,
and an operation closed, cancelled or vetoed leaves the registry with its conflicts resolved.

**Need-to-know.** A conflict is disclosed to each owner as: that it exists, its reasons, when,
its own item, and of the other side only the partner, the node it came from, whom to call and
whether they acknowledged. Never the other plan: no area, window, name, type, units, and for a
position not its place. An item of the same owner on both ends shows both. Each owner must
acknowledge. Findings, disclosures, acknowledgements and resolutions are audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.domain import operations as ops
from tansiq.domain.approvals import Policy
from tansiq.domain.deconfliction import Footprint, FootprintKind
from tansiq.domain.operations import OperationType
from tansiq.domain.reports import Role
from tansiq.errors import NotFound
from tansiq.store import audit, footprints
from tansiq.store import operations as store
from tansiq.store.operations import OperationRecord, StoredConflict


def _audit(
    conn: Connection, actor: str, action: str, subject: str, now: datetime, **detail: Any
) -> None:
    audit.append(conn, at=now, actor=actor, action=action, subject=subject, detail=detail)


def footprint(record: OperationRecord, contact: str) -> Footprint:
    """The operation as deconfliction sees it: its geometry, reach (extent + type buffer),
    window and margin, subjects, and whom to call."""
    return Footprint(
        kind=FootprintKind.OPERATION,
        ref=record.id,
        owner=record.owner,
        area=record.area,
        buffer_m=record.extent_m + record.buffer_m,
        start=record.start,
        end=record.end,
        margin=ops.TYPE_RULES[OperationType(record.op_type)].margin,
        subjects=frozenset(record.subjects),
        contact=contact,
    )


def duty_contact(owner: str) -> str:
    """Whom to call about a partner's footprint where the node's policy is not at hand."""
    return Policy().contact(owner, None)


def _side_of_footprint(
    fp: Footprint | footprints.Found, contact_of: Callable[[str], str]
) -> store.Side:
    """A conflict's end; a footprint that names nobody to call (a position) gets its owner's
    duty contact from the node's policy."""
    contact = fp.contact or contact_of(fp.owner)
    return store.Side(fp.kind.value, fp.ref, fp.origin, fp.owner, contact)


def deconflict(
    conn: Connection,
    record: OperationRecord,
    contact_of: Callable[[str], str],
    now: datetime,
    actor: str,
) -> list[int]:
    """Register the operation's footprint and record its conflicts (`recheck`)."""
    fp = footprint(record, contact_of(record.owner))
    footprints.put(conn, fp)
    return recheck(conn, fp, contact_of, now, actor)


def recheck(
    conn: Connection,
    fp: Footprint,
    contact_of: Callable[[str], str],
    now: datetime,
    actor: str,
) -> list[int]:
    """Record a registered footprint's conflicts: new ones added, changed reasons reopened,
    those no longer found resolved; the ids of its open conflicts. Only pairs with an
    operation on one end are conflicts: two posts near each other are not (INTEROP 5.1).

    Runs for an operation submitted or edited here, and for every other footprint that comes
    or moves later (a position written, a track or a peer's footprint received), so a conflict
    is found whichever of the two was registered first, on each node that holds both."""
    found = {
        f.key: f
        for f in footprints.find_conflicts(conn, fp)
        if FootprintKind.OPERATION in (fp.kind, f.kind)
    }
    mine = _side_of_footprint(fp, contact_of)
    open_ids = []
    for known in store.open_conflicts_of(conn, fp.kind.value, fp.ref, fp.origin):
        other = known.b if known.a.key == mine.key else known.a
        hit = found.pop((other.origin, FootprintKind(other.kind), other.ref), None)
        if hit is None:
            resolve(conn, known, "no longer conflicts", actor, now)
            continue
        reasons = sorted(r.value for r in hit.reasons)
        if list(known.reasons) != reasons:
            store.update_conflict(
                conn,
                known.id,
                reasons=",".join(reasons),
                found_at=now,
                a_ack_by=None,
                a_ack_at=None,
                b_ack_by=None,
                b_ack_at=None,
            )
            _audit(conn, actor, "conflict-change", f"conflict:{known.id}", now, reasons=reasons)
        open_ids.append(known.id)
    for hit in found.values():
        open_ids.append(
            _add(conn, mine, _side_of_footprint(hit, contact_of), hit.reasons, actor, now)
        )
    return sorted(open_ids)


def recheck_all(
    conn: Connection,
    fps: Iterable[Footprint],
    contact_of: Callable[[str], str],
    now: datetime,
    actor: str,
) -> None:
    """`recheck` each footprint, unless no operation is registered at all (then none of them
    can conflict: an import of thousands of positions costs one query)."""
    if not footprints.any_of_kind(conn, FootprintKind.OPERATION):
        return
    for fp in fps:
        recheck(conn, fp, contact_of, now, actor)


def withdrawn(
    conn: Connection, kind: FootprintKind, ref: str, origin: str, actor: str, now: datetime
) -> None:
    """A footprint left the registry (its owner removed it): its open conflicts resolved."""
    for found in store.open_conflicts_of(conn, kind.value, ref, origin):
        resolve(conn, found, f"{kind.value} withdrawn", actor, now)


def _add(
    conn: Connection,
    mine: store.Side,
    other: store.Side,
    reasons: Iterable[Any],
    actor: str,
    now: datetime,
) -> int:
    names = sorted(r.value for r in reasons)
    conflict_id = store.add_conflict(conn, mine, other, names, now)
    _audit(
        conn,
        actor,
        "conflict-found",
        f"conflict:{conflict_id}",
        now,
        reasons=names,
        a=[mine.owner, mine.kind, mine.ref],
        b=[other.owner, other.kind, other.ref],
    )
    return conflict_id


def resolve(conn: Connection, found: StoredConflict, why: str, actor: str, now: datetime) -> None:
    store.update_conflict(conn, found.id, resolved_at=now, resolution=why)
    _audit(conn, actor, "conflict-resolve", f"conflict:{found.id}", now, why=why)


# --- what each side is told ------------------------------------------------------------------


def disclosure(
    c: StoredConflict, partner: str, own_ops: Mapping[str, OperationRecord]
) -> dict[str, Any]:
    """A conflict as one owner may see it: that it exists, why, when, its own items, and of the
    other side only the partner, whom to call and whether they acknowledged."""
    ends = [(c.a, c.a_ack_at), (c.b, c.b_ack_at)]
    yours = [_own_item(s, own_ops, ack) for s, ack in ends if s.owner == partner]
    theirs = [
        {
            "partner": s.owner,
            "node": s.origin or None,
            "contact": s.contact,
            "acknowledged": ack is not None,
        }
        for s, ack in ends
        if s.owner != partner
    ]
    return {
        "id": c.id,
        "reasons": list(c.reasons),
        "found_at": ops.iso(c.found_at),
        "status": _status(c),
        "resolved_at": ops.iso(c.resolved_at) if c.resolved_at else None,
        "resolution": c.resolution,
        "yours": yours,
        "other": theirs,
    }


def _status(c: StoredConflict) -> str:
    if c.resolved_at is not None:
        return "resolved"
    return "acknowledged" if c.a_ack_at and c.b_ack_at else "open"


def _own_item(
    s: store.Side, own_ops: Mapping[str, OperationRecord], ack: datetime | None
) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": s.kind, "ref": s.ref, "acknowledged": ack is not None}
    record = own_ops.get(s.ref) if s.kind == FootprintKind.OPERATION.value else None
    if record is not None:
        item.update(name=record.name, state=record.state, version=record.version)
    return item


def conflicts_for(
    conn: Connection,
    actor: Principal,
    now: datetime,
    *,
    include_resolved: bool = False,
    operation_id: str | None = None,
) -> list[dict[str, Any]]:
    """The conflicts of the actor's partner, as disclosed to it (audited as a disclosure)."""
    found = store.conflicts_of_partner(conn, actor.partner, include_resolved=include_resolved)
    if operation_id is not None:
        found = [c for c in found if operation_id in (c.a.ref, c.b.ref)]
    own = _own_ops(conn, actor, found)
    shown = [disclosure(c, actor.partner, own) for c in found]
    if shown:
        _audit(
            conn, actor.name, "conflict-disclose", "conflicts", now, ids=[c["id"] for c in shown]
        )
    return shown


def unacknowledged(conn: Connection, actor: Principal) -> int:
    """How many open conflicts the actor's partner has yet to acknowledge: a count of its own
    items, which tells nothing of the other side (the page header's alert; not a disclosure)."""
    return sum(
        1
        for c in store.conflicts_of_partner(conn, actor.partner)
        if any(
            end.owner == actor.partner and ack is None
            for end, ack in ((c.a, c.a_ack_at), (c.b, c.b_ack_at))
        )
    )


def _own_ops(
    conn: Connection, actor: Principal, found: Sequence[StoredConflict]
) -> dict[str, OperationRecord]:
    refs = {
        s.ref
        for c in found
        for s in (c.a, c.b)
        if s.owner == actor.partner and s.kind == "operation" and not s.origin
    }
    shown = store.visible_ids(conn, actor.viewer, refs)
    records = (store.stored(conn, ref) for ref in sorted(shown))
    return {r.id: r for r in records if r is not None}


def acknowledge(
    conn: Connection, actor: Principal, conflict_id: int, now: datetime
) -> dict[str, Any]:
    """The actor's partner acknowledges a conflict on its side(s); NotFound unless it owns one."""
    found = store.conflict_by_id(conn, conflict_id)
    if (
        found is None
        or actor.partner not in (found.a.owner, found.b.owner)
        or actor.role is Role.PEER
    ):
        raise NotFound(f"no such conflict: {conflict_id}")
    values: dict[str, Any] = {}
    for end, side, ack in (("a", found.a, found.a_ack_at), ("b", found.b, found.b_ack_at)):
        if side.owner == actor.partner and ack is None:
            values.update({f"{end}_ack_by": actor.name, f"{end}_ack_at": now})
    if values:
        store.update_conflict(conn, conflict_id, **values)
        _audit(
            conn, actor.name, "conflict-ack", f"conflict:{conflict_id}", now, partner=actor.partner
        )
    fresh = store.conflict_by_id(conn, conflict_id)
    assert fresh is not None
    return disclosure(fresh, actor.partner, _own_ops(conn, actor, [fresh]))


def unregister(conn: Connection, operation_id: str, why: str, actor: str, now: datetime) -> None:
    """Out of the deconfliction registry; its open conflicts resolved."""
    footprints.remove(conn, FootprintKind.OPERATION, operation_id)
    for found in store.open_conflicts_of(conn, FootprintKind.OPERATION.value, operation_id):
        resolve(conn, found, why, actor, now)
