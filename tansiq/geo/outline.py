"""How far points lie outside Iraq, and which stretch of the border is nearest: vectorised.

Distances are measured in a Lambert conformal conic projection fitted to Iraq (standard
parallels 29.5°N and 37°N): its scale error is under 0.25 % everywhere within 100 km of the
country, so planar distances there are within 0.25 % of the geodesic ones. A UTM zone would be
up to 0.5 % off at Iraq's western end, which lies 6° from zone 38's central meridian.

Nearest-edge search is the slow part of locating points that fall outside Iraq (GEOS's own
nearest-neighbour query costs about 3 µs a point), so it is done on a grid built once: for
every 2.5 km cell within 150 km of the country's bounding box the index keeps the outline edges
that can be nearest to some point of the cell (16 on average), and a batch of points is then
answered exactly with plain numpy over (point, candidate edge) pairs. The grid is built coarse
to fine: GEOS finds the candidates of 20 km cells, and each halving keeps those of the parent's
that the child still needs. Points off the grid fall back to the GEOS query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

IRAQ_LCC: Final = (
    "+proj=lcc +lat_1=29.5 +lat_2=37 +lat_0=33.25 +lon_0=43.7 +datum=WGS84 +units=m +no_defs"
)
"""The metric CRS distances are measured in (see the module docstring)."""

_CELL_M: Final = 2_500.0  # finest cells: smaller means fewer candidates each, more memory
_REFINEMENTS: Final = 3  # the grid is built at 20 km with GEOS, then halved three times
_MARGIN_M: Final = 150_000.0  # grid reach beyond the outline's bounding box
_CHUNK: Final = 1 << 16  # points per batch: bounds the memory of the (point, candidate) pairs
_SLACK_M: Final = 1.0  # keeps candidates that float rounding would put just beyond the bound


@dataclass(frozen=True, slots=True)
class _Segments:
    """The outline's straight edges in metres: start point, direction, 1 / squared length."""

    start_x: FloatArray
    start_y: FloatArray
    step_x: FloatArray
    step_y: FloatArray
    inverse_length2: FloatArray

    @classmethod
    def of(cls, x: FloatArray, y: FloatArray) -> _Segments:
        """Edges from point i to point i + 1 of each ring (x, y hold NaN between rings)."""
        step_x, step_y = np.diff(x), np.diff(y)
        keep = np.isfinite(step_x) & np.isfinite(step_y) & ((step_x != 0) | (step_y != 0))
        length2 = step_x[keep] ** 2 + step_y[keep] ** 2
        return cls(x[:-1][keep], y[:-1][keep], step_x[keep], step_y[keep], 1.0 / length2)

    def distance2(self, x: FloatArray, y: FloatArray, segment: IndexArray) -> FloatArray:
        """Squared distance from each point (x[i], y[i]) to edge segment[i]."""
        dx = x - self.start_x[segment]
        dy = y - self.start_y[segment]
        step_x, step_y = self.step_x[segment], self.step_y[segment]
        along = np.clip((dx * step_x + dy * step_y) * self.inverse_length2[segment], 0.0, 1.0)
        dx -= along * step_x
        dy -= along * step_y
        result: FloatArray = dx * dx + dy * dy
        return result

    def lines(self) -> Any:
        """The edges as shapely LineStrings, for GEOS queries."""
        start = np.stack([self.start_x, self.start_y], axis=1)
        end = np.stack([self.start_x + self.step_x, self.start_y + self.step_y], axis=1)
        return shapely.linestrings(np.stack([start, end], axis=1))


def _ring_coordinates(outline: Any) -> tuple[FloatArray, FloatArray]:
    """Lon and lat of every ring of the outline, rings separated by NaN."""
    rings = shapely.get_parts(shapely.boundary(outline))
    parts: list[FloatArray] = []
    for ring in rings:
        parts += [shapely.get_coordinates(ring), np.full((1, 2), np.nan)]
    xy = np.concatenate(parts)
    return xy[:, 0], xy[:, 1]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Square cells numbered row by row from the south-west corner."""

    origin_x: float
    origin_y: float
    cell_m: float
    columns: int
    rows: int

    @classmethod
    def around(cls, segments: _Segments, cell_m: float) -> _Layout:
        """Cells covering the segments' bounding box plus the margin on every side."""
        xs = np.concatenate([segments.start_x, segments.start_x + segments.step_x])
        ys = np.concatenate([segments.start_y, segments.start_y + segments.step_y])
        origin_x, origin_y = float(xs.min() - _MARGIN_M), float(ys.min() - _MARGIN_M)
        columns = int(np.ceil((xs.max() + _MARGIN_M - origin_x) / cell_m))
        rows = int(np.ceil((ys.max() + _MARGIN_M - origin_y) / cell_m))
        return cls(origin_x, origin_y, cell_m, columns, rows)

    @property
    def size(self) -> int:
        return self.columns * self.rows

    @property
    def reach_m(self) -> float:
        """How much farther than the centre's nearest edge a cell's nearest edges can be.

        A point of the cell is at most h (half the diagonal) from the centre, so its nearest
        edge is at most d + h from it and d + 2h from the centre, d being the centre's distance.
        """
        return float(np.sqrt(2.0) * self.cell_m) + _SLACK_M

    def halved(self) -> _Layout:
        """The same area in cells of half the size (cell c splits in four)."""
        return _Layout(
            self.origin_x, self.origin_y, self.cell_m / 2, self.columns * 2, self.rows * 2
        )

    def parent(self, cell: IndexArray) -> IndexArray:
        """For cells of a halved layout, the cell of this one that holds each."""
        row, column = np.divmod(cell, self.columns * 2)
        result: IndexArray = (row // 2) * self.columns + column // 2
        return result

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """x and y of every cell centre, in cell order."""
        row, column = np.divmod(np.arange(self.size), self.columns)
        return (
            self.origin_x + (column + 0.5) * self.cell_m,
            self.origin_y + (row + 0.5) * self.cell_m,
        )

    def cell_of(self, x: FloatArray, y: FloatArray) -> IndexArray:
        """Cell number of each point; -1 for a point off the grid."""
        column = np.floor((x - self.origin_x) / self.cell_m)
        row = np.floor((y - self.origin_y) / self.cell_m)
        on_grid = (column >= 0) & (column < self.columns) & (row >= 0) & (row < self.rows)
        cell = np.where(on_grid, row * self.columns + column, -1)
        return cell.astype(np.intp)


@dataclass(frozen=True, slots=True)
class _Grid:
    """Each cell's candidate edges: those that can be nearest to some point of the cell."""

    layout: _Layout
    offsets: IndexArray  # candidates of cell c are candidates[offsets[c]:offsets[c + 1]]
    candidates: IndexArray  # edge numbers, ascending within each cell

    @classmethod
    def of(cls, layout: _Layout, cell: IndexArray, edge: IndexArray) -> _Grid:
        """A grid from (cell, candidate edge) pairs sorted by cell, then edge."""
        offsets = np.zeros(layout.size + 1, dtype=np.intp)
        np.cumsum(np.bincount(cell, minlength=layout.size), out=offsets[1:])
        return cls(layout, offsets, edge.astype(np.intp))


def _root_grid(segments: _Segments, tree: Any, layout: _Layout) -> _Grid:
    """The coarsest grid, its candidates found by GEOS queries from each cell centre."""
    centres = shapely.points(*layout.centres())
    (cell, _), nearest = tree.query_nearest(centres, return_distance=True, all_matches=False)
    reach = np.empty(layout.size)
    reach[cell] = nearest + layout.reach_m
    cell, edge = tree.query(centres, predicate="dwithin", distance=reach)
    order = np.lexsort((edge, cell))
    return _Grid.of(layout, cell[order], edge[order])


@dataclass(frozen=True, slots=True)
class _Pairs:
    """Every (point, candidate edge) pair of a batch of points, in one run per point."""

    point: IndexArray
    edge: IndexArray
    run_start: IndexArray  # index of each point's first pair; no run is empty
    distance2: FloatArray

    @classmethod
    def of(
        cls, grid: _Grid, segments: _Segments, x: FloatArray, y: FloatArray, cell: IndexArray
    ) -> _Pairs:
        """Pairs of each point (x[i], y[i]) with the candidates of its cell[i]."""
        first = grid.offsets[cell]
        counts = grid.offsets[cell + 1] - first
        run_start = np.cumsum(counts) - counts
        point = np.repeat(np.arange(len(x)), counts)
        edge = grid.candidates[np.arange(len(point)) - run_start[point] + first[point]]
        return cls(point, edge, run_start, segments.distance2(x[point], y[point], edge))

    def nearest(self) -> tuple[FloatArray, IndexArray]:
        """Distance to, and number of, each point's nearest edge (ties: the lowest number)."""
        best = np.minimum.reduceat(self.distance2, self.run_start)
        at_best = np.flatnonzero(self.distance2 == best[self.point])
        first_best = at_best[np.r_[True, self.point[at_best][1:] != self.point[at_best][:-1]]]
        return np.sqrt(best), self.edge[first_best]


def _refine(grid: _Grid, segments: _Segments) -> _Grid:
    """The same grid with cells of half the size, each keeping the parent candidates it needs.

    A child cell lies inside its parent, so its nearest edges are among the parent's: checking
    those in numpy is much cheaper than asking GEOS again.
    """
    layout = grid.layout.halved()
    x, y = layout.centres()
    parent = grid.layout.parent(np.arange(layout.size))
    cells, edges = [], []
    for start in range(0, layout.size, _CHUNK):
        chunk = slice(start, start + _CHUNK)
        pairs = _Pairs.of(grid, segments, x[chunk], y[chunk], parent[chunk])
        limit = (pairs.nearest()[0] + layout.reach_m) ** 2
        keep = pairs.distance2 <= limit[pairs.point]
        cells.append(pairs.point[keep] + start)
        edges.append(pairs.edge[keep])
    return _Grid.of(layout, np.concatenate(cells), np.concatenate(edges))


FAR_M = 3_000_000.0
"""Beyond this many metres from the projection's centre (in Iraq), distances are geodesic."""
_GEOD = pyproj.Geod(ellps="WGS84")


class OutlineIndex:
    """Distance from points to the outline of a polygon, and which edge of it is nearest.

    Built once per outline (about a second for Iraq) and then shared; read-only after that.
    Edges are numbered in ring order; `edge_midpoints()` gives their positions so a caller can
    label them (the locator labels each with the sub-district it bounds).
    """

    def __init__(self, outline: Any) -> None:
        self._to_metres = pyproj.Transformer.from_crs("EPSG:4326", IRAQ_LCC, always_xy=True)
        self._to_degrees = pyproj.Transformer.from_crs(IRAQ_LCC, "EPSG:4326", always_xy=True)
        lon, lat = _ring_coordinates(outline)
        self._segments = _Segments.of(*self._metres(lon, lat))
        self._tree = shapely.STRtree(self._segments.lines())
        root = _Layout.around(self._segments, _CELL_M * 2**_REFINEMENTS)
        grid = _root_grid(self._segments, self._tree, root)
        for _ in range(_REFINEMENTS):
            grid = _refine(grid, self._segments)
        self._grid = grid
        start_lon, start_lat = self._to_degrees.transform(
            self._segments.start_x, self._segments.start_y
        )
        self._start_lon = np.asarray(start_lon, dtype=np.float64)
        self._start_lat = np.asarray(start_lat, dtype=np.float64)

    def edge_midpoints(self) -> tuple[FloatArray, FloatArray]:
        """Lon and lat of the middle of each edge."""
        s = self._segments
        lon, lat = self._to_degrees.transform(s.start_x + s.step_x / 2, s.start_y + s.step_y / 2)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def _metres(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = self._to_metres.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def nearest(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, IndexArray]:
        """Distance in metres from each finite point to the outline, and the nearest edge.

        Ties (a point nearest to a vertex shared by two edges) go to one of them, always the
        same one for the same input.
        """
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        x, y = self._metres(lon, lat)
        distance = np.empty(len(x))
        edge = np.empty(len(x), dtype=np.intp)
        far = ~(np.abs(x) < FAR_M) | ~(np.abs(y) < FAR_M)
        for point in np.flatnonzero(far):
            distance[point], edge[point] = self._nearest_far(lon[point], lat[point])
        x[far], y[far] = 0.0, 0.0  # done: keep them out of the grid and the tree
        cell = np.where(far, -2, self._grid.layout.cell_of(x, y))
        on_grid = np.flatnonzero(cell >= 0)
        for start in range(0, len(on_grid), _CHUNK):
            chunk = on_grid[start : start + _CHUNK]
            distance[chunk], edge[chunk] = self._nearest_on_grid(x[chunk], y[chunk], cell[chunk])
        off_grid = np.flatnonzero(cell == -1)
        if len(off_grid):
            distance[off_grid], edge[off_grid] = self._nearest_by_tree(x[off_grid], y[off_grid])
        return distance, edge

    def _nearest_on_grid(
        self, x: FloatArray, y: FloatArray, cell: IndexArray
    ) -> tuple[FloatArray, IndexArray]:
        """Exact nearest edge: brute force over the candidates of each point's cell, in numpy."""
        return _Pairs.of(self._grid, self._segments, x, y, cell).nearest()

    def _nearest_far(self, lon: float, lat: float) -> tuple[float, int]:
        """A point thousands of kilometres away, where the Lambert projection stretches without
        bound (the South Pole maps to infinity): the geodesic distance to the nearest vertex,
        which differs from the distance to the nearest edge by less than an edge's length."""
        many = len(self._start_lon)
        _, _, metres = _GEOD.inv(
            np.full(many, lon), np.full(many, lat), self._start_lon, self._start_lat
        )
        nearest = int(np.argmin(metres))
        return float(metres[nearest]), nearest

    def _nearest_by_tree(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, IndexArray]:
        """GEOS nearest-neighbour search: exact, but about 3 µs a point, so only off the grid."""
        (point, edge), distance = self._tree.query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        result_distance, result_edge = np.empty(len(x)), np.empty(len(x), dtype=np.intp)
        result_distance[point], result_edge[point] = distance, edge
        return result_distance, result_edge
