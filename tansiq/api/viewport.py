"""The map's viewport: what one view of the map shows, as points or as counts on a grid."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.engine import Connection

from tansiq.api.auth import Caller
from tansiq.api.deps import read_conn, settings
from tansiq.api.incidents import Filter
from tansiq.domain.viewport import Bbox, Viewport, ViewportQuery, cell_size
from tansiq.settings import Settings
from tansiq.store.viewport import find_viewport

router = APIRouter(tags=["incidents"])

Conn = Annotated[Connection, Depends(read_conn)]
Config = Annotated[Settings, Depends(settings)]


@router.get("/api/incidents/viewport", response_class=Response)
def incidents_viewport(
    who: Caller,
    conn: Conn,
    config: Config,
    filt: Filter,
    bbox: Annotated[
        str,
        Query(
            description="the view: west,south,east,north in degrees (WGS84)",
            examples=["38.79,29.06,48.57,37.38"],
        ),
    ],
    zoom: Annotated[int, Query(description="the map's zoom, 0 to 22", examples=[6])],
) -> Response:
    """The matching incidents in a map view: points when few, else counts on a grid.

    Points come from the points zoom on (setting `viewport_points_zoom`, 13), or below it
    while the box holds at most `viewport_point_cap` (2,000) matching incidents; otherwise
    counts per cell of a latitude/longitude grid whose cells are 2^-level degrees, about
    45 px wide at the zoom (level = zoom - 6, from 0 to 5). Filters as on /api/incidents.

    JSON, the same keys for both kinds:

    - `kind`: "points" or "grid";
    - `total`: matching incidents. Points: those inside the box. Grid: those of the cells
      the box touches (each cell counted whole);
    - `zoom`, `bbox`: the view asked for; `level`, `cell_deg`: the grid's (null for points);
    - `cells`: `{"lat", "lon", "count", "fatalities", "types": {type: count},
      "bounds": [west, south, east, north]}`, at the centroid of the cell's incidents;
      `fatalities` sums the known ones;
    - `points`: `{"id", "lat", "lon", "type", "fatalities", "date"}`, newest first, at most
      the page limit (`incidents_page_limit`); `returned` says how many.
    """
    query = ViewportQuery(Bbox.parse(bbox), zoom, filt)
    view = find_viewport(conn, query, config)
    return Response(orjson.dumps(viewport_body(query, view)), media_type="application/json")


def viewport_body(query: ViewportQuery, view: Viewport) -> dict[str, Any]:
    """The JSON answer for one view (documented on the route)."""
    return {
        "kind": view.kind,
        "total": view.total,
        "zoom": query.zoom,
        "bbox": query.bbox.as_list(),
        "level": view.level,
        "cell_deg": None if view.level is None else cell_size(view.level),
        "cells": [
            {
                "lat": c.latitude,
                "lon": c.longitude,
                "count": c.incidents,
                "fatalities": c.fatalities,
                "types": dict(c.by_type),
                "bounds": list(c.bounds()),
            }
            for c in view.cells
        ],
        "returned": len(view.points),
        "points": [
            {
                "id": p.id,
                "lat": p.latitude,
                "lon": p.longitude,
                "type": p.incident_type,
                "fatalities": p.fatalities,
                "date": p.date.isoformat(),
            }
            for p in view.points
        ],
    }
