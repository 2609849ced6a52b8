"""Operations and conflicts over HTTP: the same service the CLI calls (tansiq.operations).

An operation not released to the caller's partner answers 404 exactly like one that does not
exist, on every route; lists and the map's GeoJSON leave it out. Each request that changes
something, or shows marked operations or conflicts (reads are audited), is one write
transaction. Bad input is a 400 problem naming the field; a move the operation's state does not
allow is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq import conflicts, operation_views, operations
from tansiq.accounts import Principal
from tansiq.api.auth import Caller, caller
from tansiq.api.deps import now, read_conn
from tansiq.domain import operations as ops
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.markings import parse_tlp
from tansiq.domain.operations import Decision, Event
from tansiq.errors import InvalidInput
from tansiq.store import operations as store
from tansiq.store.database import writing

router = APIRouter(tags=["operations"], dependencies=[Depends(caller)])
T = TypeVar("T")


class PlanIn(BaseModel):
    """An operation's content; in an edit, what is left out stays as it is."""

    name: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, description="raid, patrol, checkpoint-move, ...")
    wkt: str | None = Field(
        default=None,
        max_length=1_000_000,
        description="a POLYGON, or a LINESTRING route with width_m (lon lat)",
    )
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    width_m: float | None = None
    start: datetime | None = Field(default=None, description="ISO 8601 with a zone")
    end: datetime | None = Field(default=None, description="ISO 8601 with a zone")
    units: list[str] | None = Field(default=None, max_length=50)
    subjects: list[str] | None = Field(default=None, max_length=100)
    links: list[str] | None = Field(default=None, max_length=100)
    tlp: str | None = None
    releasable_to: list[str] | None = Field(default=None, max_length=50)

    def plan(self) -> Plan:
        return Plan(
            name=self.name,
            op_type=ops.parse_type(self.type) if self.type is not None else None,
            area=ops.area_from(self.wkt, self.lat, self.lon, self.radius_m, self.width_m),
            start=ops.utc_second(self.start, "start") if self.start is not None else None,
            end=ops.utc_second(self.end, "end") if self.end is not None else None,
            units=tuple(self.units) if self.units is not None else None,
            subjects=frozenset(self.subjects) if self.subjects is not None else None,
            links=frozenset(self.links) if self.links is not None else None,
            tlp=parse_tlp(self.tlp) if self.tlp is not None else None,
            releasable_to=frozenset(self.releasable_to) if self.releasable_to is not None else None,
        )


class ActionIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2_000)
    break_glass: bool = False


def _write(request: Request, who: Principal, work: Callable[[Connection, Policy], T]) -> T:
    policy = operations.policy_from(request.app.state.settings)
    with writing(request.app.state.engine) as conn:
        return work(conn, policy)


def _show(conn: Connection, who: Principal, operation_id: str, at: datetime) -> dict[str, Any]:
    return operation_views.show(conn, who, operation_id, at)


@router.post("/api/operations", status_code=201)
def create_operation(request: Request, who: Caller, body: PlanIn) -> dict[str, Any]:
    """Plan an operation of the caller's partner, in draft; answers it as `GET` does."""
    plan, at = body.plan(), now(request)
    if plan.area is None:
        raise InvalidInput("wkt: give the area: wkt, or lat, lon and radius_m")

    def work(conn: Connection, policy: Policy) -> dict[str, Any]:
        return _show(conn, who, operations.create(conn, who, plan, policy, at), at)

    return _write(request, who, work)


@router.get("/api/operations")
def list_operations(
    request: Request,
    who: Caller,
    state: Annotated[list[str] | None, Query(description="only these states")] = None,
) -> dict[str, Any]:
    """The operations the caller may see, newest first."""
    at = now(request)
    items = _write(request, who, lambda c, p: operation_views.listing(c, who, state, at))
    return {"total": len(items), "items": items}


@router.get("/api/operations.geojson", response_class=Response)
def operations_geojson(
    request: Request,
    who: Caller,
    state: Annotated[list[str] | None, Query(description="only these states")] = None,
) -> Response:
    """The operations the caller may see as GeoJSON features (geometry as planned; `extent_m`
    and `buffer_m` in the properties), for the map."""
    at = now(request)

    def work(conn: Connection, policy: Policy) -> dict[str, Any]:
        states = operation_views.parse_states(state)
        found = store.visible_operations(conn, who.viewer, states=states)
        if found:
            operation_views.audit_read(conn, who, [r.id for r in found], at)
        features = [operation_views.feature(r) for r in found]
        return {"type": "FeatureCollection", "total": len(features), "features": features}

    return Response(orjson.dumps(_write(request, who, work)), media_type="application/geo+json")


@router.get("/api/operations/{operation_id}")
def get_operation(request: Request, who: Caller, operation_id: str) -> dict[str, Any]:
    """One operation: state, version, hash (`hash_ok`), approvals and vetoes with their
    `validity` (valid, void, invalid), escalations, and its conflicts as disclosed to you."""
    at = now(request)
    return _write(request, who, lambda c, p: _show(c, who, operation_id, at))


@router.patch("/api/operations/{operation_id}")
def edit_operation(
    request: Request, who: Caller, operation_id: str, body: PlanIn
) -> dict[str, Any]:
    """A material edit makes a new version (back to draft, approvals void); none, nothing."""
    plan, at = body.plan(), now(request)

    def work(conn: Connection, policy: Policy) -> dict[str, Any]:
        edited = operations.edit(conn, who, operation_id, plan, policy, at)
        return {**_show(conn, who, operation_id, at), "changed": edited.changed}

    return _write(request, who, work)


def _act(
    request: Request, who: Principal, operation_id: str, action: str, body: ActionIn
) -> dict[str, Any]:
    at = now(request)

    def work(conn: Connection, policy: Policy) -> dict[str, Any]:
        state = _transition(conn, who, operation_id, action, body, policy, at)
        return {"id": operation_id, "state": state.value}

    return _write(request, who, work)


def _transition(
    conn: Connection,
    who: Principal,
    operation_id: str,
    action: str,
    body: ActionIn,
    policy: Policy,
    at: datetime,
) -> ops.State:
    if action == "submit":
        return operations.submit(conn, who, operation_id, policy, at)
    if action in ("approve", "veto"):
        return operations.decide(conn, who, operation_id, Decision(action), body.reason, policy, at)
    if action == "activate":
        return operations.activate(
            conn, who, operation_id, policy, at, break_glass=body.break_glass, reason=body.reason
        )
    return operations.finish(conn, who, operation_id, Event(action), body.reason, at)


def _action_route(action: str, doc: str) -> None:
    def route(
        request: Request, who: Caller, operation_id: str, body: ActionIn | None = None
    ) -> dict[str, Any]:
        return _act(request, who, operation_id, action, body or ActionIn())

    route.__doc__ = doc
    route.__name__ = f"{action}_operation"
    router.post(f"/api/operations/{{operation_id}}/{action}")(route)


for _action, _doc in (
    ("submit", "Submit for approval: deconflicted, then pending the sides' approvers."),
    ("approve", "Approve the current version for the caller's side (an approver; signed)."),
    ("veto", "Veto the current version for the caller's side, with a `reason` (signed)."),
    (
        "activate",
        "Start an approved operation; with `break_glass` and a `reason`, a "
        "submitted or pending one (an approver of the owner; the other side reviews).",
    ),
    ("close", "Close an active operation."),
    ("cancel", "Cancel an operation that is not active."),
):
    _action_route(_action, _doc)


@router.get("/api/conflicts")
def list_conflicts(
    request: Request,
    who: Caller,
    all: Annotated[bool, Query(description="resolved ones too")] = False,
) -> dict[str, Any]:
    """The caller's partner's conflicts (that one exists, why, when, its own item, and of the
    other side only the partner and whom to call), and notices to the caller's side."""
    at = now(request)

    def work(conn: Connection, policy: Policy) -> dict[str, Any]:
        found = conflicts.conflicts_for(conn, who, at, include_resolved=all)
        return {"conflicts": found, "notices": operation_views.notices_for(conn, who, policy)}

    return _write(request, who, work)


@router.get("/api/conflicts/unacknowledged")
def unacknowledged_conflicts(
    who: Caller, conn: Annotated[Connection, Depends(read_conn)]
) -> dict[str, int]:
    """How many open conflicts the caller's partner has yet to acknowledge (the page header's
    alert): a count of its own, so it is neither a disclosure nor audited."""
    return {"count": conflicts.unacknowledged(conn, who)}


@router.post("/api/conflicts/{conflict_id}/ack")
def ack_conflict(
    request: Request, who: Caller, conflict_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """Acknowledge a conflict for the caller's partner."""
    at = now(request)
    return _write(request, who, lambda c, p: conflicts.acknowledge(c, who, conflict_id, at))
