"""Joint operations: what one is, its states, who may move it on, and its content hash.

An operation is planned by one partner (its owner): an area, a time window, a type, the units
taking part, the cells and targets it acts on (`subjects`, STIX ids) and the reports it rests
on (`links`), marked like a report. Its type sets the buffer around its area and the margin
around its window that deconfliction uses (INTEROP 5.1), and the time its approvers have.

**Area.** One of: a polygon (WKT), a point with a radius, or a route corridor (a LINESTRING and
its width). The geometry is kept as normalised WKT (7 decimals, about 1 cm) so that the same
area always gives the same text, and with it the same hash. Its *extent* is how far the
operation reaches beyond the geometry itself: the radius, or half the corridor's width.

**States** (INTEROP 5.2; in code with hyphens): `draft -> submitted -> pending-approval ->
approved -> active -> closed`, plus `vetoed` and `cancelled`. `submitted` is the state in
which deconfliction runs; the service moves a submitted operation on to `pending-approval` in
the same transaction, so it is seen at rest only in the audit trail. A veto ends a version; the
owner edits (a new version, back to draft) and submits again. Break-glass activation goes from
`submitted` or `pending-approval` straight to `active`.

**Versions.** Every material edit (anything in `Content`) makes a new version: back to draft
from submitted, pending, approved and vetoed, voiding the approvals of the old version; an
active operation stays active (an edit in flight, reviewed by the other side when two keys were
needed). An edit that changes nothing makes no version.

**Content hash.** SHA-256 over the RFC 8785 canonical JSON of the version's content (`Content`).
An approval or veto is an Ed25519 signature by the node's key over a `Decision` statement that
names the operation, version, hash, decision, approver and side; any edit changes the hash, so
an old signature never vouches for new content.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import rfc8785
import shapely
from shapely.geometry.base import BaseGeometry

from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import Role
from tansiq.errors import Conflict, Forbidden, InvalidInput

ID_PREFIX: Final = "operation--"
MAX_NAME: Final = 200
MAX_UNITS: Final = 50
MAX_REFS: Final = 100
MAX_VERTICES: Final = 10_000
MAX_EXTENT_M: Final = 200_000.0
MAX_WINDOW: Final = timedelta(days=366)
MAX_REASON: Final = 2_000
COORDINATE_DECIMALS: Final = 7
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2999
_OPERATION_ID = re.compile(
    r"^operation--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STIX_ID = re.compile(
    r"^[a-z][a-z0-9-]{0,62}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


class OperationType(StrEnum):
    RAID = "raid"
    PATROL = "patrol"
    CHECKPOINT_MOVE = "checkpoint-move"
    CLEARANCE = "clearance"
    ESCORT = "escort"


@dataclass(frozen=True, slots=True)
class TypeRule:
    """What a type means for deconfliction (buffer, margin) and for its approvers (SLA)."""

    buffer_m: float
    margin: timedelta
    sla: timedelta


TYPE_RULES: Final[Mapping[OperationType, TypeRule]] = {
    OperationType.RAID: TypeRule(1000.0, timedelta(hours=2), timedelta(hours=6)),
    OperationType.PATROL: TypeRule(500.0, timedelta(hours=1), timedelta(hours=24)),
    OperationType.CHECKPOINT_MOVE: TypeRule(1000.0, timedelta(hours=2), timedelta(hours=24)),
    OperationType.CLEARANCE: TypeRule(2000.0, timedelta(hours=4), timedelta(hours=48)),
    OperationType.ESCORT: TypeRule(500.0, timedelta(hours=1), timedelta(hours=12)),
}
"""Buffers and margins as issue 6's interfaces fix them; the SLA is the default time the
approvers have from submission (a setting may change it per type). A raid is planned at short
notice, so its approvers get the least time."""


def parse_type(text: str) -> OperationType:
    value = text.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return OperationType(value)
    except ValueError:
        choices = ", ".join(t.value for t in OperationType)
        raise InvalidInput(f"type: unknown operation type {text!r}; use one of {choices}") from None


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PENDING = "pending-approval"
    APPROVED = "approved"
    ACTIVE = "active"
    CLOSED = "closed"
    VETOED = "vetoed"
    CANCELLED = "cancelled"


class Event(StrEnum):
    SUBMIT = "submit"
    DECONFLICTED = "deconflicted"
    APPROVE = "approve"
    VETO = "veto"
    ACTIVATE = "activate"
    BREAK_GLASS = "break-glass"
    CLOSE = "close"
    CANCEL = "cancel"
    EDIT = "edit"


TRANSITIONS: Final[Mapping[tuple[State, Event], State]] = {
    (State.DRAFT, Event.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Event.DECONFLICTED): State.PENDING,
    (State.PENDING, Event.APPROVE): State.APPROVED,  # when every side needed has approved
    (State.PENDING, Event.VETO): State.VETOED,
    (State.APPROVED, Event.ACTIVATE): State.ACTIVE,
    (State.SUBMITTED, Event.BREAK_GLASS): State.ACTIVE,
    (State.PENDING, Event.BREAK_GLASS): State.ACTIVE,
    (State.ACTIVE, Event.CLOSE): State.CLOSED,
    **{
        (s, Event.CANCEL): State.CANCELLED
        for s in (State.DRAFT, State.SUBMITTED, State.PENDING, State.APPROVED, State.VETOED)
    },
    **{
        (s, Event.EDIT): State.DRAFT
        for s in (State.DRAFT, State.SUBMITTED, State.PENDING, State.APPROVED, State.VETOED)
    },
    (State.ACTIVE, Event.EDIT): State.ACTIVE,
}
"""Every legal move; anything else is refused (`next_state`). An approval that is not the last
one needed leaves the operation pending (the service decides, `approved_by_all`)."""

LIVE_STATES: Final = frozenset({State.SUBMITTED, State.PENDING, State.APPROVED, State.ACTIVE})
"""States in which an operation is registered for deconfliction."""

ENDED_STATES: Final = frozenset({State.CLOSED, State.CANCELLED})


class IllegalTransition(Conflict):
    """The operation's state does not allow this."""


def next_state(state: State, event: Event) -> State:
    """The state after `event`, or IllegalTransition naming both."""
    found = TRANSITIONS.get((state, event))
    if found is None:
        raise IllegalTransition(f"state: cannot {event.value} an operation that is {state.value}")
    return found


# --- who may do what -------------------------------------------------------------------------

PLANNERS: Final = frozenset({Role.ANALYST, Role.WATCH, Role.APPROVER, Role.ADMIN})
"""Roles of the owner's partner that plan: create, edit, submit, activate, close, cancel."""


def require_planner(role: Role, partner: str, owner: str) -> None:
    """Only the owner's own people plan its operation."""
    if role not in PLANNERS or partner != owner:
        raise Forbidden(f"only {owner}'s analysts, watch officers and approvers may do this")


def require_approver(role: Role, side: str | None, needed: Iterable[str]) -> str:
    """The side an approver decides for; Forbidden unless an approver of a side needed."""
    if role is not Role.APPROVER:
        raise Forbidden("only an approver may approve or veto an operation")
    if side is None or side not in set(needed):
        raise Forbidden(f"this operation needs no decision from {side or 'your partner'}")
    return side


def side_of(partner: str, parents: Mapping[str, str | None], sides: Iterable[str]) -> str | None:
    """A partner's side: its top-level partner, if that is one of the approving sides."""
    top = partner
    seen = {top}
    while (parent := parents.get(top)) is not None and parent not in seen:
        top = parent
        seen.add(top)
    return top if top in set(sides) else None


def sides_needed(owner_side: str | None, disputed: bool, sides: Sequence[str]) -> tuple[str, ...]:
    """Who must approve: every side in a disputed district, else the owner's side alone (a
    partner belonging to no side has no key of its own, so every side decides)."""
    if disputed or owner_side is None:
        return tuple(sides)
    return (owner_side,)


# --- the area ------------------------------------------------------------------------------


class AreaKind(StrEnum):
    POLYGON = "polygon"
    CIRCLE = "circle"
    CORRIDOR = "corridor"


@dataclass(frozen=True, slots=True)
class Area:
    """Where: a geometry in WGS84 lon/lat (as normalised WKT) and how far beyond it the
    operation reaches (a circle's radius, half a corridor's width; 0 for a polygon)."""

    kind: AreaKind
    wkt: str
    extent_m: float = 0.0

    @property
    def geometry(self) -> BaseGeometry:
        return shapely.from_wkt(self.wkt)

    def content(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "wkt": self.wkt, "extent_m": self.extent_m}


def circle(latitude: float, longitude: float, radius_m: float) -> Area:
    """A point with a radius."""
    _check_point(latitude, longitude)
    _check_extent("radius_m", radius_m, allow_zero=True)
    return Area(AreaKind.CIRCLE, _normal_wkt(shapely.Point(longitude, latitude)), float(radius_m))


def from_wkt(text: str, width_m: float | None = None) -> Area:
    """A polygon, or with `width_m` a LINESTRING route corridor; InvalidInput naming `wkt`."""
    geometry = _parse_wkt(text)
    if geometry.geom_type == "LineString":
        if width_m is None:
            raise InvalidInput("width_m: a route corridor (LINESTRING) needs its width in metres")
        _check_extent("width_m", width_m, allow_zero=False)
        return Area(AreaKind.CORRIDOR, _normal_wkt(geometry), float(width_m) / 2)
    if width_m is not None:
        raise InvalidInput("width_m: only a route corridor (LINESTRING) has a width")
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(f"wkt: a POLYGON or a LINESTRING, not a {geometry.geom_type}")
    if not geometry.is_valid:
        raise InvalidInput(f"wkt: the polygon is not valid ({shapely.is_valid_reason(geometry)})")
    return Area(AreaKind.POLYGON, _normal_wkt(geometry), 0.0)


def area_from(
    wkt: str | None,
    lat: float | None,
    lon: float | None,
    radius_m: float | None,
    width_m: float | None,
) -> Area | None:
    """The area given as WKT (and a corridor's width) or as a point and radius; None when
    nothing is given (an edit that keeps the area). InvalidInput naming the field."""
    point = (lat, lon, radius_m)
    if wkt is not None:
        if any(v is not None for v in point):
            raise InvalidInput("wkt: give --wkt or --lat/--lon/--radius-m, not both")
        return from_wkt(wkt, width_m)
    if all(v is None for v in point):
        if width_m is not None:
            raise InvalidInput("width_m: only a route corridor (--wkt LINESTRING) has a width")
        return None
    if lat is None or lon is None or radius_m is None:
        raise InvalidInput("lat/lon: a point area needs --lat, --lon and --radius-m together")
    if width_m is not None:
        raise InvalidInput("width_m: only a route corridor (--wkt LINESTRING) has a width")
    return circle(lat, lon, radius_m)


def _parse_wkt(text: str) -> BaseGeometry:
    if not text.strip() or len(text) > 1_000_000:
        raise InvalidInput("wkt: give the area as WKT (up to 1 MB)")
    try:
        geometry = shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(f"wkt: not well-formed WKT ({exc})") from None
    if geometry is None or geometry.is_empty:
        raise InvalidInput("wkt: the area is empty")
    if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
        raise InvalidInput(f"wkt: at most {MAX_VERTICES:,} vertices")
    if shapely.has_z(geometry):
        geometry = shapely.force_2d(geometry)
    for lon, lat in shapely.get_coordinates(geometry):
        _check_point(float(lat), float(lon), "wkt")
    return geometry


def _normal_wkt(geometry: BaseGeometry) -> str:
    return str(shapely.to_wkt(geometry, rounding_precision=COORDINATE_DECIMALS, trim=True))


def _check_point(latitude: float, longitude: float, field_name: str = "lat/lon") -> None:
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    if not (finite and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(f"{field_name}: {latitude},{longitude} is not a WGS84 point (lon lat)")


def _check_extent(name: str, metres: float, *, allow_zero: bool) -> None:
    low_ok = metres >= 0 if allow_zero else metres > 0
    if not (math.isfinite(metres) and low_ok and metres <= MAX_EXTENT_M):
        raise InvalidInput(f"{name}: must be {'0' if allow_zero else 'above 0'} to 200,000 metres")


# --- the content ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Content:
    """Everything material about one version: what its approvers approve."""

    owner: str
    name: str
    op_type: OperationType
    area: Area
    start: datetime
    end: datetime
    units: tuple[str, ...] = ()
    subjects: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME or _CONTROL.search(self.name):
            raise InvalidInput(f"name: 1-{MAX_NAME} characters, no control characters")
        _check_window(self.start, self.end)
        if len(self.units) > MAX_UNITS or any(_bad_unit(u) for u in self.units):
            raise InvalidInput(f"unit: at most {MAX_UNITS} units, each 1-200 characters")
        _check_refs("subject", self.subjects)
        _check_refs("link", self.links)

    @property
    def rule(self) -> TypeRule:
        return TYPE_RULES[self.op_type]

    @property
    def buffer_m(self) -> float:
        return self.rule.buffer_m

    @property
    def marking(self) -> Marking:
        return Marking(self.tlp, self.owner, self.releasable_to - {self.owner})

    def as_json(self) -> dict[str, Any]:
        """The canonical content: sorted sets, UTC times to the second, numbers as floats."""
        return {
            "owner": self.owner,
            "name": self.name,
            "type": self.op_type.value,
            "area": self.area.content(),
            "buffer_m": self.buffer_m,
            "margin_s": int(self.rule.margin.total_seconds()),
            "start": iso(self.start),
            "end": iso(self.end),
            "units": list(self.units),
            "subjects": sorted(self.subjects),
            "links": sorted(self.links),
            "marking": {"tlp": self.tlp.value, "releasable_to": sorted(self.marking.releasable_to)},
        }

    def digest(self) -> str:
        """SHA-256 (hex) over the RFC 8785 canonical JSON of the content."""
        return content_hash(self.as_json())


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(dict(content))).hexdigest()


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start/end: times need a time zone (e.g. 2026-11-26T06:00:00Z)")
    for name, moment in (("start", start), ("end", end)):
        if not FIRST_YEAR <= moment.astimezone(UTC).year <= LAST_YEAR:
            raise InvalidInput(f"{name}: a time in the years {FIRST_YEAR}-{LAST_YEAR}")
    if end <= start:
        raise InvalidInput("end: the window ends before it starts")
    if end - start > MAX_WINDOW:
        raise InvalidInput("end: an operation's window is at most 366 days")


def _bad_unit(unit: str) -> bool:
    return not unit.strip() or len(unit) > 200 or bool(_CONTROL.search(unit))


def _check_refs(name: str, ids: frozenset[str]) -> None:
    if len(ids) > MAX_REFS:
        raise InvalidInput(f"{name}: at most {MAX_REFS}")
    for ref in sorted(ids):
        if not _STIX_ID.match(ref):
            raise InvalidInput(f"{name}: {ref!r:.80} is not a STIX id")


def utc_second(moment: datetime, name: str = "start/end") -> datetime:
    """A time in UTC to the whole second: what the content keeps (and hashes)."""
    if moment.tzinfo is None:
        raise InvalidInput(f"{name}: times need a time zone (e.g. 2026-11-26T06:00:00Z)")
    try:
        found = moment.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        found = datetime.min.replace(tzinfo=UTC)
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise InvalidInput(f"{name}: a time in the years {FIRST_YEAR}-{LAST_YEAR}")
    return found


def is_operation_id(text: str) -> bool:
    """Whether `text` could be an operation's id (anything else is simply not found)."""
    return bool(_OPERATION_ID.match(text))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(name: str, text: str) -> datetime:
    """An ISO 8601 time with a zone (Z or an offset), to the second; InvalidInput naming it."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: {text!r:.60} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name}: {text!r:.60} needs a time zone (Z or +03:00)")
    return utc_second(moment, name)


def check_reason(reason: str | None, *, required: bool, what: str) -> str:
    text = (reason or "").strip()
    if "\x00" in text:
        raise InvalidInput("reason: no NUL characters")
    if required and not text:
        raise InvalidInput(f"reason: {what} needs a reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    return text


# --- decisions (approvals and vetoes) -----------------------------------------------------


class Decision(StrEnum):
    APPROVE = "approve"
    VETO = "veto"


def statement(
    operation: str,
    version: int,
    digest: str,
    decision: Decision,
    approver: str,
    side: str,
    at: datetime,
) -> bytes:
    """The bytes an approver's signature covers: RFC 8785 JSON naming everything decided."""
    return rfc8785.dumps(
        {
            "type": "tansiq-operation-decision",
            "operation": operation,
            "version": version,
            "hash": digest,
            "decision": decision.value,
            "approver": approver,
            "side": side,
            "at": iso(at),
        }
    )


class Validity(StrEnum):
    VALID = "valid"
    VOID = "void"
    """Of an older version: kept, no longer counted."""
    INVALID = "invalid"
    """The signature or hash does not check: the stored row was changed."""


def approved_by_all(needed: Iterable[str], valid_approvals: Iterable[str]) -> bool:
    """Whether every side needed has a valid approval (sides of the valid approvals given)."""
    return set(needed) <= set(valid_approvals)


# --- escalation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """An operation waiting for decisions: when it was submitted, its SLA, who has not approved
    its current version yet, and the highest escalation level already raised."""

    operation: str
    version: int
    submitted_at: datetime
    sla: timedelta
    missing_sides: tuple[str, ...]
    level: int


@dataclass(frozen=True, slots=True)
class Escalation:
    operation: str
    version: int
    side: str
    level: int
    to: str


DEFAULT_ESCALATION: Final[Mapping[str, tuple[str, ...]]] = {
    "joc": ("Joint Operations Command duty general",),
    "krg": ("Ministry of Peshmerga Affairs duty officer",),
}


def level_name(side: str, level: int, names: Mapping[str, Sequence[str]]) -> str:
    """Who level `level` (1, 2, ...) of a side is: the side's list, its last name repeated."""
    found = list(names.get(side, ())) or [f"{side} duty officer"]
    return found[min(level, len(found)) - 1] + (f" (level {level})" if level > len(found) else "")


def due_escalations(
    waiting: Iterable[Waiting], now: datetime, names: Mapping[str, Sequence[str]]
) -> list[Escalation]:
    """The escalations due at `now`: one level per SLA period passed since submission, for each
    side that has not approved yet, above the level already raised. Never an approval."""
    due = []
    for op in waiting:
        periods = int((now - op.submitted_at) / op.sla) if op.sla > timedelta(0) else 0
        for level in range(op.level + 1, periods + 1):
            due += [
                Escalation(op.operation, op.version, side, level, level_name(side, level, names))
                for side in op.missing_sides
            ]
    return due


def deadline(submitted_at: datetime, sla: timedelta) -> datetime:
    return submitted_at + sla
