"""Emerging hot spots: trends of Gi* hot and cold spots through a space-time cube of H3 cells.

What it does, following ArcGIS Pro's Emerging Hot Spot Analysis ("How Emerging Hot Spot
Analysis works", pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/
learnmoreemerging.htm; the pattern definitions below paraphrase that page's table):

1. The cube: events counted per H3 cell and time step. Steps are calendar months when the range
   spans at most `MONTHLY_UP_TO` months (five years), else calendar quarters (29 years of UCDP
   make 116 quarters, where months would make 348 mostly empty steps). The range is the asked
   one, or the events' first to last day. Fewer than `MIN_STEPS` (10) steps is refused: ArcGIS
   asks for at least ten for the trend test to mean anything. The cells are the same study area
   as `tansiq.analysis.hotspots`: cells with an event in any step plus their ring-1 neighbours.
2. Space-time Gi* per bin (cell, step): binary weights over the bin itself, its ring-1 cells in
   the same step, and the same cell and its ring-1 cells in the previous `time_window` steps
   (ArcGIS's neighbourhood time step; 1 by default). The mean and spread are those of all bins of
   the cube. p-values are two-sided from the z-score (ArcGIS's Gi*; a permutation test per bin
   would cost hundreds of times more on a cube), adjusted with Benjamini-Hochberg across every
   bin (ArcGIS applies an FDR correction too). A bin is a significant hot (cold) spot when its
   adjusted p is at most `alpha` (0.10: the 90% confidence of ArcGIS's lowest Gi_Bin) and its z
   is positive (negative).
3. Mann-Kendall trend test on each cell's series of Gi* z-scores (the "intensity of clustering"),
   with the ties correction of the variance and a continuity correction, two-sided; a trend is
   significant when its p is at most `alpha`. The first `time_window` steps are left out of the
   trend: their neighbourhoods lack the steps before them, so the same counts give them a lower
   z, which would make every steady hot spot look intensifying.
4. Each cell gets one of ArcGIS's 17 patterns (hot shown; cold mirrors it, with the trend's sign
   flipped, since a cold spot intensifies as its z falls). "90%" means at least 90% of the steps
   are significant hot spots:

   - New Hot Spot: hot in the final step, never hot before.
   - Consecutive Hot Spot: one uninterrupted run of at least two hot steps ending at the final
     step, never hot before that run, and less than 90% of steps hot.
   - Intensifying Hot Spot: hot in 90% of steps including the final one, and the z-scores rise
     significantly.
   - Persistent Hot Spot: hot in 90% of steps (the final one included here, see below), no
     significant trend.
   - Diminishing Hot Spot: hot in 90% of steps including the final one, and the z-scores fall
     significantly.
   - Sporadic Hot Spot: hot in the final step, hot on and off before, less than 90% of steps
     hot, never a significant cold spot.
   - Oscillating Hot Spot: hot in the final step, a significant cold spot in some earlier step,
     less than 90% of steps hot.
   - Historical Hot Spot: not hot in the final step, but hot in at least 90% of steps.
   - No Pattern Detected: none of these.

   Where the page's definitions overlap, the first in this order wins: the patterns of the final
   step's state (New, Consecutive, Intensifying, Persistent, Diminishing, Sporadic, Oscillating;
   hot ones when the final step is hot, cold ones when it is cold), then Historical. So a cell
   hot for the first time after having been cold is New (not Oscillating), and a cell hot in
   90% of steps but not in the last is Historical (not Persistent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import h3.api.basic_int as h3int
import numpy as np
import numpy.typing as npt
import scipy.sparse
from scipy import stats

from tansiq.analysis.events import EPOCH, EventArrays, month_index
from tansiq.analysis.hotspots import (
    STUDY_RING,
    FloatArray,
    IntArray,
    event_cells,
    feature_collection,
    gi_z,
    ring_neighbours,
    study_area,
)
from tansiq.analysis.region import check_res
from tansiq.errors import InvalidInput

MONTHLY_UP_TO: Final = 60
"""Ranges spanning at most this many calendar months are cut into months, longer into quarters."""
MIN_STEPS: Final = 10
MAX_TIME_WINDOW: Final = 3
ALPHA: Final = 0.10
NINETY_PERCENT: Final = 0.9
NO_PATTERN: Final = "No Pattern Detected"
KINDS: Final = (
    "New",
    "Consecutive",
    "Intensifying",
    "Persistent",
    "Diminishing",
    "Sporadic",
    "Oscillating",
    "Historical",
)
PATTERNS: Final = (
    *(f"{kind} Hot Spot" for kind in KINDS),
    *(f"{kind} Cold Spot" for kind in KINDS),
    NO_PATTERN,
)

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class TimeSteps:
    """Consecutive calendar months or quarters: step i starts `first_month + i * months`
    (months since 1970-01)."""

    months: int
    first_month: int
    count: int

    @property
    def unit(self) -> str:
        return "month" if self.months == 1 else "quarter"

    def labels(self) -> list[str]:
        """'2014-06' for months, '2014-Q2' for quarters."""
        starts = [self.first_month + i * self.months for i in range(self.count)]
        if self.months == 1:
            return [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in starts]
        return [f"{1970 + m // 12}-Q{m % 12 // 3 + 1}" for m in starts]

    def of_days(self, days: npt.NDArray[np.int32]) -> IntArray:
        """The step of each day number."""
        return ((month_index(days) - self.first_month) // self.months).astype(np.int64)


def time_steps(first_day: int, last_day: int) -> TimeSteps:
    """Months or quarters covering [first_day, last_day] (day numbers), months when the range
    spans at most `MONTHLY_UP_TO` months; refused when that makes fewer than `MIN_STEPS`."""
    first, last = (int(m) for m in month_index(np.array([first_day, last_day], np.int32)))
    months = 1 if last - first + 1 <= MONTHLY_UP_TO else 3
    start = first - first % months
    steps = TimeSteps(months, start, (last - start) // months + 1)
    if steps.count < MIN_STEPS:
        raise InvalidInput(
            f"emerging hot spots need at least {MIN_STEPS} time steps; "
            f"{_iso(first_day)} to {_iso(last_day)} makes {steps.count} {steps.unit}s"
        )
    return steps


def _iso(day: int) -> str:
    return (date.fromordinal(EPOCH) + timedelta(days=day)).isoformat()


@dataclass(frozen=True, slots=True)
class SpaceTimeCube:
    """Event counts per time step (rows) and cell (columns, sorted H3 integers)."""

    cells: IntArray
    steps: TimeSteps
    counts: IntArray


def space_time_cube(events: EventArrays, res: int, steps: TimeSteps) -> SpaceTimeCube:
    """The events counted per step and cell of the study area (events outside steps dropped)."""
    step = steps.of_days(events.day)
    inside = (step >= 0) & (step < steps.count)
    events, step = events.where(inside), step[inside]
    if not len(events):
        raise InvalidInput("no incidents to analyse")
    located = event_cells(events, res)
    cells = study_area(np.unique(located), STUDY_RING)
    of_event = np.searchsorted(cells, located)
    counts = np.zeros((steps.count, len(cells)), np.int64)
    np.add.at(counts, (step, of_event), 1)
    return SpaceTimeCube(cells, steps, counts)


def space_time_gi(cube: SpaceTimeCube, time_window: int = 1) -> FloatArray:
    """Gi* z-score of every bin (steps x cells) over its space-time neighbourhood."""
    graph = ring_neighbours(cube.cells)
    n_cells = len(cube.cells)
    adjacency = scipy.sparse.csr_matrix(
        (np.ones(len(graph.indices), np.int64), graph.indices, graph.indptr),
        shape=(n_cells, n_cells),
    )
    in_step = cube.counts + np.asarray((adjacency @ cube.counts.T).T)  # cell and its ring
    local = in_step.copy()
    for lag in range(1, time_window + 1):
        local[lag:] += in_step[:-lag]
    steps_in = 1 + np.minimum(np.arange(cube.steps.count), time_window)
    weights = np.outer(steps_in, graph.cardinalities() + 1)
    z = gi_z(cube.counts.ravel(), local.ravel(), weights.ravel())
    return z.reshape(cube.counts.shape)


@dataclass(frozen=True, slots=True)
class MannKendall:
    """Mann-Kendall trend test of each row: S, its variance (ties corrected), z and p."""

    s: FloatArray
    var: FloatArray
    z: FloatArray
    p: FloatArray


def mann_kendall(series: FloatArray) -> MannKendall:
    """The two-sided Mann-Kendall test of each row of `series` (cells x steps).

    Written here (scipy has Kendall's tau but not the test's ties-corrected variance with the
    continuity correction, and one more dependency for it is not worth it).
    """
    n = series.shape[1]
    later, earlier = np.triu_indices(n, k=1)[::-1]
    rows = max(1, 2_000_000 // max(1, len(later)))  # cells per block of pairwise signs
    s = np.concatenate(
        [
            np.sign(series[i : i + rows, later] - series[i : i + rows, earlier]).sum(axis=1)
            for i in range(0, len(series), rows)
        ]
    )
    ties = np.array([_tie_term(row) for row in series], np.float64)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    corrected = s - np.sign(s)
    z = np.zeros(len(s), np.float64)
    np.divide(corrected, np.sqrt(var), out=z, where=var > 0)
    return MannKendall(s.astype(np.float64), var, z, 2 * stats.norm.sf(np.abs(z)))


def _tie_term(row: FloatArray) -> float:
    """sum t (t - 1) (2t + 5) over the groups of t equal values."""
    _, sizes = np.unique(row, return_counts=True)
    return float((sizes * (sizes - 1) * (2 * sizes + 5)).sum())


def patterns(
    hot: BoolArray, cold: BoolArray, trend_z: FloatArray, trend_p: FloatArray, alpha: float
) -> list[str]:
    """The pattern of each cell from its significant hot and cold steps (cells x steps) and the
    trend of its z-scores (see the module docstring)."""
    return [
        pattern_of(h, c, float(tz), float(tp), alpha)
        for h, c, tz, tp in zip(hot, cold, trend_z, trend_p, strict=True)
    ]


def pattern_of(
    hot: BoolArray, cold: BoolArray, trend_z: float, trend_p: float, alpha: float
) -> str:
    """One cell's pattern from its hot and cold steps and its trend."""
    rising = trend_p <= alpha and trend_z > 0
    falling = trend_p <= alpha and trend_z < 0
    if hot[-1]:
        return f"{_final_kind(hot, cold, rising, falling)} Hot Spot"
    if cold[-1]:
        return f"{_final_kind(cold, hot, falling, rising)} Cold Spot"
    if hot.mean() >= NINETY_PERCENT:
        return "Historical Hot Spot"
    if cold.mean() >= NINETY_PERCENT:
        return "Historical Cold Spot"
    return NO_PATTERN


def _final_kind(spot: BoolArray, other: BoolArray, stronger: bool, weaker: bool) -> str:
    """The kind of a cell that is a spot in its final step (hot, or cold mirrored)."""
    before = spot[:-1]
    if not before.any():
        return "New"
    run = len(spot) - int(np.flatnonzero(~spot)[-1]) - 1 if not spot.all() else len(spot)
    mostly = spot.mean() >= NINETY_PERCENT
    if run >= 2 and not spot[:-run].any() and not mostly:
        return "Consecutive"
    if mostly:
        return "Intensifying" if stronger else "Diminishing" if weaker else "Persistent"
    return "Oscillating" if other.any() else "Sporadic"


@dataclass(frozen=True, slots=True)
class EmergingResult:
    """The pattern of every cell of the study area, in the order of `cells`."""

    res: int
    step_labels: list[str]
    unit: str
    cells: list[str]
    counts: IntArray
    pattern: list[str]
    trend_z: FloatArray
    trend_p: FloatArray
    hot_steps: IntArray
    cold_steps: IntArray
    final_z: FloatArray

    def rows(self, patterned_only: bool = True) -> list[dict[str, Any]]:
        """One dict per cell with a pattern (or every cell), in `PATTERNS` order, then by the
        number of events, most first."""
        rank = {name: i for i, name in enumerate(PATTERNS)}
        order = sorted(
            range(len(self.cells)), key=lambda i: (rank[self.pattern[i]], -self.counts[i])
        )
        return [self._row(i) for i in order if self.pattern[i] != NO_PATTERN or not patterned_only]

    def _row(self, i: int) -> dict[str, Any]:
        return {
            "cell": self.cells[i],
            "pattern": self.pattern[i],
            "count": int(self.counts[i]),
            "hot_steps": int(self.hot_steps[i]),
            "cold_steps": int(self.cold_steps[i]),
            "trend_z": float(self.trend_z[i]),
            "trend_p": float(self.trend_p[i]),
            "final_z": float(self.final_z[i]),
        }

    def geojson(self, patterned_only: bool = True) -> dict[str, Any]:
        """A FeatureCollection of the cells' hexagons (lon/lat), the row as properties."""
        return feature_collection(self.rows(patterned_only))


def emerging_hotspots(
    events: EventArrays,
    res: int,
    first_day: int | None = None,
    last_day: int | None = None,
    time_window: int = 1,
    alpha: float = ALPHA,
) -> EmergingResult:
    """Emerging hot spot patterns of the events per H3 cell at `res` (see the module).

    `first_day` and `last_day` (day numbers) bound the cube; they default to the events' own.
    """
    check_res(res)
    if not 0 <= time_window <= MAX_TIME_WINDOW:
        raise InvalidInput(f"time window must be 0 to {MAX_TIME_WINDOW} steps, got {time_window}")
    if not len(events):
        raise InvalidInput("no incidents to analyse")
    first = int(events.day.min()) if first_day is None else first_day
    last = int(events.day.max()) if last_day is None else last_day
    cube = space_time_cube(events, res, time_steps(first, last))
    z = space_time_gi(cube, time_window)
    p = 2 * stats.norm.sf(np.abs(z.ravel()))
    significant = (stats.false_discovery_control(p, method="bh") <= alpha).reshape(z.shape)
    hot, cold = (significant & (z > 0)).T, (significant & (z < 0)).T
    # The first steps lack their previous ones, so their z-scores run lower for the same
    # counts: left out of the trend, they would make every persistent spot "intensifying".
    trend = mann_kendall(z[time_window:].T)
    return EmergingResult(
        res,
        cube.steps.labels(),
        cube.steps.unit,
        [h3int.int_to_str(c) for c in cube.cells.tolist()],
        cube.counts.sum(axis=0),
        patterns(hot, cold, trend.z, trend.p, alpha),
        trend.z,
        trend.p,
        hot.sum(axis=1),
        cold.sum(axis=1),
        z[-1].copy(),
    )
