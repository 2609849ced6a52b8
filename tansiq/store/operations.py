"""Operations as the database keeps them: the current version, every version's content, the
decisions signed over them, escalations, notices, and conflicts found by deconfliction.

Releasability is the rule of tansiq.domain.markings, in SQL, as for positions: an operation's
audience rows name its owner and the partners it is released to; a viewer sees an operation
when a row names one of the viewer's codes (for TLP:RED, one of its own codes alone). No row,
no visibility: every read by a viewer puts `visible_to` in its WHERE. Reads without a viewer
(`stored`, `waiting`) are for the service's own checks and the escalation sweep only; nothing
they return is shown to anyone without a visible read first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Tlp, Viewer
from tansiq.domain.operations import (
    TYPE_RULES,
    Area,
    AreaKind,
    Content,
    Decision,
    OperationType,
    State,
    Waiting,
)
from tansiq.store.schema_operations import (
    conflicts,
    operation_audience,
    operation_decisions,
    operation_escalations,
    operation_notices,
    operation_versions,
    operations,
)


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite keeps no zone; times are written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """An operation's current version and workflow, as stored.

    `area` is the geometry as planned (WGS84 lon/lat: a Point, a Polygon/MultiPolygon or a
    LineString); `extent_m` is how far the operation reaches beyond it (a point's radius, half
    a corridor's width, 0 for a polygon); `buffer_m` is its type's buffer on top of that."""

    id: str
    name: str
    op_type: str
    state: str
    area: BaseGeometry
    buffer_m: float
    start: datetime
    end: datetime
    owner: str
    tlp: str
    version: int
    area_kind: str
    area_wkt: str
    extent_m: float
    units: tuple[str, ...]
    subjects: tuple[str, ...]
    links: tuple[str, ...]
    releasable_to: tuple[str, ...]
    content_hash: str
    disputed_areas: tuple[str, ...]
    sides_needed: tuple[str, ...]
    submitted_at: datetime | None
    deadline_at: datetime | None
    escalation_level: int
    break_glass: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    origin: str = ""
    """"" when planned on this node; else the partner whose node sent this copy."""

    def content(self) -> Content:
        """The version's content rebuilt from the stored columns (so a changed column changes
        the hash recomputed from it)."""
        return Content(
            owner=self.owner,
            name=self.name,
            op_type=OperationType(self.op_type),
            area=Area(AreaKind(self.area_kind), self.area_wkt, self.extent_m),
            start=self.start,
            end=self.end,
            units=self.units,
            subjects=frozenset(self.subjects),
            links=frozenset(self.links),
            tlp=Tlp(self.tlp),
            releasable_to=frozenset(self.releasable_to),
        )


def _record(row: Mapping[Any, Any]) -> OperationRecord:
    return OperationRecord(
        id=row["id"],
        name=row["name"],
        op_type=row["op_type"],
        state=row["state"],
        area=shapely.from_wkt(row["area_wkt"]),
        buffer_m=TYPE_RULES[OperationType(row["op_type"])].buffer_m,
        start=utc(row["start_at"]),
        end=utc(row["end_at"]),
        owner=row["owner"],
        tlp=row["tlp"],
        version=int(row["version"]),
        area_kind=row["area_kind"],
        area_wkt=row["area_wkt"],
        extent_m=float(row["extent_m"]),
        units=tuple(orjson.loads(row["units"])),
        subjects=tuple(orjson.loads(row["subjects"])),
        links=tuple(orjson.loads(row["links"])),
        releasable_to=tuple(orjson.loads(row["releasable_to"])),
        content_hash=row["content_hash"],
        disputed_areas=tuple(orjson.loads(row["disputed_areas"])),
        sides_needed=tuple(orjson.loads(row["sides_needed"])),
        submitted_at=_utc_or_none(row["submitted_at"]),
        deadline_at=_utc_or_none(row["deadline_at"]),
        escalation_level=int(row["escalation_level"]),
        break_glass=bool(row["break_glass"]),
        created_by=row["created_by"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        origin=row["origin"],
    )


# --- releasability -------------------------------------------------------------------------


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """True for operations the viewer may see (the SQL form of `Viewer.sees`)."""
    a = operation_audience.alias()
    red = a.c.partner_code.in_(sorted(viewer.red_codes))
    other = sa.and_(operations.c.tlp != Tlp.RED.value, a.c.partner_code.in_(sorted(viewer.codes)))
    return sa.exists().where(a.c.operation_id == operations.c.id, sa.or_(red, other))


def visible_operations(
    conn: Connection, viewer: Viewer, *, states: Iterable[str] | None = None
) -> list[OperationRecord]:
    """The operations the viewer may see (in these states, if given), newest first."""
    query = sa.select(operations).where(visible_to(viewer))
    if states is not None:
        query = query.where(operations.c.state.in_(sorted(set(states))))
    query = query.order_by(operations.c.created_at.desc(), operations.c.id)
    return [_record(row) for row in conn.execute(query).mappings()]


def visible(
    conn: Connection, viewer: Viewer, operation_id: str, *, lock: bool = False
) -> OperationRecord | None:
    """One operation if the viewer may see it, else None (as if it did not exist). With
    `lock`, its row is locked to the end of the transaction (FOR UPDATE on PostgreSQL; SQLite
    has one writer), so two decisions or a decision and a sweep never interleave."""
    query = sa.select(operations).where(operations.c.id == operation_id, visible_to(viewer))
    if lock:
        query = query.with_for_update(of=operations)
    row = conn.execute(query).mappings().first()
    return _record(row) if row else None


def stored(conn: Connection, operation_id: str) -> OperationRecord | None:
    """One operation whoever asks: for the service's checks, never shown as it is."""
    row = conn.execute(sa.select(operations).where(operations.c.id == operation_id)).mappings()
    found = row.first()
    return _record(found) if found else None


def visible_ids(conn: Connection, viewer: Viewer, ids: Iterable[str]) -> set[str]:
    """Which of these operation ids the viewer may see."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    query = sa.select(operations.c.id).where(operations.c.id.in_(wanted), visible_to(viewer))
    return {str(i) for i in conn.execute(query).scalars()}


# --- writes --------------------------------------------------------------------------------


def _content_values(content: Content, digest: str) -> dict[str, Any]:
    return {
        "owner": content.owner,
        "name": content.name,
        "op_type": content.op_type.value,
        "area_kind": content.area.kind.value,
        "area_wkt": content.area.wkt,
        "extent_m": content.area.extent_m,
        "start_at": content.start,
        "end_at": content.end,
        "units": _json(list(content.units)),
        "subjects": _json(sorted(content.subjects)),
        "links": _json(sorted(content.links)),
        "tlp": content.tlp.value,
        "releasable_to": _json(sorted(content.marking.releasable_to)),
        "content_hash": digest,
    }


def insert(
    conn: Connection,
    operation_id: str,
    content: Content,
    *,
    disputed_areas: Sequence[str],
    sides_needed: Sequence[str],
    by: str,
    now: datetime,
) -> None:
    """A new operation, version 1, in draft."""
    digest = content.digest()
    values = {
        "id": operation_id,
        "state": State.DRAFT.value,
        "version": 1,
        **_content_values(content, digest),
        "disputed_areas": _json(list(disputed_areas)),
        "sides_needed": _json(list(sides_needed)),
        "submitted_at": None,
        "deadline_at": None,
        "escalation_level": 0,
        "break_glass": False,
        "created_by": by,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(operations.insert().values(**values))
    _set_audience(conn, operation_id, content.marking.audience())
    _add_version(conn, operation_id, 1, content, digest, by, now)


def new_version(
    conn: Connection,
    record: OperationRecord,
    content: Content,
    *,
    state: State,
    disputed_areas: Sequence[str],
    sides_needed: Sequence[str],
    by: str,
    now: datetime,
) -> int:
    """Replace the current content with a new version (its number returned)."""
    digest = content.digest()
    version = record.version + 1
    values = {
        **_content_values(content, digest),
        "version": version,
        "state": state.value,
        "disputed_areas": _json(list(disputed_areas)),
        "sides_needed": _json(list(sides_needed)),
        "updated_at": now,
    }
    if state is State.DRAFT:
        values.update(submitted_at=None, deadline_at=None, escalation_level=0)
    conn.execute(operations.update().where(operations.c.id == record.id).values(**values))
    conn.execute(operation_audience.delete().where(operation_audience.c.operation_id == record.id))
    _set_audience(conn, record.id, content.marking.audience())
    _add_version(conn, record.id, version, content, digest, by, now)
    return version


def _add_version(
    conn: Connection,
    operation_id: str,
    version: int,
    content: Content,
    digest: str,
    by: str,
    now: datetime,
) -> None:
    values = {
        "operation_id": operation_id,
        "version": version,
        "content": _json(content.as_json()),
        "content_hash": digest,
        "created_by": by,
        "created_at": now,
    }
    conn.execute(operation_versions.insert().values(**values))


def _set_audience(conn: Connection, operation_id: str, audience: frozenset[str]) -> None:
    rows = [{"operation_id": operation_id, "partner_code": c} for c in sorted(audience)]
    conn.execute(operation_audience.insert(), rows)


def replace_copy(
    conn: Connection,
    held: OperationRecord | None,
    operation_id: str,
    content: Content,
    workflow: Mapping[str, Any],
    versions: Sequence[tuple[int, dict[str, Any], str]],
) -> None:
    """Write a peer's operation as its planning node sent it (tansiq.sharing.operation_feed):
    the content's columns, the owner's workflow columns (state, version, deadlines, origin...),
    its audience, and the versions not held yet. `held`: the copy stored so far, if any."""
    values = {**_content_values(content, content.digest()), **workflow}
    if held is None:
        conn.execute(operations.insert().values(id=operation_id, **values))
    else:
        conn.execute(operations.update().where(operations.c.id == operation_id).values(**values))
        conn.execute(
            operation_audience.delete().where(operation_audience.c.operation_id == operation_id)
        )
    _set_audience(conn, operation_id, content.marking.audience())
    known = version_contents(conn, operation_id) if held is not None else {}
    rows = [
        {
            "operation_id": operation_id,
            "version": number,
            "content": _json(body),
            "content_hash": digest,
            "created_by": workflow["created_by"],
            "created_at": workflow["updated_at"],
        }
        for number, body, digest in versions
        if number not in known
    ]
    if rows:
        conn.execute(operation_versions.insert(), rows)


def set_state(
    conn: Connection, operation_id: str, state: State, now: datetime, **more: Any
) -> None:
    """Move an operation to `state` (with workflow columns such as deadline_at, break_glass)."""
    set_workflow(conn, operation_id, now, state=state.value, **more)


def set_workflow(conn: Connection, operation_id: str, now: datetime, **values: Any) -> None:
    """Change workflow columns (deadline_at, escalation_level, ...) of an operation."""
    values = {"updated_at": now, **values}
    conn.execute(operations.update().where(operations.c.id == operation_id).values(**values))


def version_contents(conn: Connection, operation_id: str) -> dict[int, tuple[dict[str, Any], str]]:
    """Every version's stored content and hash, by version."""
    v = operation_versions.c
    query = sa.select(v.version, v.content, v.content_hash).where(v.operation_id == operation_id)
    return {int(n): (orjson.loads(text), str(h)) for n, text, h in conn.execute(query)}


# --- decisions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    operation_id: str
    version: int
    content_hash: str
    decision: Decision
    approver: str
    side: str
    partner: str
    reason: str
    at: datetime
    key_id: str
    signature: str


def add_decision(conn: Connection, d: StoredDecision) -> int:
    values = {
        "operation_id": d.operation_id,
        "version": d.version,
        "content_hash": d.content_hash,
        "decision": d.decision.value,
        "approver": d.approver,
        "side": d.side,
        "partner": d.partner,
        "reason": d.reason,
        "at": d.at,
        "key_id": d.key_id,
        "signature": d.signature,
    }
    key = conn.execute(operation_decisions.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def decisions(conn: Connection, operation_id: str) -> list[StoredDecision]:
    """Every decision on the operation, oldest first."""
    d = operation_decisions.c
    query = sa.select(operation_decisions).where(d.operation_id == operation_id).order_by(d.id)
    return [
        StoredDecision(
            id=int(r["id"]),
            operation_id=r["operation_id"],
            version=int(r["version"]),
            content_hash=r["content_hash"],
            decision=Decision(r["decision"]),
            approver=r["approver"],
            side=r["side"],
            partner=r["partner"],
            reason=r["reason"],
            at=utc(r["at"]),
            key_id=r["key_id"],
            signature=r["signature"],
        )
        for r in conn.execute(query).mappings()
    ]


# --- escalations and notices ---------------------------------------------------------------


def waiting(conn: Connection, now: datetime) -> list[OperationRecord]:
    """Pending operations whose deadline has passed, locked for the sweep (rows another
    transaction holds, being decided, are left for the next sweep)."""
    o = operations.c
    query = (
        sa.select(operations)
        .where(o.state == State.PENDING.value, o.deadline_at <= now)
        .order_by(o.id)
        .with_for_update(of=operations, skip_locked=True)
    )
    return [_record(row) for row in conn.execute(query).mappings()]


def as_waiting(
    record: OperationRecord, sla_seconds: float, approved_sides: Iterable[str]
) -> Waiting:
    assert record.submitted_at is not None
    missing = tuple(s for s in record.sides_needed if s not in set(approved_sides))
    return Waiting(
        record.id,
        record.version,
        record.submitted_at,
        timedelta(seconds=sla_seconds),
        missing,
        record.escalation_level,
    )


def add_escalation(
    conn: Connection, operation_id: str, version: int, side: str, level: int, to: str, at: datetime
) -> None:
    values = {
        "operation_id": operation_id,
        "version": version,
        "side": side,
        "level": level,
        "escalated_to": to,
        "at": at,
    }
    conn.execute(operation_escalations.insert().values(**values))


def escalations(conn: Connection, operation_id: str) -> list[dict[str, Any]]:
    e = operation_escalations.c
    query = sa.select(e.version, e.side, e.level, e.escalated_to, e.at).where(
        e.operation_id == operation_id
    )
    rows = conn.execute(query.order_by(e.id)).mappings()
    return [{**{str(k): v for k, v in r.items()}, "at": utc(r["at"])} for r in rows]


def add_notice(
    conn: Connection,
    record: OperationRecord,
    to_side: str,
    kind: str,
    contact: str,
    at: datetime,
) -> None:
    values = {
        "operation_id": record.id,
        "version": record.version,
        "owner": record.owner,
        "to_side": to_side,
        "kind": kind,
        "contact": contact,
        "at": at,
    }
    conn.execute(operation_notices.insert().values(**values))


def notices_to(conn: Connection, side: str) -> list[dict[str, Any]]:
    """Notices to a side, newest first: who, what kind, whom to call, when (no plan)."""
    n = operation_notices.c
    query = sa.select(n.id, n.operation_id, n.version, n.owner, n.kind, n.contact, n.at).where(
        n.to_side == side
    )
    rows = conn.execute(query.order_by(n.id.desc())).mappings()
    return [{**{str(k): v for k, v in r.items()}, "at": utc(r["at"])} for r in rows]


# --- conflicts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    """One footprint of a conflict: what it is, whose, from which node, whom to call."""

    kind: str
    ref: str
    origin: str
    owner: str
    contact: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.origin, self.kind, self.ref)


@dataclass(frozen=True, slots=True)
class StoredConflict:
    id: int
    a: Side
    b: Side
    reasons: tuple[str, ...]
    found_at: datetime
    a_ack_by: str | None
    a_ack_at: datetime | None
    b_ack_by: str | None
    b_ack_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None


def _conflict(r: Mapping[Any, Any]) -> StoredConflict:
    a = Side(r["a_kind"], r["a_ref"], r["a_origin"], r["a_owner"], r["a_contact"])
    b = Side(r["b_kind"], r["b_ref"], r["b_origin"], r["b_owner"], r["b_contact"])
    return StoredConflict(
        id=int(r["id"]),
        a=a,
        b=b,
        reasons=tuple(r["reasons"].split(",")),
        found_at=utc(r["found_at"]),
        a_ack_by=r["a_ack_by"],
        a_ack_at=_utc_or_none(r["a_ack_at"]),
        b_ack_by=r["b_ack_by"],
        b_ack_at=_utc_or_none(r["b_ack_at"]),
        resolved_at=_utc_or_none(r["resolved_at"]),
        resolution=r["resolution"],
    )


def _involving(kind: str, ref: str, origin: str) -> sa.ColumnElement[bool]:
    c = conflicts.c
    return sa.or_(
        sa.and_(c.a_kind == kind, c.a_ref == ref, c.a_origin == origin),
        sa.and_(c.b_kind == kind, c.b_ref == ref, c.b_origin == origin),
    )


def open_conflicts_of(
    conn: Connection, kind: str, ref: str, origin: str = ""
) -> list[StoredConflict]:
    """Unresolved conflicts one of whose footprints is this one."""
    query = sa.select(conflicts).where(
        _involving(kind, ref, origin), conflicts.c.resolved_at.is_(None)
    )
    return [_conflict(r) for r in conn.execute(query.order_by(conflicts.c.id)).mappings()]


def add_conflict(
    conn: Connection, a: Side, b: Side, reasons: Sequence[str], found_at: datetime
) -> int:
    """Record a new conflict between two footprints (a, b ordered by their keys)."""
    first, second = sorted((a, b), key=lambda s: s.key)
    values = {
        **{f"a_{k}": getattr(first, k) for k in ("kind", "ref", "origin", "owner", "contact")},
        **{f"b_{k}": getattr(second, k) for k in ("kind", "ref", "origin", "owner", "contact")},
        "reasons": ",".join(sorted(reasons)),
        "found_at": found_at,
    }
    key = conn.execute(conflicts.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def update_conflict(conn: Connection, conflict_id: int, **values: Any) -> None:
    conn.execute(conflicts.update().where(conflicts.c.id == conflict_id).values(**values))


def conflicts_of_partner(
    conn: Connection, partner: str, *, include_resolved: bool = False
) -> list[StoredConflict]:
    """Conflicts one of whose footprints the partner owns, newest first."""
    c = conflicts.c
    query = sa.select(conflicts).where(sa.or_(c.a_owner == partner, c.b_owner == partner))
    if not include_resolved:
        query = query.where(c.resolved_at.is_(None))
    return [_conflict(r) for r in conn.execute(query.order_by(c.id.desc())).mappings()]


def conflict_by_id(conn: Connection, conflict_id: int) -> StoredConflict | None:
    row = conn.execute(sa.select(conflicts).where(conflicts.c.id == conflict_id)).mappings()
    found = row.first()
    return _conflict(found) if found else None
