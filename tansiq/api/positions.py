"""Positions over HTTP: a paged JSON list and a GeoJSON layer for the map.

Reads go through tansiq.store.positions, which filters by the caller's releasability in SQL:
a position not released to the caller's partner is in neither the items nor the total. Reads
of marked positions are audited like reads of reports.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.engine import Connection

from tansiq import positions
from tansiq.accounts import Principal
from tansiq.api.auth import Caller
from tansiq.api.deps import read_conn, settings
from tansiq.domain.positions import Period, PositionFilter
from tansiq.domain.viewport import Bbox
from tansiq.errors import InvalidInput
from tansiq.settings import Settings
from tansiq.sharing.reads import record_read
from tansiq.store.positions import count_positions, find_positions

router = APIRouter(tags=["positions"])

Conn = Annotated[Connection, Depends(read_conn)]
Config = Annotated[Settings, Depends(settings)]


def position_filter(
    bbox: Annotated[
        str | None,
        Query(
            description="only positions inside west,south,east,north (degrees, WGS84)",
            examples=["38.79,29.06,48.57,37.38"],
        ),
    ] = None,
    at: Annotated[date | None, Query(description="only positions active on this day (UTC)")] = None,
) -> PositionFilter:
    return PositionFilter(
        bbox=Bbox.parse(bbox) if bbox is not None else None,
        active=Period.day(at) if at is not None else None,
    )


Filter = Annotated[PositionFilter, Depends(position_filter)]


def _limit(requested: int | None, config: Settings) -> int:
    cap = config.incidents_page_limit
    if requested is not None and not 1 <= requested <= cap:
        raise InvalidInput(f"limit must be between 1 and {cap}")
    return requested or cap


def _page(
    request: Request,
    conn: Connection,
    who: Principal,
    filt: PositionFilter,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    rows = find_positions(conn, who.viewer, filt, limit=limit, offset=offset)
    items = [positions.record(row) for row in rows]
    record_read(request.app.state.engine, who, positions.audit_ids(items), "api")
    return count_positions(conn, who.viewer, filt), items


@router.get("/api/positions")
def positions_list(
    request: Request,
    conn: Conn,
    who: Caller,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of the positions the caller may see, by partner then name, with the total.

    Each has its partner, kind, name, point (`lat`, `lon`), `coverage_radius_m`, active period
    (`active_from`, `active_to`; null: open), `synthetic` (made up, for demos and exercises),
    areas (pcodes, `disputed`) and marking (`tlp`, `releasable_to`).
    """
    page = _limit(limit, config)
    total, items = _page(request, conn, who, filt, page, offset)
    return {"total": total, "limit": page, "offset": offset, "items": items}


@router.get("/api/positions.geojson", response_class=Response)
def positions_geojson(
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
        "features": [positions.feature(item) for item in items],
    }
    return Response(orjson.dumps(body), media_type="application/geo+json")
