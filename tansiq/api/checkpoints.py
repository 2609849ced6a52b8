"""Checkpoints over HTTP: register, list, close, and verify a checkpoint seen on the road.

Reads go through tansiq.store.checkpoints, which filters by the caller's releasability in SQL;
a verify answers from the checkpoints the caller may see only, and is audited with its answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq import checkpoints
from tansiq.accounts import Principal
from tansiq.api.auth import Caller, caller
from tansiq.api.deps import now, read_conn, settings
from tansiq.domain.checkpoints import (
    DEFAULT_TOLERANCE_M,
    CheckpointDraft,
    CheckpointFilter,
    Question,
    parse_hours,
    parse_kind,
    parse_time,
)
from tansiq.domain.markings import parse_tlp
from tansiq.domain.viewport import Bbox
from tansiq.errors import InvalidInput
from tansiq.settings import Settings
from tansiq.sharing.reads import record_read
from tansiq.store import checkpoints as store
from tansiq.store.database import writing

router = APIRouter(tags=["checkpoints"], dependencies=[Depends(caller)])

Conn = Annotated[Connection, Depends(read_conn)]
Config = Annotated[Settings, Depends(settings)]


class CheckpointIn(BaseModel):
    name: str = Field(max_length=1000, description="1-200 characters")
    unit: str = Field(max_length=1000, description="the unit that mans it")
    lat: float = Field(description="WGS84 degrees, in Iraq or near it")
    lon: float = Field(description="WGS84 degrees, in Iraq or near it")
    valid_from: str | None = Field(
        default=None,
        max_length=100,
        description="ISO date-time with a zone, or a date (its start, Iraq time); null: open",
    )
    valid_to: str | None = Field(
        default=None, max_length=100, description="excluded; a date: its end; null: open"
    )
    hours: str | None = Field(
        default=None, max_length=100, description="manned daily, Iraq time: HH:MM-HH:MM"
    )
    kind: str = Field(default="fixed", max_length=100, description="fixed or mobile")
    tlp: str = Field(default="amber", max_length=100)
    releasable_to: list[str] = Field(default_factory=list, max_length=50)

    def draft(self, partner: str) -> CheckpointDraft:
        return CheckpointDraft(
            partner=partner,
            unit=self.unit,
            name=self.name,
            latitude=self.lat,
            longitude=self.lon,
            valid_from=parse_time(self.valid_from, "valid_from") if self.valid_from else None,
            valid_to=_end(self.valid_to),
            hours=parse_hours(self.hours or ""),
            kind=parse_kind(self.kind),
            tlp=parse_tlp(self.tlp),
            releasable_to=frozenset(self.releasable_to),
        )


def _end(text: str | None) -> datetime | None:
    return parse_time(text, "valid_to", end_of_day=True) if text else None


class CloseIn(BaseModel):
    at: str | None = Field(default=None, max_length=100, description="default: now")


def checkpoint_filter(
    bbox: Annotated[
        str | None,
        Query(
            description="only checkpoints inside west,south,east,north (degrees, WGS84)",
            examples=["38.79,29.06,48.57,37.38"],
        ),
    ] = None,
    at: Annotated[
        str | None,
        Query(max_length=100, description="only those in force at this ISO date-time"),
    ] = None,
) -> CheckpointFilter:
    box = Bbox.parse(bbox) if bbox is not None else None
    return CheckpointFilter(
        bbox=(box.west, box.south, box.east, box.north) if box else None,
        at=parse_time(at, "at") if at is not None else None,
    )


Filter = Annotated[CheckpointFilter, Depends(checkpoint_filter)]


def _limit(requested: int | None, config: Settings) -> int:
    cap = config.incidents_page_limit
    if requested is not None and not 1 <= requested <= cap:
        raise InvalidInput(f"limit: must be between 1 and {cap}")
    return requested or cap


def _page(
    request: Request,
    conn: Connection,
    who: Principal,
    filt: CheckpointFilter,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    rows = store.find_checkpoints(conn, who.viewer, filt, limit=limit, offset=offset)
    items = [checkpoints.record(row) for row in rows]
    record_read(request.app.state.engine, who, checkpoints.audit_ids(items), "api")
    return store.count_checkpoints(conn, who.viewer, filt), items


@router.get("/api/checkpoints")
def checkpoints_list(
    request: Request,
    conn: Conn,
    who: Caller,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of the checkpoints the caller may see, by owner, name and start, with the total.

    Each has its name, unit, owner (`partner`), `kind`, point (`lat`, `lon`), validity period
    (`valid_from` included, `valid_to` excluded; null: open), daily `hours` (Iraq time, UTC+3;
    null: round the clock), `closed_at`, and marking (`tlp`, `releasable_to`).
    """
    page = _limit(limit, config)
    total, items = _page(request, conn, who, filt, page, offset)
    return {"total": total, "limit": page, "offset": offset, "items": items}


@router.get("/api/checkpoints.geojson", response_class=Response)
def checkpoints_geojson(
    request: Request,
    conn: Conn,
    who: Caller,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The same page as a GeoJSON FeatureCollection of points, with `total` and `returned`."""
    total, items = _page(request, conn, who, filt, _limit(limit, config), offset)
    body = {
        "type": "FeatureCollection",
        "total": total,
        "returned": len(items),
        "features": [checkpoints.feature(item) for item in items],
    }
    return Response(orjson.dumps(body), media_type="application/geo+json")


@router.post("/api/checkpoints", status_code=201)
def checkpoints_add(request: Request, who: Caller, body: CheckpointIn) -> dict[str, Any]:
    """Register a checkpoint of the caller's partner; its record."""
    draft = body.draft(who.partner)
    with writing(request.app.state.engine) as conn:
        (checkpoint_id,) = checkpoints.register(conn, who, [draft], now(request))
        row = store.visible(conn, who.viewer, checkpoint_id)
    assert row is not None
    return checkpoints.record(row)


@router.post("/api/checkpoints/{checkpoint_id}/close")
def checkpoints_close(
    request: Request, who: Caller, checkpoint_id: int, body: CloseIn | None = None
) -> dict[str, Any]:
    """Close (withdraw) a checkpoint of the caller's partner from `at` (default now) on."""
    clock = now(request)
    at = parse_time(body.at, "at") if body is not None and body.at else clock
    with writing(request.app.state.engine) as conn:
        return checkpoints.close(conn, who, checkpoint_id, at, clock)


@router.get("/api/checkpoints/verify")
def checkpoints_verify(
    request: Request,
    who: Caller,
    lat: Annotated[float, Query(description="where the checkpoint was seen, WGS84")],
    lon: Annotated[float, Query(description="where the checkpoint was seen, WGS84")],
    at: Annotated[
        str | None,
        Query(max_length=100, description="when: ISO date-time with a zone; default now"),
    ] = None,
    tolerance_m: Annotated[
        float, Query(description="how far from the registered point: 25 to 5,000 m")
    ] = DEFAULT_TOLERANCE_M,
) -> dict[str, Any]:
    """Is a registered legitimate checkpoint there at that time, within the tolerance?

    `verified`, a plain-language `answer`, and when verified the `checkpoint` (name, unit,
    owner, distance, period, hours); when not, the `nearest` checkpoint the caller may see
    within 10 km, if any, with the `reasons` it does not count. Only checkpoints the caller
    may see take part. Every verify is audited.
    """
    clock = now(request)
    question = Question(lat, lon, parse_time(at, "at") if at else clock, tolerance_m)
    with writing(request.app.state.engine) as conn:
        verdict = checkpoints.verify(conn, who, question, clock, "api")
    return checkpoints.verdict_record(verdict)
