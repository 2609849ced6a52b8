"""What the map shows in its viewport: points when they are few, counts on a grid otherwise.

The grid is a plain latitude/longitude grid, not H3. Level k has cells of 2^-k degrees, and
the cell of a point is (floor((lat + 90) * 2^k), floor((lon + 180) * 2^k)). Why not H3:

- a viewport is a lat/lon box, and so is a grid cell: the cells in a box are a range of rows
  and columns, a plain indexed range in SQL on both databases (H3 needs a polygon fill and a
  list of thousands of cell ids);
- the levels nest exactly (each cell is four cells of the next level, `row >> 1` is the
  parent), so one stored level also answers the level above it, and a cell's count is exactly
  the count of the incidents inside its bounds: the filters stay exact, and tests can check
  every count with a direct COUNT;
- the cell of an incident is arithmetic that SQLite and PostgreSQL compute like Python does,
  so the table is filled from existing incidents in SQL, without a new dependency.

What H3 does better, equal-area cells, matters for statistics (hotspots), not for counts on a
map, where cells in Iraq (29-38°N) differ in area by about a tenth.

The offsets keep indices non-negative, so truncation (SQLite's CAST) is the floor and a right
shift gives the parent cell.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from tansiq.domain.incidents import IncidentFilter
from tansiq.errors import InvalidInput

LAT_OFFSET = 90.0
LON_OFFSET = 180.0
MAX_ZOOM = 22
"""The deepest zoom of web maps (Leaflet's maxZoom for most tile layers)."""
ZOOM_OF_LEVEL_0 = 6
"""At zoom 6 a 1° cell is 45 px wide (256 * 2^6 / 360 px a degree): each zoom in halves the
cells, so a cell stays about 45 px on screen, the size of a clustered marker."""


@dataclass(frozen=True, slots=True)
class Bbox:
    """A box in WGS84 degrees, west to east and south to north (no wrap at 180°)."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        values = (self.west, self.south, self.east, self.north)
        if not all(math.isfinite(v) for v in values):
            raise InvalidInput("bbox: every value must be a finite number")
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise InvalidInput("bbox: longitudes must be between -180 and 180")
        if not (-90 <= self.south <= 90 and -90 <= self.north <= 90):
            raise InvalidInput("bbox: latitudes must be between -90 and 90")
        if self.south > self.north:
            raise InvalidInput(f"bbox: south {self.south} is north of north {self.north}")
        if self.west > self.east:
            raise InvalidInput(f"bbox: west {self.west} is east of east {self.east}")

    @classmethod
    def parse(cls, text: str) -> Bbox:
        """A box from `west,south,east,north`, as maps write it."""
        parts = text.split(",")
        if len(parts) != 4:
            raise InvalidInput("bbox: expected four numbers: west,south,east,north")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise InvalidInput("bbox: expected four numbers: west,south,east,north") from None
        return cls(west, south, east, north)

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


@dataclass(frozen=True, slots=True)
class ViewportQuery:
    """One map view: its box, its zoom, and the incident filter of the page."""

    bbox: Bbox
    zoom: int
    filter: IncidentFilter = field(default_factory=IncidentFilter)

    def __post_init__(self) -> None:
        if not 0 <= self.zoom <= MAX_ZOOM:
            raise InvalidInput(f"zoom must be between 0 and {MAX_ZOOM}")


# --- the grid -----------------------------------------------------------------------------------

Bounds = tuple[float, float, float, float]
"""West, south, east, north in degrees; unchecked, unlike a Bbox (a cell may reach past 90°N)."""


def level_for_zoom(zoom: int) -> int:
    """The grid level whose cells are about 45 px wide at this zoom (level 0 below zoom 6)."""
    return max(0, zoom - ZOOM_OF_LEVEL_0)


def cell_size(level: int) -> float:
    """A cell's side in degrees."""
    return 2.0**-level


def cell_row(latitude: float, level: int) -> int:
    """The row of a latitude's cell. A latitude within rounding of a cell's edge may fall in
    the cell beside it ((latitude + 90) is rounded to a double): the row decides, and SQL
    computes the same double."""
    return math.floor((latitude + LAT_OFFSET) * 2.0**level)


def cell_col(longitude: float, level: int) -> int:
    """The column of a longitude's cell (as cell_row)."""
    return math.floor((longitude + LON_OFFSET) * 2.0**level)


@dataclass(frozen=True, slots=True)
class CellRange:
    """The rows and columns of one level's cells that a box touches (inclusive)."""

    level: int
    rows: tuple[int, int]
    cols: tuple[int, int]

    @classmethod
    def covering(cls, bbox: Bbox, level: int) -> CellRange:
        rows = (cell_row(bbox.south, level), cell_row(bbox.north, level))
        cols = (cell_col(bbox.west, level), cell_col(bbox.east, level))
        return cls(level, rows, cols)

    def at(self, level: int) -> CellRange:
        """The same cells counted in a finer level's rows and columns."""
        shift = level - self.level
        if shift < 0:
            raise ValueError("a range can only be refined")
        (south, north), (west, east) = self.rows, self.cols
        return CellRange(
            level,
            (south << shift, ((north + 1) << shift) - 1),
            (west << shift, ((east + 1) << shift) - 1),
        )

    def bounds(self) -> Bounds:
        """The ground these cells cover (up to rounding: see cell_row)."""
        size = cell_size(self.level)
        return (
            self.cols[0] * size - LON_OFFSET,
            self.rows[0] * size - LAT_OFFSET,
            (self.cols[1] + 1) * size - LON_OFFSET,
            (self.rows[1] + 1) * size - LAT_OFFSET,
        )


# --- months -------------------------------------------------------------------------------------


def month_index(day: date) -> int:
    """Months since January of year 0: consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def month_first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_last_day(month: int) -> date:
    first = month_first_day(month)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass(frozen=True, slots=True)
class MonthSplit:
    """A date range as whole months (counted per month) and the days left at its ends.

    `months` is (first, last) inclusive, None on a side without bound, or None altogether when
    the range holds no whole month. `days` are the inclusive (first, last) day ranges left over:
    none, one or two, disjoint from the months and from each other.
    """

    months: tuple[int | None, int | None] | None
    days: tuple[tuple[date, date], ...]


def split_by_month(date_from: date | None, date_to: date | None) -> MonthSplit:
    """Split an inclusive date range (None: unbounded) into whole months and loose days."""
    first: int | None = None
    last: int | None = None
    days: list[tuple[date, date]] = []
    if date_from is not None:
        first = month_index(date_from) + (date_from.day > 1)
        if date_from.day > 1:
            end = month_last_day(month_index(date_from))
            days.append((date_from, end if date_to is None else min(end, date_to)))
    if date_to is not None:
        last = month_index(date_to) - (date_to != month_last_day(month_index(date_to)))
        start = month_first_day(month_index(date_to))
        same_month = date_from is not None and month_index(date_from) == month_index(date_to)
        if date_to < month_last_day(month_index(date_to)) and not (same_month and days):
            days.append((start if date_from is None else max(start, date_from), date_to))
    empty = first is not None and last is not None and first > last
    return MonthSplit(None if empty else (first, last), tuple(days))


@dataclass(frozen=True, slots=True)
class DayCount:
    """How a date range is counted: whole months from the grid, plus the days of `add`, minus
    the days of `subtract` (inclusive day ranges, counted from the incidents one by one)."""

    months: tuple[int | None, int | None] | None
    add: tuple[tuple[date, date], ...]
    subtract: tuple[tuple[date, date], ...] = ()


def count_plan(date_from: date | None, date_to: date | None) -> DayCount:
    """The cheapest way to count a date range: the loose days at an end of the range are
    counted one by one, unless fewer days are left out of their month, in which case the
    whole month is counted from the grid and the days left out are taken away (June 10 to
    30: June minus June 1 to 9). At most half a month of days is then read at each end."""
    split = split_by_month(date_from, date_to)
    months = split.months
    add: list[tuple[date, date]] = []
    subtract: list[tuple[date, date]] = []
    for first, last in split.days:
        month = month_index(first)
        outside = _outside(first, last, month)
        if sum((b - a).days + 1 for a, b in outside) >= (last - first).days + 1:
            add.append((first, last))
            continue
        months = _with_month(months, month)
        subtract.extend(outside)
    return DayCount(months, tuple(add), tuple(subtract))


def _outside(first: date, last: date, month: int) -> list[tuple[date, date]]:
    """The days of `month` before `first` and after `last` (none, one or two stretches)."""
    start, end = month_first_day(month), month_last_day(month)
    found = []
    if first > start:
        found.append((start, first - timedelta(days=1)))
    if last < end:
        found.append((last + timedelta(days=1), end))
    return found


def _with_month(
    months: tuple[int | None, int | None] | None, month: int
) -> tuple[int | None, int | None]:
    """A range of whole months grown by the month just before or after it (or that month)."""
    if months is None:
        return (month, month)
    low, high = months
    if low is not None and month == low - 1:
        return (month, high)
    if high is not None and month == high + 1:
        return (low, month)
    raise ValueError(f"month {month} does not touch the range {months}")


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridCell:
    """Matching incidents of one grid cell: how many, their deaths, how many of each type,
    and where they are on average (a marker there sits among them, not in an empty corner)."""

    level: int
    row: int
    col: int
    incidents: int
    fatalities: int
    by_type: Mapping[str, int]
    latitude: float
    longitude: float

    def bounds(self) -> Bounds:
        return CellRange(self.level, (self.row, self.row), (self.col, self.col)).bounds()


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One incident as the map draws it."""

    id: int
    latitude: float
    longitude: float
    incident_type: str
    fatalities: int | None
    date: date


@dataclass(frozen=True, slots=True)
class Viewport:
    """The answer for one view: points, or grid cells of `level`, and how many incidents match.

    With points, `total` counts the matching incidents inside the box, of which at most the
    page limit are in `points` (the newest). With cells, `total` counts those of the cells the
    box touches, every one of them in some cell.
    """

    kind: Literal["points", "grid"]
    total: int
    level: int | None = None
    cells: tuple[GridCell, ...] = ()
    points: tuple[MapPoint, ...] = ()
