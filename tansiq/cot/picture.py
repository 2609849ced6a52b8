"""The picture one partner may see, as Cursor-on-Target events.

A TAK server belongs to a partner: everything it receives is read through that partner's
viewer, with the same releasability filters as the API and TAXII (tansiq.store.objects for
cells, tansiq.store.positions for positions, tansiq.store.operations for operations), so what is
not released to it is never built, let alone sent. Incidents are public data (UCDP, ACLED).

Each thing gets a stable uid, `tansiq-<kind>-<id>`, so a later push replaces it in place and a
delete (t-x-d-d) reaches the same marker.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from tansiq.cot.events import UNKNOWN, CotEvent, Drawing
from tansiq.domain.areas import AreaLevel
from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.markings import Viewer
from tansiq.domain.operations import State
from tansiq.domain.positions import Period, PositionFilter
from tansiq.geo.metric import to_degrees, to_metres
from tansiq.geo.reference import area_geometries
from tansiq.store import objects
from tansiq.store.incidents import where_matching
from tansiq.store.operations import OperationRecord, visible_operations
from tansiq.store.positions import find_positions
from tansiq.store.schema import incidents

INTELLIGENCE = "h-t"
"""`how` for what tansiq sends: transcribed from reports and datasets, not a sensor."""

_HOSTILE_ACLED = frozenset({"Battles", "Explosions/Remote violence", "Violence against civilians"})
_CE_M = {
    # 1-sigma circular error from each dataset's location precision code.
    "ucdp": {1: 1_000.0, 2: 25_000.0, 3: 50_000.0, 4: 100_000.0},
    "acled": {1: 2_000.0, 2: 25_000.0, 3: 100_000.0},
}
_SHOWN_STATES = (State.APPROVED.value, State.ACTIVE.value)
"""Operations drawn for the field: decided ones. Plans still under approval stay off TAK."""
_M_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class Picture:
    """The events for one audience, and the marked things they show (for the audit log)."""

    events: list[CotEvent]
    marked: dict[str, str]
    """uid -> the marked thing it shows ("position:12", a STIX id): for the audit log."""


def build_picture(
    conn: Connection, viewer: Viewer, *, now: datetime, since: date, stale_after: timedelta
) -> Picture:
    """Incidents since `since`, cells, positions active now and approved or active operations,
    all that `viewer` may see, each valid from now for `stale_after`."""
    window = (now, now + stale_after)
    events = list(incident_events(conn, since, window))
    cells = cell_events(conn, viewer, window)
    positions = position_events(conn, viewer, window)
    operations = operation_events(conn, viewer, window)
    marked = {event.uid: ref for event, ref in (*cells, *positions, *operations)}
    events += [event for event, _ in (*cells, *positions, *operations)]
    return Picture(events, marked)


def incident_events(
    conn: Connection, since: date, window: tuple[datetime, datetime]
) -> Iterator[CotEvent]:
    """Incidents since a day: violent ones hostile (a-h-G), others unknown (a-u-G). Only the
    columns an event shows are read, as plain rows: this is most of a push's database time."""
    now, stale = window
    t = incidents.c
    query: sa.Select[Any] = sa.select(t.id, t.source, t.source_id, t.date_start, t.latitude)
    query = query.add_columns(
        t.longitude, t.precision, t.place, t.incident_type, t.fatalities, t.headline
    )
    query = where_matching(query, IncidentFilter(date_from=since))
    rows = conn.execution_options(yield_per=5_000).execute(query.order_by(t.date_start, t.id))
    for pk, source, source_id, day, lat, lon, precision, place, kind, deaths, headline in rows:
        hostile = source == "ucdp" or kind in _HOSTILE_ACLED
        label = f"{source.upper()} {source_id}"
        killed = f" ({deaths} killed)" if deaths else ""
        yield CotEvent(
            uid=f"tansiq-incident-{pk}",
            cot_type="a-h-G" if hostile else "a-u-G",
            how=INTELLIGENCE,
            time=now,
            start=now,
            stale=stale,
            lat=lat,
            lon=lon,
            ce=_CE_M.get(source, {}).get(precision, UNKNOWN),
            callsign=_short(f"{label} {place}"),
            remarks=f"{day} {kind}: {headline}{killed} [{label}]",
        )


def cell_events(
    conn: Connection, viewer: Viewer, window: tuple[datetime, datetime]
) -> list[tuple[CotEvent, str]]:
    """Cells (STIX intrusion-sets) the viewer may read, hostile, at the area they are known in;
    a cell known in no area has no place on a map and is left out."""
    now, stale = window
    found = []
    for row in objects.search(conn, viewer, types=("intrusion-set",), limit=None):
        body = orjson.loads(row.body)
        place = _area_place(body)
        if place is None:
            continue
        lat, lon, ce = place
        remarks = body.get("description", "")
        if body.get("aliases"):
            remarks = f"aka {', '.join(body['aliases'])}. {remarks}".strip()
        event = CotEvent(
            uid=f"tansiq-cell-{row.stix_id.split('--', 1)[1]}",
            cot_type="a-h-G",
            how=INTELLIGENCE,
            time=now,
            start=now,
            stale=stale,
            lat=lat,
            lon=lon,
            ce=ce,
            callsign=_short(str(row.name or body.get("name", ""))),
            remarks=f"{remarks} [{row.tlp.label}]".strip(),
        )
        found.append((event, row.stix_id))
    return found


def _area_place(body: dict[str, Any]) -> tuple[float, float, float] | None:
    """A point inside the smallest area named in the cell's area extension, and an error radius
    (of a disc as large as the area)."""
    for extension in body.get("extensions", {}).values():
        for key in ("adm3_pcode", "adm2_pcode", "adm1_pcode"):
            pcode = extension.get(key) if isinstance(extension, dict) else None
            if pcode and pcode in _area_points():
                return _area_points()[pcode]
    return None


@functools.cache
def _area_points() -> dict[str, tuple[float, float, float]]:
    found = {}
    for level in AreaLevel:
        pcodes, geometries = area_geometries(level)
        for pcode, geometry in zip(pcodes, geometries, strict=True):
            inside = geometry.representative_point()
            km_per_lon = math.cos(math.radians(inside.y))
            area_m2 = geometry.area * _M_PER_DEGREE**2 * km_per_lon
            found[pcode] = (inside.y, inside.x, round(math.sqrt(area_m2 / math.pi), -2))
    return found


def position_events(
    conn: Connection, viewer: Viewer, window: tuple[datetime, datetime]
) -> list[tuple[CotEvent, str]]:
    """Positions active now that the viewer may see, own and partners', friendly."""
    now, stale = window
    active = PositionFilter(active=Period(now, now + timedelta(seconds=1)))
    found = []
    for row in find_positions(conn, viewer, active):
        event = CotEvent(
            uid=f"tansiq-position-{row['id']}",
            cot_type="a-f-G-U-C",
            how=INTELLIGENCE,
            time=now,
            start=now,
            stale=stale,
            lat=row["latitude"],
            lon=row["longitude"],
            callsign=_short(row["name"]),
            remarks=(
                f"{row['partner_name']} {row['kind']}, covers "
                f"{row['coverage_radius_m']:.0f} m [TLP:{row['tlp'].upper()}]"
            ),
        )
        found.append((event, f"position:{row['id']}"))
    return found


def operation_events(
    conn: Connection, viewer: Viewer, window: tuple[datetime, datetime]
) -> list[tuple[CotEvent, str]]:
    """Approved and active operations the viewer may see, as drawings of their areas."""
    found = []
    for op in visible_operations(conn, viewer, states=_SHOWN_STATES):
        for index, drawing in enumerate(drawings(op.area, op.extent_m)):
            found.append((_operation_event(op, index, drawing, window), f"operation:{op.id}"))
    return found


def _operation_event(
    op: OperationRecord, index: int, drawing: Drawing, window: tuple[datetime, datetime]
) -> CotEvent:
    now, stale = window
    centre = op.area.centroid
    suffix = f"-{index}" if index else ""
    return CotEvent(
        uid=f"tansiq-operation-{op.id}{suffix}",
        cot_type="u-d-c-c" if drawing.radius_m is not None else "u-d-f",
        how=INTELLIGENCE,
        time=now,
        start=now,
        stale=max(stale, op.end),
        lat=centre.y,
        lon=centre.x,
        callsign=_short(op.name),
        remarks=(
            f"{op.op_type} by {op.owner}, {op.state}, {op.start:%Y-%m-%d %H:%M} to "
            f"{op.end:%Y-%m-%d %H:%M} UTC [TLP:{op.tlp.upper()}]"
        ),
        drawing=drawing,
    )


def drawings(area: BaseGeometry, extent_m: float) -> list[Drawing]:
    """TAK shapes for an operation's area: a circle for a point (its radius), a closed shape
    per polygon, and for a corridor the line widened by its half-width (`extent_m`)."""
    if area.geom_type == "Point":
        return [Drawing(radius_m=extent_m)]
    if area.geom_type in ("LineString", "MultiLineString") and extent_m > 0:
        area = to_degrees(to_metres(area).buffer(extent_m))
    parts = shapely.get_parts(area)
    found = []
    for part in parts:
        if part.geom_type == "Polygon":
            found.append(Drawing(vertices=_lat_lon(part.exterior.coords)))
        elif part.geom_type == "LineString":
            found.append(Drawing(vertices=_lat_lon(part.coords), closed=False))
    return found


def _lat_lon(coords: Any) -> tuple[tuple[float, float], ...]:
    return tuple((float(y), float(x)) for x, y, *_ in coords)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
