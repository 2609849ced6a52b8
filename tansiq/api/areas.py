"""Area routes: the area list, map layers of the shipped geography, and point lookup."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.engine import Connection

from tansiq.api.auth import caller
from tansiq.api.deps import read_conn
from tansiq.domain.areas import AreaLevel
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import feature_collection_json
from tansiq.store.areas import list_areas

router = APIRouter(tags=["areas"], dependencies=[Depends(caller)])
"""Every route here needs a logged-in caller (tansiq.api.auth), like the page that uses them."""


@router.get("/api/areas")
def areas(
    conn: Annotated[Connection, Depends(read_conn)],
    level: Annotated[AreaLevel | None, Query(description="1, 2 or 3")] = None,
    disputed: Annotated[bool, Query(description="only disputed areas")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Governorates, districts and sub-districts with English and Arabic names and flags, by
    pcode, a page at a time (the default page holds all 413 shipped areas)."""
    found = list_areas(conn, level=level, disputed_only=disputed)
    items = [{**asdict(a), "level": int(a.level)} for a in found[offset : offset + limit]]
    return {"total": len(found), "limit": limit, "offset": offset, "items": items}


@router.get("/api/layers/{name}", response_class=Response)
def layer(name: str) -> Response:
    """A GeoJSON layer of the shipped geography: adm1, adm2, adm3, disputed,
    kurdistan-region, syria-border or neighbours."""
    return Response(
        feature_collection_json(name),
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.get("/api/locate")
def locate(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> dict[str, Any]:
    """The sub-district, district and governorate of a point, and its three flags."""
    locator: AreaLocator = request.app.state.locator
    return asdict(locator.locate(lat, lon))
