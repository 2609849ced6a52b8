"""Incident routes: a GeoJSON layer for the map and a paged JSON list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.engine import Connection

from tansiq.api.auth import caller
from tansiq.api.deps import read_conn, settings
from tansiq.domain.incidents import IncidentFilter
from tansiq.errors import InvalidInput
from tansiq.exports import geojson_bytes, incident_record
from tansiq.settings import Settings
from tansiq.store.areas import require_area
from tansiq.store.incidents import count_incidents, find_incidents

router = APIRouter(tags=["incidents"], dependencies=[Depends(caller)])
"""Every route here needs a logged-in caller (tansiq.api.auth), like the page that uses them."""

Conn = Annotated[Connection, Depends(read_conn)]
Config = Annotated[Settings, Depends(settings)]


def incident_filter(
    conn: Annotated[Connection, Depends(read_conn)],
    area: Annotated[str | None, Query(description="COD pcode of any level, e.g. IQG13Q04")] = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day, inclusive")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="last day, inclusive")] = None,
    disputed: Annotated[bool, Query(description="only incidents in disputed areas")] = False,
) -> IncidentFilter:
    """The filter shared by every incident route; an unknown area is a client error."""
    filt = IncidentFilter(area=area, date_from=date_from, date_to=date_to, disputed_only=disputed)
    require_area(conn, filt.area)
    return filt


Filter = Annotated[IncidentFilter, Depends(incident_filter)]


def _limit(requested: int | None, config: Settings) -> int:
    cap = config.incidents_page_limit
    if requested is not None and not 1 <= requested <= cap:
        raise InvalidInput(f"limit must be between 1 and {cap}")
    return requested or cap


@router.get("/api/incidents.geojson", response_class=Response)
def incidents_geojson(
    conn: Conn, config: Config, filt: Filter, limit: Annotated[int | None, Query()] = None
) -> Response:
    """Matching incidents as a GeoJSON FeatureCollection, with `total` and `returned`."""
    page = _limit(limit, config)
    records = [incident_record(r) for r in find_incidents(conn, filt, limit=page)]
    body = geojson_bytes(records, total=count_incidents(conn, filt), returned=len(records))
    return Response(body, media_type="application/geo+json")


@router.get("/api/incidents")
def incidents_list(
    conn: Conn,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of matching incidents, oldest first, with the total."""
    page = _limit(limit, config)
    items = [incident_record(r) for r in find_incidents(conn, filt, limit=page, offset=offset)]
    return {"total": count_incidents(conn, filt), "limit": page, "offset": offset, "items": items}
