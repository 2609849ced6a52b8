"""The map's viewport: the matching incidents of a box, as points or as counts on a grid.

Counts come from incident_grid: whole months from its rows, and the days a date range takes
from a month it does not cover whole (at most two ends) from `incidents` through the date
index, or that whole month from the grid less the days it leaves out, whichever reads fewer
days (tansiq.domain.viewport.count_plan); so the filter stays exact while the whole of Iraq
over years sums a few thousand rows.
Incidents the grid does not count yet (newer than its `folded_through`) are counted from
`incidents` through the primary key: an answer is exact before the server has folded them in,
only slower.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.viewport import (
    CellRange,
    GridCell,
    MapPoint,
    Viewport,
    ViewportQuery,
    count_plan,
    level_for_zoom,
    month_first_day,
    month_last_day,
)
from tansiq.settings import Settings
from tansiq.store.incident_grid import (
    STORED_LEVELS,
    col_sql,
    folded_through,
    row_sql,
    stored_level,
)
from tansiq.store.incidents import where_matching, within_area
from tansiq.store.schema import incident_grid, incidents


def find_viewport(conn: Connection, query: ViewportQuery, settings: Settings) -> Viewport:
    """Points from the points zoom on, or while the box holds at most the point cap of
    matching incidents; grid cells otherwise."""
    if query.zoom >= settings.viewport_points_zoom:
        return find_points(conn, query, settings.incidents_page_limit)
    level, cells = grid_cells(conn, query)
    total = sum(c.incidents for c in cells)
    if total <= settings.viewport_point_cap:
        return find_points(conn, query, settings.incidents_page_limit)
    return Viewport("grid", total, level=level, cells=cells)


# --- points -------------------------------------------------------------------------------------


def find_points(conn: Connection, query: ViewportQuery, limit: int) -> Viewport:
    """The matching incidents inside the box, newest first, at most `limit` of them."""
    inside = _in_box(query).cte("inside").prefix_with("MATERIALIZED")
    # Materialised: the box and the filter pick the index; ordered within the date index
    # instead, SQLite would walk every incident newest first looking for the box's few.
    newest = sa.select(inside).order_by(inside.c.date_start.desc(), inside.c.id.desc())
    rows = conn.execute(newest.limit(limit)).all()
    points = tuple(MapPoint(*row) for row in rows)
    total = len(points)
    if total == limit:
        counted = sa.select(sa.func.count()).select_from(_in_box(query).subquery())
        total = int(conn.execute(counted).scalar_one())
    return Viewport("points", total, points=points)


def _in_box(query: ViewportQuery) -> sa.Select[Any]:
    i, box = incidents.c, query.bbox
    columns = (i.id, i.latitude, i.longitude, i.incident_type, i.fatalities, i.date_start)
    return where_matching(sa.select(*columns), query.filter).where(
        i.latitude.between(box.south, box.north), i.longitude.between(box.west, box.east)
    )


# --- grid ---------------------------------------------------------------------------------------


def grid_cells(conn: Connection, query: ViewportQuery) -> tuple[int, tuple[GridCell, ...]]:
    """The level for the zoom and the cells of that level the box touches, with their counts."""
    level = min(level_for_zoom(query.zoom), STORED_LEVELS[-1])
    cells = CellRange.covering(query.bbox, level)
    plan = count_plan(query.filter.date_from, query.filter.date_to)
    tally = _Tally(level)
    filt = query.filter
    if plan.months is not None:
        tally.add(conn.execute(_from_grid(cells, plan.months, filt)))
        through = folded_through(conn)
        if _newest_id(conn) > through:
            first, last = plan.months
            months = replace(
                filt,
                date_from=None if first is None else month_first_day(first),
                date_to=None if last is None else month_last_day(last),
            )
            tally.add(conn.execute(_from_incidents(cells, months, after_id=through)))
    for sign, stretches in ((1, plan.add), (-1, plan.subtract)):
        for first_day, last_day in stretches:
            days = replace(filt, date_from=first_day, date_to=last_day)
            tally.add(conn.execute(_from_incidents(cells, days)), sign)
    return level, tally.cells()


def _newest_id(conn: Connection) -> int:
    """The largest incident id (the end of the primary key), 0 when there is none."""
    newest = sa.select(sa.func.coalesce(sa.func.max(incidents.c.id), 0))
    return int(conn.execute(newest).scalar_one())


def _from_grid(
    cells: CellRange, months: tuple[int | None, int | None], filt: IncidentFilter
) -> sa.Select[Any]:
    """Counts of whole months from incident_grid, rolled up from the stored level."""
    g = incident_grid.c
    stored = stored_level(cells.level)
    fine = cells.at(stored)
    shift = sa.literal_column(str(stored - cells.level), sa.Integer)
    row, col = g.cell_row.op(">>")(shift), g.cell_col.op(">>")(shift)
    query = sa.select(
        row,
        col,
        g.incident_type,
        sa.func.sum(g.incidents),
        sa.func.sum(g.fatalities),
        sa.func.sum(g.sum_latitude),
        sa.func.sum(g.sum_longitude),
    ).where(g.level == stored, g.cell_row.between(*fine.rows), g.cell_col.between(*fine.cols))
    first, last = months
    # Compared with =, not IS: PostgreSQL looks an equality up in the key, IS it filters.
    if first is None and last is None:
        query = query.where(g.all_months == sa.true())
    else:
        query = query.where(g.all_months == sa.false())
        if first is not None:
            query = query.where(g.month >= first)
        if last is not None:
            query = query.where(g.month <= last)
    if filt.area is not None:
        query = query.where(*within_area(filt.area, g.adm3_pcode))
    if filt.disputed_only:
        query = query.where(g.disputed.is_(True))
    return query.group_by(row, col, g.incident_type)


def _from_incidents(
    cells: CellRange, filt: IncidentFilter, after_id: int | None = None
) -> sa.Select[Any]:
    """Counts straight from `incidents`: the loose days of a date range (found by date), or
    the incidents the grid does not count yet (ids after `after_id`, found by id)."""
    i = incidents.c
    columns = sa.select(
        row_sql(i.latitude, cells.level).label("cell_row"),
        col_sql(i.longitude, cells.level).label("cell_col"),
        i.incident_type,
        i.fatalities,
        i.latitude,
        i.longitude,
    )
    if after_id is not None:
        columns = columns.where(i.id > after_id)
    keyed = where_matching(columns, filt).subquery()
    k = keyed.c
    return (
        sa.select(
            k.cell_row,
            k.cell_col,
            k.incident_type,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(k.fatalities), 0),
            sa.func.sum(k.latitude),
            sa.func.sum(k.longitude),
        )
        .where(k.cell_row.between(*cells.rows), k.cell_col.between(*cells.cols))
        .group_by(k.cell_row, k.cell_col, k.incident_type)
    )


@dataclass
class _Sums:
    incidents: int = 0
    fatalities: int = 0
    latitude: float = 0.0
    longitude: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class _Tally:
    """Per-cell sums over the parts of a date range, merged by cell."""

    level: int
    sums: dict[tuple[int, int], _Sums] = field(default_factory=dict)

    def add(self, rows: Iterable[Any], sign: int = 1) -> None:
        """Add (sign 1) or take away (sign -1) rows of (row, col, type, incidents,
        fatalities, sum of lat, sum of lon)."""
        for row, col, kind, count, deaths, lat, lon in rows:
            cell = self.sums.setdefault((int(row), int(col)), _Sums())
            cell.incidents += sign * int(count)
            cell.fatalities += sign * int(deaths or 0)
            cell.latitude += sign * float(lat)
            cell.longitude += sign * float(lon)
            cell.by_type[kind] = cell.by_type.get(kind, 0) + sign * int(count)

    def cells(self) -> tuple[GridCell, ...]:
        """The cells with incidents, south-west first; each placed at its incidents' centroid."""
        return tuple(
            GridCell(
                self.level,
                row,
                col,
                s.incidents,
                s.fatalities,
                {kind: n for kind, n in sorted(s.by_type.items()) if n},
                s.latitude / s.incidents,
                s.longitude / s.incidents,
            )
            for (row, col), s in sorted(self.sums.items())
            if s.incidents > 0
        )
