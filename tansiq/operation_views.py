"""What a reader is shown of operations: a list row, one operation whole, a map feature, and
the notices to a side. Only operations the reader may see (tansiq.operations.visible and the
store's visible_operations); every read goes to the audit chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import shapely.geometry
from sqlalchemy.engine import Connection

from tansiq import conflicts, decisions, operations
from tansiq.accounts import Principal
from tansiq.domain import operations as ops
from tansiq.domain.approvals import Policy
from tansiq.domain.operations import State
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput
from tansiq.store import operations as store
from tansiq.store.operations import OperationRecord


def summary(record: OperationRecord) -> dict[str, Any]:
    """An operation as a list shows it (to someone who may see it)."""
    return {
        "id": record.id,
        "name": record.name,
        "type": record.op_type,
        "state": record.state,
        "version": record.version,
        "owner": record.owner,
        "start": ops.iso(record.start),
        "end": ops.iso(record.end),
        "tlp": record.tlp,
        "releasable_to": list(record.releasable_to),
        "two_key": len(record.sides_needed) > 1,
        "break_glass": record.break_glass,
        "deadline": ops.iso(record.deadline_at) if record.deadline_at else None,
    }


def show(conn: Connection, actor: Principal, operation_id: str, now: datetime) -> dict[str, Any]:
    """Everything about one operation the actor may see: content, state, version, hash (and
    whether it matches), approvals with their validity, escalations, and its conflicts as
    disclosed to the actor's partner. The read is audited."""
    record = operations.visible(conn, actor, operation_id, lock=False)
    hashes, trusted = decisions.version_hashes(conn, record), decisions.trusted_keys(conn)
    signed = [
        {
            "id": d.id,
            "decision": d.decision.value,
            "version": d.version,
            "hash": d.content_hash,
            "approver": d.approver,
            "side": d.side,
            "at": ops.iso(d.at),
            "reason": d.reason,
            "key_id": d.key_id,
            "validity": decisions.validity(d, record, hashes, trusted).value,
        }
        for d in store.decisions(conn, operation_id)
    ]
    stored_hash = store.version_contents(conn, operation_id).get(record.version, ({}, ""))[1]
    content = record.content().as_json()
    answer = {
        **summary(record),
        "area": content["area"],
        "buffer_m": record.buffer_m,
        "margin_s": content["margin_s"],
        "units": list(record.units),
        "subjects": list(record.subjects),
        "links": list(record.links),
        "hash": hashes[record.version],
        "hash_ok": hashes[record.version] == stored_hash == record.content_hash,
        "disputed_areas": list(record.disputed_areas),
        "sides_needed": list(record.sides_needed),
        "submitted_at": ops.iso(record.submitted_at) if record.submitted_at else None,
        "escalation_level": record.escalation_level,
        "escalations": [
            {**e, "at": ops.iso(e["at"])} for e in store.escalations(conn, operation_id)
        ],
        "approvals": [d for d in signed if d["decision"] == "approve"],
        "vetoes": [d for d in signed if d["decision"] == "veto"],
        "conflicts": [],
    }
    if actor.partner == record.owner:
        answer["conflicts"] = conflicts.conflicts_for(
            conn, actor, now, include_resolved=True, operation_id=operation_id
        )
    operations.audit_event(conn, actor.name, "read", operation_id, now, version=record.version)
    return answer


def notices_for(conn: Connection, actor: Principal, policy: Policy) -> list[dict[str, Any]]:
    """Notices to the actor's side: who acted, how, whom to call (no plan)."""
    side = operations.side_of_partner(conn, actor.partner, policy)
    if side is None or actor.role is Role.PEER:
        return []
    return [
        {
            "operation": n["operation_id"],
            "version": n["version"],
            "owner": n["owner"],
            "kind": n["kind"],
            "contact": n["contact"],
            "at": ops.iso(n["at"]),
        }
        for n in store.notices_to(conn, side)
    ]


def parse_states(names: Sequence[str] | None) -> list[str] | None:
    """States to filter by; InvalidInput naming an unknown one."""
    if not names:
        return None
    for name in names:
        if name not in {s.value for s in State}:
            choices = ", ".join(s.value for s in State)
            raise InvalidInput(f"state: unknown state {name!r}; use one of {choices}")
    return list(names)


def listing(
    conn: Connection, actor: Principal, states: Sequence[str] | None, now: datetime
) -> list[dict[str, Any]]:
    """The operations the actor may see (in these states), newest first; the read audited."""
    found = store.visible_operations(conn, actor.viewer, states=parse_states(states))
    items = [summary(r) for r in found]
    audit_read(conn, actor, [i["id"] for i in items], now)
    return items


def audit_read(conn: Connection, actor: Principal, ids: Sequence[str], now: datetime) -> None:
    """One audit entry for the operations shown to someone (none if none)."""
    if ids:
        operations.audit_event(conn, actor.name, "read", "operations", now, ids=list(ids))


def feature(record: OperationRecord) -> dict[str, Any]:
    """An operation as a GeoJSON feature: its geometry as planned, with its reach (extent +
    buffer) in the properties, for the map to draw."""
    return {
        "type": "Feature",
        "id": record.id,
        "geometry": shapely.geometry.mapping(record.area),
        "properties": {
            **summary(record),
            "area_kind": record.area_kind,
            "extent_m": record.extent_m,
            "buffer_m": record.buffer_m,
        },
    }
