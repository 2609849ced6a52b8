"""Hot spots: Getis-Ord Gi* on counts of events per H3 cell.

Study area: the cells holding at least one event plus their ring-1 neighbours (`STUDY_RING`).
Incidents are only recorded where people are, so taking every cell of Iraq (desert included)
would make any inhabited cell "hot"; the one-ring margin counts the empty cells beside the
events as observed zeros and gives every event cell a whole neighbourhood.

Weights are binary over a cell and its ring-1 neighbours inside the study area (Gi* includes the
cell itself). The z-score is Getis and Ord's (1995) Gi*, as ArcGIS's Hot Spot Analysis and
esda's `G_Local(star=True, transform="B")` compute it.

The pseudo p-value comes from conditional randomisation drawn exactly as esda draws it
(`esda.crand`): one legacy numpy RandomState seeded with `seed` draws, for each permutation,
`max cardinality` positions without replacement among the n - 1 other cells; each cell keeps its
own count and takes the counts at the first `cardinality` of those positions as its neighbours.
The permutations as extreme as the observed value are counted in the smaller tail,
p = (extreme + 1) / (perms + 1): one-sided in the direction the data point to (esda's
"directed" folding, GeoDa's pseudo p), at most about 0.5. One deliberate difference from esda: a
permutation that ties the observed value counts in both tails, where esda counts it as "at
least" only. With counts ties are the rule, and esda's way turns an event cell whose neighbours
are all empty (every permutation can tie at 0) into a 99% cold spot. Where no permutation ties,
the same seed gives esda's p-values draw for draw (the tests check both).

p-values are adjusted across all cells with Benjamini-Hochberg (false discovery rate) and each
cell goes into ArcGIS's bins (Hot Spot - 99% Confidence ... Cold Spot - 99% Confidence) by its
adjusted p and the sign of z. A permutation p is never below 1 / (perms + 1), so with thousands
of cells FDR needs many cells at that floor before any is significant: keep 999 permutations or
more. On skewed counts (one town holding a quarter of the events) few cells pass: a cell next to
the town is matched by any permutation that draws the town's cell, about 6 / n of them.

`p_value="normal"` takes the p-value from the z-score instead (two-sided, the standard normal),
as ArcGIS's Hot Spot Analysis does; FDR and the bins are the same. It exists because the
permutation test has little power on incidents snapped to named places: the shipped UCDP events
of Iraq sit on about 300 distinct points, so a cell's neighbours are mostly empty and a
neighbour of a busy town is matched by any permutation that draws the town (p about 6 / n); with
FDR over a thousand cells or more nothing passes. The normal p flags the rings around the
busiest towns (Mosul, Baghdad) but assumes a normal z, which skewed counts do not give: the
command and the map say which p-value they used.

esda is not used at run time: it loops over the cells in Python (or needs numba); here the
permutations are counted with numpy for runs of cells at once (see `_tail_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import h3
import h3.api.basic_int as h3int
import numpy as np
import numpy.typing as npt
from scipy import stats

from tansiq.analysis.events import EventArrays
from tansiq.analysis.region import check_res
from tansiq.errors import InvalidInput

P_VALUES: Final = ("permutation", "normal")
"""How a cell's p-value is found: conditional permutations (the default) or the z-score's
normal tail."""

STUDY_RING: Final = 1
"""The study area: cells with events plus the cells within this many steps of them."""

CONFIDENCE_LEVELS: Final = ((0.01, 3, "99%"), (0.05, 2, "95%"), (0.10, 1, "90%"))
NOT_SIGNIFICANT: Final = "Not Significant"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Neighbours:
    """A symmetric neighbour graph in compressed rows: the neighbours of node i (itself not
    included) are `indices[indptr[i]:indptr[i + 1]]`."""

    indptr: IntArray
    indices: IntArray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def cardinalities(self) -> IntArray:
        return np.diff(self.indptr)

    def neighbour_sums(self, values: IntArray) -> IntArray:
        """Each node's sum of its neighbours' values."""
        sums = np.add.reduceat(values[self.indices], self.indptr[:-1]) if len(self.indices) else 0
        return np.where(self.cardinalities() > 0, sums, 0).astype(np.int64)

    def lists(self) -> dict[int, list[int]]:
        """{node: [neighbours]}, as libpysal's W takes them."""
        return {
            i: self.indices[self.indptr[i] : self.indptr[i + 1]].tolist() for i in range(len(self))
        }


@dataclass(frozen=True, slots=True)
class HotspotResult:
    """Gi* per cell of the study area, in the order of `cells` (sorted H3 indexes)."""

    res: int
    permutations: int
    """0 when the p-values are normal ones."""
    cells: list[str]
    counts: IntArray
    z: FloatArray
    p: FloatArray
    p_fdr: FloatArray
    gi_bin: IntArray
    """ArcGIS's Gi_Bin: 3, 2, 1 hot at 99/95/90% confidence, 0 not significant, -1..-3 cold."""

    @property
    def classes(self) -> list[str]:
        return [bin_label(int(b)) for b in self.gi_bin]

    def rows(self, significant_only: bool = True) -> list[dict[str, Any]]:
        """One dict per cell (hot and cold ones only, unless asked), hottest first."""
        order = np.lexsort((-self.z, -self.gi_bin))
        return [
            {
                "cell": self.cells[i],
                "class": bin_label(int(self.gi_bin[i])),
                "gi_bin": int(self.gi_bin[i]),
                "count": int(self.counts[i]),
                "z": float(self.z[i]),
                "p": float(self.p[i]),
                "p_fdr": float(self.p_fdr[i]),
            }
            for i in order
            if self.gi_bin[i] != 0 or not significant_only
        ]

    def geojson(self, significant_only: bool = True) -> dict[str, Any]:
        """A FeatureCollection of the cells' hexagons (lon/lat), the row as properties."""
        return feature_collection(self.rows(significant_only))


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON of rows that each name their H3 `cell`: its polygon, the row as properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": cell_polygon(row["cell"]), "properties": row}
            for row in rows
        ],
    }


def cell_polygon(cell: str) -> dict[str, Any]:
    """The cell's hexagon as a GeoJSON Polygon (lon/lat order, ring closed)."""
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def bin_label(gi_bin: int) -> str:
    """ArcGIS's label of a Gi_Bin value."""
    if gi_bin == 0:
        return NOT_SIGNIFICANT
    side = "Hot" if gi_bin > 0 else "Cold"
    level = {level: name for _, level, name in CONFIDENCE_LEVELS}[abs(gi_bin)]
    return f"{side} Spot - {level} Confidence"


def gi_star(
    events: EventArrays,
    res: int,
    permutations: int = 999,
    seed: int = 0,
    p_value: str = "permutation",
) -> HotspotResult:
    """Gi* hot and cold spots of the events' counts per H3 cell at `res` (see the module)."""
    check_res(res)
    if p_value not in P_VALUES:
        raise InvalidInput(f"p-value must be one of {', '.join(P_VALUES)}, got {p_value!r}")
    if not len(events):
        raise InvalidInput("no incidents to analyse")
    if permutations < 1:
        raise InvalidInput(f"permutations must be at least 1, got {permutations}")
    cells, counts = study_counts(events, res)
    if p_value == "normal":
        return gi_star_of_counts(cells, counts, res, 0, seed)
    return gi_star_of_counts(cells, counts, res, permutations, seed)


def study_counts(events: EventArrays, res: int) -> tuple[IntArray, IntArray]:
    """The study area's cells (sorted H3 integers) and their event counts."""
    occupied, occupied_counts = cell_counts(events, res)
    cells = study_area(occupied, STUDY_RING)
    counts = np.zeros(len(cells), np.int64)
    counts[np.searchsorted(cells, occupied)] = occupied_counts
    return cells, counts


def gi_star_of_counts(
    cells: IntArray, counts: IntArray, res: int, permutations: int, seed: int
) -> HotspotResult:
    """Gi* of counts already binned into the study area's cells; normal p-values when
    `permutations` is 0."""
    graph = ring_neighbours(cells)
    z = gi_star_z(counts, graph)
    if permutations:
        p = permutation_p(counts, graph, permutations, seed)
    else:
        p = np.asarray(2 * stats.norm.sf(np.abs(z)), np.float64)
    p_fdr = np.asarray(stats.false_discovery_control(p, method="bh"), np.float64)
    return HotspotResult(
        res,
        permutations,
        [h3int.int_to_str(c) for c in cells.tolist()],
        counts,
        z,
        p,
        p_fdr,
        gi_bins(z, p_fdr),
    )


def cell_counts(events: EventArrays, res: int) -> tuple[IntArray, IntArray]:
    """The H3 cells (as sorted integers) holding events at `res`, and their event counts."""
    cells, counts = np.unique(event_cells(events, res), return_counts=True)
    return cells, counts.astype(np.int64)


def event_cells(events: EventArrays, res: int) -> IntArray:
    """The H3 cell (as an integer) of each event at `res`."""
    to_cell = h3int.latlng_to_cell
    # Events often share a point (a town's centroid), so each distinct point is indexed once.
    # A point as one complex number: np.unique on a 1-D array is several times faster than on
    # (n, 2) rows.
    points = np.stack([events.latitude, events.longitude], axis=1).view(np.complex128).ravel()
    unique, inverse = np.unique(points, return_inverse=True)
    cells = np.fromiter(
        (to_cell(p.real, p.imag, res) for p in unique.tolist()), np.uint64, len(unique)
    )
    return cells[inverse].astype(np.int64)


def study_area(event_cells: IntArray, ring: int) -> IntArray:
    """The event cells and every cell within `ring` steps of one, sorted."""
    disks = {c for cell in event_cells.tolist() for c in h3int.grid_disk(cell, ring)}
    return np.array(sorted(disks), np.int64)


def ring_neighbours(cells: IntArray) -> Neighbours:
    """Each cell's ring-1 neighbours among `cells` (sorted H3 integers)."""
    disks = np.zeros((len(cells), 7), np.int64)  # a pentagon has 5 neighbours: rest stays 0
    for row, cell in enumerate(cells.tolist()):
        ring = h3int.grid_ring(cell, 1)
        disks[row, : len(ring)] = ring
    return _graph_from_candidates(cells, disks)


def _graph_from_candidates(nodes: IntArray, candidates: IntArray) -> Neighbours:
    """Neighbours from a (node x slot) array of candidate keys, kept when in sorted `nodes`."""
    where = np.minimum(np.searchsorted(nodes, candidates), len(nodes) - 1)
    present = (nodes[where] == candidates) & (candidates != 0)
    indptr = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int64)
    return Neighbours(indptr, where[present].astype(np.int64))


def gi_star_z(values: IntArray, graph: Neighbours) -> FloatArray:
    """Gi* z-scores with binary weights over each node and its neighbours."""
    local = values + graph.neighbour_sums(values)
    return gi_z(values, local, graph.cardinalities() + 1)


def gi_z(values: IntArray, local: IntArray, weights: IntArray) -> FloatArray:
    """Gi* z-scores from each node's local sum (itself and its neighbours) and their number.

    z_i = (L_i - mean * w_i) / (s * sqrt((n * w_i - w_i^2) / (n - 1))), where L_i is the local
    sum, w_i the number of nodes in it and s the population standard deviation of all n values
    (Getis and Ord 1995, binary weights; ArcGIS's Hot Spot Analysis).
    """
    n = values.size
    y = values.astype(np.float64)
    mean = y.mean() if n else 0.0
    s = np.sqrt(max((y * y).mean() - mean * mean, 0.0)) if n else 0.0
    if n < 2 or not s > 0:
        raise InvalidInput("Gi* needs counts that differ between cells")
    w = weights.astype(np.float64)
    spread = s * np.sqrt((n * w - w * w) / (n - 1))
    # A neighbourhood holding every node has no spread and says nothing: z = 0.
    z = np.zeros(n, np.float64)
    np.divide(local - mean * w, spread, out=z, where=spread > 0)
    return z


def esda_draws(n: int, draws: int, permutations: int, seed: int) -> IntArray:
    """esda's permuted positions: per permutation, `draws` of range(n - 1) without replacement,
    from a legacy RandomState seeded with `seed` (what esda.crand.vec_permutations does)."""
    rng = np.random.RandomState(seed)
    return np.array(
        [rng.choice(n - 1, size=draws, replace=False) for _ in range(permutations)], np.int64
    ).reshape(permutations, draws)


def permutation_p(values: IntArray, graph: Neighbours, permutations: int, seed: int) -> FloatArray:
    """Folded pseudo p-values of Gi* by conditional randomisation, ties in both tails (see the
    module docstring)."""
    at_least, at_most = permutation_counts(values, graph, permutations, seed)
    extreme = np.minimum(at_least, at_most)
    extreme[graph.cardinalities() == 0] = permutations  # an island: no test, p = 1
    return np.asarray((extreme + 1) / (permutations + 1), np.float64)


def permutation_counts(
    values: IntArray, graph: Neighbours, permutations: int, seed: int
) -> tuple[IntArray, IntArray]:
    """Per node, how many permutations give a Gi* at least, and at most, the observed one."""
    cards = graph.cardinalities()
    draws = esda_draws(len(values), int(cards.max(initial=0)), permutations, seed)
    observed = graph.neighbour_sums(values)
    at_least = np.full(len(values), permutations, np.int64)
    at_most = at_least.copy()
    for card in np.unique(cards[cards > 0]).tolist():
        nodes = np.flatnonzero(cards == card)
        at_least[nodes], at_most[nodes] = _tail_counts(
            values, nodes, observed[nodes], draws[:, :card]
        )
    return at_least, at_most


def _tail_counts(
    values: IntArray, nodes: IntArray, observed: IntArray, draws: IntArray
) -> tuple[IntArray, IntArray]:
    """For sorted `nodes` of one cardinality: how many permuted neighbour sums are >= and <=
    the observed one. The node's own count is the same in every permutation, so comparing
    neighbour sums is comparing Gi* values, exactly (integers).

    Position j among the n - 1 other cells of node i is cell j when j < i, else cell j + 1. So
    a permutation's sum for node i is its sum of the cells at j ("below"), plus the step
    values[j + 1] - values[j] of each draw with j >= i. The draws are shared by every node (as
    in esda), so there are at most permutations x cardinality steps, and the nodes between two
    consecutive steps share one vector of permuted sums: it is sorted once and every node of
    the run is counted against it by binary search, walking from the last node back. That
    costs (steps x permutations log permutations), not esda's (nodes x permutations) in a
    Python loop over the nodes.
    """
    below = values[draws]
    step = values[draws + 1] - below
    last = np.searchsorted(nodes, draws, side="right") - 1  # the last node a step applies to
    keep = (step != 0) & (last >= 0)
    order = np.argsort(last[keep], kind="stable")
    last, perm, step = last[keep][order], np.nonzero(keep)[0][order], step[keep][order]
    sums = below.sum(axis=1)
    at_least = np.empty(len(nodes), np.int64)
    at_most = np.empty(len(nodes), np.int64)
    stop = len(nodes)
    starts = np.flatnonzero(np.r_[True, last[1:] != last[:-1]]) if len(last) else last
    for first, end in reversed(list(zip(starts, [*starts[1:], len(last)], strict=True))):
        run = slice(int(last[first]) + 1, stop)  # the nodes after this step's last one
        at_least[run], at_most[run] = _ranks(sums, observed[run])
        np.add.at(sums, perm[first:end], step[first:end])
        stop = int(last[first]) + 1
    at_least[:stop], at_most[:stop] = _ranks(sums, observed[:stop])
    return at_least, at_most


def _ranks(sums: IntArray, targets: IntArray) -> tuple[IntArray, IntArray]:
    """How many of `sums` are >= and <= each target."""
    ordered = np.sort(sums)
    at_least = len(sums) - np.searchsorted(ordered, targets, side="left")
    return at_least.astype(np.int64), np.searchsorted(ordered, targets, side="right")


def gi_bins(z: FloatArray, p_fdr: FloatArray) -> IntArray:
    """ArcGIS's Gi_Bin from FDR-adjusted p-values and the sign of z."""
    level = np.zeros(len(z), np.int64)
    for alpha, value, _ in reversed(CONFIDENCE_LEVELS):
        level[p_fdr <= alpha] = value
    return (level * np.sign(z)).astype(np.int64)
