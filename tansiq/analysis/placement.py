"""Where to put new joint checkpoints: the maximal covering location problem (MCLP).

Demand is the next month's risk at region cell centres; a new site covers the demand points
within `radius_km` of it by great-circle distance (haversine on the mean sphere). Points already
covered by existing positions (each within its own coverage radius, by tansiq.analysis.coverage's
exact geodesic rule) count as covered before, and are never counted again. `plan`
picks `k` new sites among the candidates that cover the most of the remaining risk:

- greedily at once (each step the site adding the most; at least 1 - 1/e of the optimum), and
- exactly with HiGHS (a mixed-integer program, warm-started from the greedy answer) when it can
  prove the optimum within a time limit; otherwise the best found and its gap are reported.

Pure: arrays in, a `PlacementPlan` out. `candidate_sites` reads only the shipped reference data.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import h3
import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import cKDTree
from shapely.geometry import mapping

from tansiq.analysis import coverage
from tansiq.analysis.region import cell_centres, check_res, region_cells
from tansiq.domain.areas import AreaLevel
from tansiq.errors import InvalidInput
from tansiq.geo.reference import area_geometries, areas, gazetteer

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

EARTH_RADIUS_KM: Final = 6371.0088
"""Mean Earth radius (IUGG), the sphere every distance here is measured on."""

MAX_RADIUS_KM: Final = 200.0
"""Larger radii are refused: no checkpoint watches a circle 400 km across."""

DEFAULT_TIME_LIMIT_S: Final = 20.0

# The chord query is widened by this factor so that rounding never drops a pair the exact
# great-circle test would keep; the exact test then decides.
_CHORD_SLACK: Final = 1.0 + 1e-9


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Demand:
    """Points to cover and what covering each is worth (next month's expected incidents)."""

    latitude: FloatArray
    longitude: FloatArray
    weight: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class Candidates:
    """Places a new site may go. `label` is a gazetteer name or an H3 cell id; `is_place` says
    which."""

    latitude: FloatArray
    longitude: FloatArray
    label: tuple[str, ...]
    is_place: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True, slots=True, eq=False)
class Existing:
    """Positions already in place, each covering its own radius."""

    latitude: FloatArray
    longitude: FloatArray
    radius_km: FloatArray

    @classmethod
    def none(cls) -> Existing:
        empty = np.empty(0)
        return cls(empty, empty.copy(), empty.copy())

    @classmethod
    def from_sites(cls, sites: Sequence[coverage.Site]) -> Existing:
        """From tansiq.analysis.coverage sites (e.g. `sites_from_records` of stored positions)."""
        return cls(
            np.array([s.latitude for s in sites], dtype=np.float64),
            np.array([s.longitude for s in sites], dtype=np.float64),
            np.array([s.radius_m / 1000.0 for s in sites], dtype=np.float64),
        )


# --- distances and coverage lists --------------------------------------------------------------


def unit_vectors(latitude: FloatArray, longitude: FloatArray) -> FloatArray:
    """Points on the unit sphere (n x 3): chords between them order pairs as great circles do."""
    lat, lon = np.radians(latitude), np.radians(longitude)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def great_circle_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Haversine distance in km, element by element (well conditioned at short range)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    km: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def _chord(radius_km: float) -> float:
    return float(2 * np.sin(min(radius_km / EARTH_RADIUS_KM, np.pi) / 2) * _CHORD_SLACK)


def pairs_within(
    site_lat: FloatArray,
    site_lon: FloatArray,
    point_lat: FloatArray,
    point_lon: FloatArray,
    radius_km: float | FloatArray,
) -> tuple[IndexArray, IndexArray]:
    """(site, point) index pairs at most `radius_km` apart (one radius, or one per site).

    KD-trees on unit vectors find the pairs within the chord of the largest radius; the exact
    haversine distance then keeps those within each site's own radius.
    """
    radii = np.broadcast_to(np.asarray(radius_km, dtype=np.float64), site_lat.shape)
    if not len(site_lat) or not len(point_lat):
        return np.empty(0, np.intp), np.empty(0, np.intp)
    sites = cKDTree(unit_vectors(site_lat, site_lon))
    points = cKDTree(unit_vectors(point_lat, point_lon))
    found = sites.sparse_distance_matrix(points, _chord(float(radii.max())), output_type="ndarray")
    site, point = found["i"].astype(np.intp), found["j"].astype(np.intp)
    km = great_circle_km(site_lat[site], site_lon[site], point_lat[point], point_lon[point])
    keep = km <= radii[site]
    return site[keep], point[keep]


@dataclass(frozen=True, slots=True, eq=False)
class Coverage:
    """Coverage lists both ways: `by_site` (sites x demand) row j lists the demand points site j
    covers; `by_demand` is its transpose (the sites covering each point), which the greedy
    updates and the exact model's rows need."""

    by_site: sp.csr_array
    by_demand: sp.csr_array
    radius_km: float


def coverage_lists(candidates: Candidates, demand: Demand, radius_km: float) -> Coverage:
    """Which demand points each candidate covers within `radius_km` (great-circle)."""
    site, point = pairs_within(
        candidates.latitude, candidates.longitude, demand.latitude, demand.longitude, radius_km
    )
    shape = (len(candidates), len(demand.weight))
    ones = np.ones(len(site), dtype=np.float64)
    by_site = sp.csr_array((ones, (site, point)), shape=shape)
    by_demand = sp.csr_array((ones, (point, site)), shape=shape[::-1])
    by_site.sort_indices()
    by_demand.sort_indices()
    return Coverage(by_site, by_demand, radius_km)


def covered_by(existing: Existing, demand: Demand) -> BoolArray:
    """Demand points within some existing position's own radius, by tansiq.analysis.coverage's
    rule (exact WGS84 geodesic distance), so "covered before" agrees with the vacuum report."""
    sites = [
        coverage.Site("", float(lat), float(lon), float(km) * 1000.0)
        for lat, lon, km in zip(
            existing.latitude, existing.longitude, existing.radius_km, strict=True
        )
    ]
    return coverage.covered(sites, demand.latitude, demand.longitude)


# --- greedy --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chosen:
    """Sites in the order they were added, and the risk each added then."""

    sites: tuple[int, ...]
    gains: tuple[float, ...]

    @property
    def covered(self) -> float:
        return float(sum(self.gains))


def greedy(coverage: Coverage, weight: FloatArray, k: int, covered: BoolArray) -> Chosen:
    """Up to `k` sites, each the one adding the most uncovered weight (ties: lowest index).

    Gains are kept exact rather than lazily bounded (CELF): when a site is chosen, only the
    sites covering its points lose anything, and the transposed lists name them, so each step
    costs its points' lists instead of re-scoring stale heads of a queue (bench/placement_bench
    .py's instance: 0.63 ms against 2.1 ms for a heapq CELF on the same lists). Same answer,
    same 1 - 1/e guarantee. Stops early when no site adds anything.
    """
    open_weight = np.where(covered, 0.0, weight)
    gains = coverage.by_site @ open_weight
    site_ptr = coverage.by_site.indptr.tolist()  # Python ints: cheaper to slice with
    points, point_ptr = coverage.by_site.indices, coverage.by_demand.indptr
    sites_of = coverage.by_demand.indices
    sites: list[int] = []
    added: list[float] = []
    for _ in range(k):
        site = int(gains.argmax())
        gain = float(gains[site])
        if gain <= 0.0:  # also once every site is taken (-inf)
            break
        sites.append(site)
        added.append(gain)
        row = points[site_ptr[site] : site_ptr[site + 1]]
        # Every site covering one of these points loses the point's open weight (0 for points
        # covered already, so they need no filtering out).
        starts = point_ptr[row]
        lengths = point_ptr[row + 1] - starts
        ends = lengths.cumsum()
        losers = sites_of[(starts - ends + lengths).repeat(lengths) + np.arange(ends[-1])]
        gains -= np.bincount(losers, open_weight[row].repeat(lengths), len(gains))
        open_weight[row] = 0.0
        gains[site] = -np.inf
    return Chosen(tuple(sites), tuple(added))


def in_order(
    coverage: Coverage, weight: FloatArray, covered: BoolArray, sites: tuple[int, ...]
) -> Chosen:
    """`sites` ranked greedily among themselves, with the risk each adds in that order."""
    if not sites:
        return Chosen((), ())
    chosen = np.array(sites, dtype=np.intp)
    mask = np.zeros(coverage.by_site.shape[0], dtype=np.bool_)
    mask[chosen] = True
    sub = Coverage(
        coverage.by_site[chosen],
        (coverage.by_demand[:, chosen]).tocsr(),
        coverage.radius_km,
    )
    ranked = greedy(sub, weight, len(sites), covered)
    order = [int(chosen[i]) for i in ranked.sites]
    rest = [site for site in sites if site not in set(order)]  # sites adding nothing, kept last
    return Chosen(tuple(order + rest), ranked.gains + (0.0,) * len(rest))


def covered_weight(
    coverage: Coverage, weight: FloatArray, covered: BoolArray, sites: tuple[int, ...]
) -> float:
    """Weight covered before plus what `sites` add, each point counted once."""
    now = covered.copy()
    if sites:
        now[coverage.by_site[np.array(sites, dtype=np.intp)].indices] = True
    return float(weight[now].sum())


# --- exact ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exact:
    """HiGHS's answer: the sites, the risk they add, whether that is proven optimal, the gap
    (relative, 0 when proven) and HiGHS's model status."""

    sites: tuple[int, ...]
    added: float
    proven: bool
    gap: float
    bound: float
    status: str
    seconds: float


@dataclass(frozen=True, slots=True, eq=False)
class _Model:
    """The reduced MIP: useful sites (columns x) and groups of open points covered by the same
    sites (columns y, weight summed), so HiGHS never sees two identical rows."""

    sites: IndexArray
    groups: sp.csr_array  # groups x useful sites
    weight: FloatArray


def _reduced(coverage: Coverage, weight: FloatArray, covered: BoolArray) -> _Model:
    by_demand = coverage.by_demand
    has_site = np.diff(by_demand.indptr) > 0
    points = np.flatnonzero((weight > 0) & ~covered & has_site)
    rows = by_demand[points]
    sites = np.unique(rows.indices)
    remap = np.full(by_demand.shape[1], -1, dtype=np.intp)
    remap[sites] = np.arange(len(sites))
    group_of: dict[bytes, int] = {}
    group_weight: list[float] = []
    members: list[IndexArray] = []
    for n, point in enumerate(points):
        key = rows.indices[rows.indptr[n] : rows.indptr[n + 1]]
        number = group_of.setdefault(key.tobytes(), len(group_of))
        if number == len(group_weight):
            group_weight.append(0.0)
            members.append(remap[key])
        group_weight[number] += float(weight[point])
    lengths = np.array([len(m) for m in members], dtype=np.intp)
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    indices = np.concatenate(members) if members else np.empty(0, np.intp)
    groups = sp.csr_array(
        (np.ones(len(indices)), indices, indptr), shape=(len(members), len(sites))
    )
    return _Model(sites, groups, np.array(group_weight, dtype=np.float64))


def _lp(model: _Model, k: int) -> highspy.HighsLp:
    """max sum w_g y_g  s.t.  y_g - sum_{j covers g} x_j <= 0,  sum x_j <= k,  x binary,
    0 <= y <= 1 (y is integral at an optimum, so it stays continuous)."""
    n, m = len(model.sites), len(model.weight)
    rows = sp.vstack(
        [
            sp.hstack([-model.groups, sp.eye_array(m)]),
            sp.hstack([np.ones((1, n)), sp.csr_array((1, m))]),
        ],
        format="csr",
    )
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + m, m + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate((np.zeros(n), model.weight))
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.ones(n + m)
    lp.row_lower_ = np.full(m + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate((np.zeros(m), [float(k)]))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
    lp.a_matrix_.index_ = rows.indices.astype(np.int32)
    lp.a_matrix_.value_ = rows.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    return lp


def exact(
    coverage: Coverage,
    weight: FloatArray,
    k: int,
    covered: BoolArray,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    start: tuple[int, ...] = (),
) -> Exact:
    """The MCLP solved by HiGHS within `time_limit_s`, warm-started from `start` (e.g. the
    greedy sites). Proven means HiGHS's status is optimal with no gap left to close."""
    began = time.perf_counter()
    model = _reduced(coverage, weight, covered)
    if not len(model.weight):
        return Exact((), 0.0, True, 0.0, 0.0, "nothing to cover", time.perf_counter() - began)
    highs = highspy.Highs()  # type: ignore[no-untyped-call]  # pybind11 class, no stubs
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 1e-9)
    highs.passModel(_lp(model, k))
    _warm_start(highs, model, start)
    highs.run()
    return _answer(highs, model, time.perf_counter() - began)


def _warm_start(highs: highspy.Highs, model: _Model, start: tuple[int, ...]) -> None:
    """Hand HiGHS the start's sites (those among the useful ones) and the groups they cover."""
    x = np.isin(model.sites, np.array(start, dtype=np.intp)).astype(np.float64)
    values = np.concatenate((x, np.minimum(model.groups @ x, 1.0)))
    highs.setSolution(len(values), np.arange(len(values), dtype=np.int32), values)


def _answer(highs: highspy.Highs, model: _Model, seconds: float) -> Exact:
    status = highs.getModelStatus()
    info = highs.getInfo()
    solution = highs.getSolution()
    n = len(model.sites)
    if not solution.value_valid:
        return Exact(
            (),
            0.0,
            False,
            float("inf"),
            float(info.mip_dual_bound),
            highs.modelStatusToString(status),
            seconds,
        )
    x = np.asarray(solution.col_value[:n]) > 0.5
    sites = tuple(int(s) for s in model.sites[x])
    added = float(model.weight[(model.groups @ x.astype(np.float64)) > 0.5].sum())
    proven = status == highspy.HighsModelStatus.kOptimal
    gap = 0.0 if proven else float(info.mip_gap)
    return Exact(
        sites,
        added,
        proven,
        gap,
        float(info.mip_dual_bound),
        highs.modelStatusToString(status),
        seconds,
    )


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlacementPlan:
    """Everything `plan` found. Risk figures are sums of demand weight: `total` in the region,
    `before` covered by existing positions, `after_greedy` and `after_exact` with the new sites
    too. `chosen` is the recommendation (the exact sites when HiGHS answered, else the greedy
    ones) ranked by the risk each adds; `seconds` times each stage."""

    k: int
    radius_km: float
    total: float
    before: float
    greedy: Chosen
    after_greedy: float
    exact: Exact | None
    after_exact: float | None
    chosen: Chosen
    seconds: dict[str, float]


def check_request(k: int, radius_km: float, candidates: int) -> None:
    """InvalidInput unless 1 <= k <= candidates and 0 < radius_km <= MAX_RADIUS_KM."""
    if not np.isfinite(radius_km) or not 0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidInput(
            f"radius must be more than 0 and at most {MAX_RADIUS_KM:g} km, got {radius_km:g}"
        )
    if not 1 <= k <= candidates:
        raise InvalidInput(f"k must be 1 to {candidates} (the number of candidate sites), got {k}")


def plan(
    demand: Demand,
    candidates: Candidates,
    existing: Existing,
    k: int,
    radius_km: float,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
) -> PlacementPlan:
    """Pick `k` new sites among `candidates` covering the most demand not yet covered by
    `existing`: greedy always, exact too unless `time_limit_s` is None."""
    check_request(k, radius_km, len(candidates))
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    covered = covered_by(existing, demand)
    coverage = coverage_lists(candidates, demand, radius_km)
    seconds["coverage"] = time.perf_counter() - clock
    clock = time.perf_counter()
    chosen = greedy(coverage, demand.weight, k, covered)
    seconds["greedy"] = time.perf_counter() - clock
    before = float(demand.weight[covered].sum())
    found = None
    if time_limit_s is not None:
        found = exact(coverage, demand.weight, k, covered, time_limit_s, chosen.sites)
        seconds["exact"] = found.seconds
    best = chosen
    if found is not None and found.sites and found.added > chosen.covered * (1 + 1e-12):
        best = in_order(coverage, demand.weight, covered, found.sites)
    return PlacementPlan(
        k=k,
        radius_km=radius_km,
        total=float(demand.weight.sum()),
        before=before,
        greedy=chosen,
        after_greedy=covered_weight(coverage, demand.weight, covered, chosen.sites),
        exact=found,
        after_exact=None if found is None else before + found.added,
        chosen=best,
        seconds=seconds,
    )


# --- candidate sites -----------------------------------------------------------------------------


def disputed_pcodes() -> tuple[frozenset[str], frozenset[str]]:
    """Disputed districts, and disputed sub-districts outside them (Mandali)."""
    found = [area for area in areas() if area.disputed]
    districts = frozenset(a.pcode for a in found if a.level == AreaLevel.DISTRICT)
    subdistricts = frozenset(
        a.pcode
        for a in found
        if a.level == AreaLevel.SUBDISTRICT and a.parent_pcode not in districts
    )
    return districts, subdistricts


def _disputed_cells(res: int) -> set[str]:
    """Cells at `res` whose centre lies in a disputed district or sub-district."""
    districts, subdistricts = disputed_pcodes()
    cells: set[str] = set()
    for level, wanted in ((AreaLevel.DISTRICT, districts), (AreaLevel.SUBDISTRICT, subdistricts)):
        pcodes, geometries = area_geometries(level)
        for pcode, geometry in zip(pcodes, geometries, strict=True):
            if pcode in wanted:
                cells.update(h3.geo_to_cells(mapping(geometry), res))
    return cells


def candidate_sites(res: int) -> Candidates:
    """Candidate sites in the disputed territories: gazetteer places, then the centres of the
    region's cells there at `res`.

    Deduplicated by cell: one place per cell (the first in gazetteer order, which puts GeoNames
    towns before COD and UCDP names), and no cell centre where a place already stands, since a
    place a few hundred metres from a cell centre is the same site on the ground. Built once
    per resolution (its arrays are read-only).
    """
    return _candidate_sites(check_res(res))


@functools.cache
def _candidate_sites(res: int) -> Candidates:
    disputed = _disputed_cells(res)
    districts, _ = disputed_pcodes()
    places: dict[str, tuple[float, float, str]] = {}
    for entry in gazetteer():
        cell = h3.latlng_to_cell(entry.latitude, entry.longitude, res)
        if entry.adm2_pcode in districts or cell in disputed:
            places.setdefault(cell, (entry.latitude, entry.longitude, entry.name))
    cells = [cell for cell in region_cells(res) if cell in disputed and cell not in places]
    lat, lon = cell_centres(cells)
    place_rows = list(places.values())
    latitude = np.concatenate(([p[0] for p in place_rows], lat))
    longitude = np.concatenate(([p[1] for p in place_rows], lon))
    latitude.flags.writeable = longitude.flags.writeable = False
    return Candidates(
        latitude=latitude,
        longitude=longitude,
        label=tuple(p[2] for p in place_rows) + tuple(cells),
        is_place=(True,) * len(place_rows) + (False,) * len(cells),
    )
