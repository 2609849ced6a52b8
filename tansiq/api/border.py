"""Border routes: sectors (JSON and GeoJSON), observations in and out, alerts.

Observations are read through their audience (failing closed) and their reads audited like
positions'; an alert is seen by the partner it was raised for alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq import border
from tansiq.api.auth import Caller, caller
from tansiq.api.deps import now, read_conn
from tansiq.domain.border import ObservationDraft, ObservationSource
from tansiq.domain.markings import parse_tlp
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden
from tansiq.sharing.reads import record_read
from tansiq.store import border as store
from tansiq.store.database import writing

router = APIRouter(tags=["border"], dependencies=[Depends(caller)])
Conn = Annotated[Connection, Depends(read_conn)]


class ObservationIn(BaseModel):
    kind: Literal["crossing-attempt", "sensor-alert", "patrol-report"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    observed_at: datetime
    text: str = Field(default="", max_length=10_000)
    ref: str = Field(default="", max_length=200, description="its id at the source, if any")
    tlp: str = "amber"
    releasable_to: list[str] = Field(default_factory=list, max_length=50)


@router.get("/api/border/sectors")
def sectors(conn: Conn) -> dict[str, Any]:
    """The border sectors, south-west to north-east: id, names, district(s), chainage and
    length (km, geodesic), the unit and partner assigned."""
    found = [border.sector_record(s) for s in store.stored_sectors(conn)]
    return {"total": len(found), "items": found}


@router.get("/api/border/sectors.geojson", response_class=Response)
def sectors_geojson(conn: Conn) -> Response:
    """The sectors as GeoJSON LineStrings."""
    features = [border.sector_feature(s) for s in store.stored_sectors(conn)]
    body = {"type": "FeatureCollection", "features": features}
    return Response(orjson.dumps(body), media_type="application/geo+json")


@router.post("/api/border/observations", status_code=201)
def add_observation(request: Request, who: Caller, body: ObservationIn) -> dict[str, Any]:
    """Record an observation of the caller's partner; it is placed in its sector (within 15 km
    of the line) and the alert rules run. Returns its sector and the alerts it raised."""
    if who.role is Role.PEER:
        raise Forbidden("a partner node's account does not record observations")
    draft = ObservationDraft(
        kind=body.kind,
        latitude=body.lat,
        longitude=body.lon,
        observed_at=body.observed_at,
        partner=who.partner,
        source=ObservationSource.API.value,
        source_ref=body.ref,
        text=body.text,
        tlp=parse_tlp(body.tlp),
        releasable_to=frozenset(body.releasable_to),
    )
    at = now(request)
    with writing(request.app.state.engine) as conn:
        sector, metres = border.placer(conn, at).place(draft.latitude, draft.longitude)
        alerts = border.record_observation(conn, draft, at, by=who.name)
    return {"sector": sector, "distance_m": round(metres, 1), "alerts": alerts}


@router.get("/api/border/observations")
def observations(
    request: Request,
    conn: Conn,
    who: Caller,
    sector: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of the observations the caller may see, newest first, with the total."""
    total, rows = store.find_observations(
        conn, who.viewer, sector=sector, limit=limit, offset=offset
    )
    items = [border.observation_record(row) for row in rows]
    ids = [f"border-observation:{item['id']}" for item in items]
    record_read(request.app.state.engine, who, ids, "api")
    return {"total": total, "items": items}


@router.get("/api/border/alerts")
def alerts(conn: Conn, who: Caller) -> dict[str, Any]:
    """The alerts raised for the caller's partner, newest first."""
    found = [border.alert_record(a) for a in store.find_alerts(conn, who.viewer)]
    return {"total": len(found), "items": found}
