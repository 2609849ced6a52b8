"""Operations between nodes: the owner's node sends each operation to the partners it is
released to, and each node sends the decisions its approvers signed.

- `operation` rows: the owner's current row (content, every version's content and hash, and
  the workflow: state, sides needed, deadline, escalation, break-glass). Only the owner's node
  sends them; a copy is replaced whole by a newer row (tansiq.store.operations.replace_copy). A
  break-glass activation seen for the first time opens a review task for this node's partner.
- `decision` rows: an approval or veto, as signed (tansiq.domain.operations.statement). A node
  sends only those signed with its own key, after their operation's row, so a reader always has
  the operation first. A received decision is stored only if it is signed by the pinned key of
  the node that sent it, by a user of that node's partner deciding for a side above them, and
  checks against the copy's version hash; on the owner's node it then moves the operation
  (approved once every side needed has approved the current version; vetoed by a veto) and the
  new state goes back out.

Everything received is checked field by field (InvalidInput names the field); tansiq.sharing.
coordination rejects and audits what fails and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import orjson
import shapely
from sqlalchemy.engine import Connection

from tansiq.domain import operations as ops
from tansiq.domain.markings import Tlp, node_viewer, person_viewer
from tansiq.domain.operations import AreaKind, Content, Decision, OperationType, State
from tansiq.errors import InvalidInput
from tansiq.sharing import signing
from tansiq.sharing.coordination import Received, register_topic, require_speaks_for
from tansiq.sharing.keys import node_key
from tansiq.store import audit
from tansiq.store import coordination as outbox
from tansiq.store import keys as key_store
from tansiq.store import operations as store
from tansiq.store.operations import OperationRecord, StoredDecision
from tansiq.store.partners import node_partner, partner_parents

OPERATION: Final = "operation"
DECISION: Final = "decision"


# --- sending ---------------------------------------------------------------------------------


def announce(conn: Connection, operation_id: str) -> None:
    """Put an operation's present state in the feed: its row if this node owns it, and the
    decisions signed here, for the partners it is released to. Call after every change."""
    record = store.stored(conn, operation_id)
    if record is None:
        return
    audience = outbox.Audience(
        partners=frozenset(record.content().marking.audience()), red=record.tlp == Tlp.RED.value
    )
    changes = []
    if not record.origin and owned_here(conn, record.owner):
        changes.append(outbox.Change(OPERATION, record.id, _operation_body(conn, record), audience))
    own_key = node_key(conn).public()
    changes += [
        outbox.Change(DECISION, f"{record.id}/{d.signature}", _decision_body(d), audience)
        for d in store.decisions(conn, record.id)
        if d.key_id == own_key
    ]
    outbox.append(conn, changes)


def owned_here(conn: Connection, owner: str) -> bool:
    """Whether this node plans `owner`'s operations: its partner or one below it."""
    return owner in node_viewer(node_partner(conn), partner_parents(conn)).red_codes


def _operation_body(conn: Connection, record: OperationRecord) -> dict[str, Any]:
    versions = store.version_contents(conn, record.id)
    return {
        "id": record.id,
        "version": record.version,
        "content": record.content().as_json(),
        "content_hash": record.content_hash,
        "versions": [
            {"version": n, "content": content, "hash": digest}
            for n, (content, digest) in sorted(versions.items())
        ],
        "state": record.state,
        "disputed_areas": list(record.disputed_areas),
        "sides_needed": list(record.sides_needed),
        "submitted_at": _iso(record.submitted_at),
        "deadline_at": _iso(record.deadline_at),
        "escalation_level": record.escalation_level,
        "break_glass": record.break_glass,
        "created_by": record.created_by,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def _decision_body(d: StoredDecision) -> dict[str, Any]:
    return {
        "operation": d.operation_id,
        "version": d.version,
        "hash": d.content_hash,
        "decision": d.decision.value,
        "approver": d.approver,
        "side": d.side,
        "partner": d.partner,
        "reason": d.reason,
        "at": d.at.isoformat(),
        "key": d.key_id,
        "signature": d.signature,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# --- receiving: operations ---------------------------------------------------------------------


def _apply_operation(at: Received, key: str, body: dict[str, Any] | None) -> None:
    conn, origin, now = at.conn, at.origin, at.now
    if body is None:
        raise InvalidInput("operations are closed or cancelled, never removed")
    if body.get("id") != key:
        raise InvalidInput(f"operation row {key!r} carries another id")
    content = content_from(body.get("content"), body.get("content_hash"))
    require_speaks_for(conn, origin, content.owner)
    version = _int(body, "version", low=1)
    workflow = _workflow(body, version)
    versions = _versions(body.get("versions"), version, content)
    was = store.stored(conn, key)
    if was is not None and was.origin != origin:
        raise InvalidInput(f"operation {key} is planned on another node, not on {origin}'s")
    if was is not None and (was.version, was.updated_at) > (version, workflow["updated_at"]):
        return  # an older row than the copy: a peer that is behind
    store.replace_copy(conn, was, key, content, {**workflow, "origin": origin}, versions)
    audit.append(
        conn,
        at=now,
        actor="sync",
        action="operation-copy",
        subject=key,
        detail={"from": origin, "version": version, "state": workflow["state"]},
    )
    if workflow["break_glass"] and (was is None or not was.break_glass):
        _review_break_glass(conn, key, content, version, now)


def _review_break_glass(
    conn: Connection, operation_id: str, content: Content, version: int, now: datetime
) -> None:
    """The owner launched on its own key: this node's partner must review it (INTEROP 5.2)."""
    from tansiq.operations import REVIEW_ACK_WITHIN, REVIEW_DONE_WITHIN
    from tansiq.tasks import open_task

    here = node_partner(conn)
    open_task(
        conn,
        source_kind="operation",
        source_ref=operation_id,
        from_partner=content.owner,
        to_partner=here,
        title=f"Review: break-glass activation of operation {operation_id} by {content.owner}",
        body=f"{content.owner} activated version {version} without {here}'s key.",
        by="sync",
        now=now,
        ack_within=REVIEW_ACK_WITHIN,
        done_within=REVIEW_DONE_WITHIN,
    )


def content_from(value: Any, digest: Any) -> Content:
    """A version's content as the owner sent it, rebuilt and checked: it must be exactly the
    canonical form of a valid content, and hash to `digest`."""
    if not isinstance(value, Mapping):
        raise InvalidInput("content: must be an object")
    area = value.get("area")
    marking = value.get("marking")
    if not isinstance(area, Mapping) or not isinstance(marking, Mapping):
        raise InvalidInput("content: needs an area and a marking")
    try:
        content = Content(
            owner=_text(value, "owner"),
            name=_text(value, "name"),
            op_type=OperationType(_text(value, "type")),
            area=_area(area),
            start=_time(value, "start"),
            end=_time(value, "end"),
            units=tuple(_texts(value, "units")),
            subjects=frozenset(_texts(value, "subjects")),
            links=frozenset(_texts(value, "links")),
            tlp=Tlp(_text(marking, "tlp")),
            releasable_to=frozenset(_texts(marking, "releasable_to")),
        )
    except ValueError as exc:
        raise InvalidInput(f"content: {exc}") from None
    if content.as_json() != dict(value):
        raise InvalidInput("content: not in canonical form")
    if content.digest() != digest:
        raise InvalidInput("content_hash: does not match the content")
    return content


def _area(value: Mapping[str, Any]) -> ops.Area:
    kind = AreaKind(_text(value, "kind"))
    wkt = _text(value, "wkt")
    extent = value.get("extent_m")
    if isinstance(extent, bool) or not isinstance(extent, int | float):
        raise InvalidInput("area.extent_m: must be a number")
    if kind is AreaKind.CIRCLE:
        point = _point(wkt)
        area = ops.circle(point.y, point.x, float(extent))
    elif kind is AreaKind.CORRIDOR:
        area = ops.from_wkt(wkt, float(extent) * 2)
    else:
        area = ops.from_wkt(wkt)
    if area != ops.Area(kind, wkt, float(extent)):
        raise InvalidInput("area: not in canonical form")
    return area


def _point(wkt: str) -> shapely.Point:
    try:
        point = shapely.from_wkt(wkt)
    except shapely.errors.GEOSException:
        raise InvalidInput("area.wkt: not well-formed WKT") from None
    if not isinstance(point, shapely.Point) or point.is_empty:
        raise InvalidInput("area.wkt: a circle's centre must be a POINT")
    return point


def _workflow(body: Mapping[str, Any], version: int) -> dict[str, Any]:
    try:
        state = State(_text(body, "state"))
    except ValueError:
        raise InvalidInput(f"state: unknown state {body.get('state')!r}") from None
    break_glass = body.get("break_glass")
    if not isinstance(break_glass, bool):
        raise InvalidInput("break_glass: must be true or false")
    return {
        "version": version,
        "state": state.value,
        "disputed_areas": _json_list(body, "disputed_areas"),
        "sides_needed": _json_list(body, "sides_needed"),
        "submitted_at": _time(body, "submitted_at", optional=True),
        "deadline_at": _time(body, "deadline_at", optional=True),
        "escalation_level": _int(body, "escalation_level", low=0),
        "break_glass": break_glass,
        "created_by": _text(body, "created_by"),
        "created_at": _time(body, "created_at"),
        "updated_at": _time(body, "updated_at"),
    }


def _versions(value: Any, current: int, content: Content) -> list[tuple[int, dict[str, Any], str]]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("versions: must be a non-empty list")
    found = []
    for item in value:
        if not isinstance(item, Mapping):
            raise InvalidInput("versions: each must be an object")
        number = _int(item, "version", low=1)
        version_content = item.get("content")
        digest = item.get("hash")
        if not isinstance(version_content, dict) or ops.content_hash(version_content) != digest:
            raise InvalidInput(f"versions: version {number}'s hash does not match its content")
        found.append((number, version_content, str(digest)))
    latest = max(found, key=lambda v: v[0])
    if latest[0] != current or latest[2] != content.digest():
        raise InvalidInput("versions: the latest is not the current content")
    return found


# --- receiving: decisions ----------------------------------------------------------------------


def _apply_decision(at: Received, key: str, body: dict[str, Any] | None) -> None:
    conn, origin, now = at.conn, at.origin, at.now
    if body is None:
        raise InvalidInput("decisions are never removed")
    d = _decision(body)
    if key != f"{d.operation_id}/{d.signature}":
        raise InvalidInput(f"decision row {key!r} carries another decision")
    require_speaks_for(conn, origin, d.partner)
    parents = partner_parents(conn)
    if d.side not in person_viewer(d.partner, parents).codes:
        raise InvalidInput(f"side: {d.partner} cannot decide for {d.side}")
    pin = key_store.find_pin(conn, origin)
    if pin is None or pin.public_key != d.key_id:
        raise InvalidInput(f"key: not the key pinned for {origin}")
    message = ops.statement(
        d.operation_id, d.version, d.content_hash, d.decision, d.approver, d.side, d.at
    )
    if not signing.verifies(message, signing.Signature(d.key_id, d.signature), d.key_id):
        raise InvalidInput("signature: does not verify")
    record = store.stored(conn, d.operation_id)
    if record is None:
        raise InvalidInput(f"operation: {d.operation_id} is not held here")
    if any(held.signature == d.signature for held in store.decisions(conn, d.operation_id)):
        return
    store.add_decision(conn, d)
    audit.append(
        conn,
        at=now,
        actor="sync",
        action=f"operation-{d.decision.value}-received",
        subject=d.operation_id,
        detail={"from": origin, "version": d.version, "side": d.side, "approver": d.approver},
    )
    if not record.origin:
        from tansiq.operations import decision_received

        decision_received(conn, record, d, now)


def _decision(body: Mapping[str, Any]) -> StoredDecision:
    try:
        decision = Decision(_text(body, "decision"))
    except ValueError:
        raise InvalidInput(f"decision: unknown decision {body.get('decision')!r}") from None
    return StoredDecision(
        id=0,
        operation_id=_text(body, "operation"),
        version=_int(body, "version", low=1),
        content_hash=_text(body, "hash"),
        decision=decision,
        approver=_text(body, "approver"),
        side=_text(body, "side"),
        partner=_text(body, "partner"),
        reason=_text(body, "reason", empty=True),
        at=_time(body, "at"),
        key_id=_text(body, "key"),
        signature=_text(body, "signature"),
    )


# --- field checks ------------------------------------------------------------------------------


def _text(body: Mapping[str, Any], name: str, *, empty: bool = False) -> str:
    value = body.get(name)
    if not isinstance(value, str) or (not value and not empty) or len(value) > 10_000:
        raise InvalidInput(f"{name}: must be a string")
    return value


def _texts(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name}: must be a list of strings")
    return value


def _json_list(body: Mapping[str, Any], name: str) -> str:
    return orjson.dumps(_texts(body, name)).decode()


def _int(body: Mapping[str, Any], name: str, *, low: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2**31:
        raise InvalidInput(f"{name}: must be a whole number from {low}")
    return value


def _time(body: Mapping[str, Any], name: str, *, optional: bool = False) -> Any:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name}: needs a time zone")
    return moment


register_topic(OPERATION, _apply_operation)
register_topic(DECISION, _apply_decision)
