"""tansiq.analysis.placement: coverage lists, greedy and exact MCLP answers, candidate sites."""

from __future__ import annotations

import itertools
import math

import h3
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.analysis import placement as pl
from tansiq.analysis.region import region_cells
from tansiq.domain.areas import AreaLevel
from tansiq.errors import InvalidInput
from tansiq.geo.reference import area_geometries, areas

KM_PER_DEGREE = 111.195  # on the 6371.0088 km sphere


def _points(
    rng: np.random.Generator, n: int, spread_deg: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """n points around Kirkuk (35.47 N, 44.39 E)."""
    return 35.47 + rng.uniform(-spread_deg, spread_deg, n), 44.39 + rng.uniform(
        -spread_deg, spread_deg, n
    )


def _vincenty_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the atan2 (Vincenty sphere) formula: a second opinion."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.hypot(
        math.cos(p2) * math.sin(dl),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
    )
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return pl.EARTH_RADIUS_KM * math.atan2(y, x)


def _instance(
    seed: int, sites: int, points: int, zero_share: float = 0.3
) -> tuple[pl.Candidates, pl.Demand]:
    rng = np.random.default_rng(seed)
    slat, slon = _points(rng, sites, 0.2)
    dlat, dlon = _points(rng, points, 0.25)
    weight = rng.pareto(1.5, points) * (rng.random(points) >= zero_share)
    labels = tuple(f"s{i}" for i in range(sites))
    return pl.Candidates(slat, slon, labels, (False,) * sites), pl.Demand(dlat, dlon, weight)


def _brute_best(coverage: pl.Coverage, weight: np.ndarray, covered: np.ndarray, k: int) -> float:
    rows = [set(coverage.by_site[[j]].indices.tolist()) for j in range(coverage.by_site.shape[0])]
    best = 0.0
    for choice in itertools.combinations(range(len(rows)), k):
        union = set().union(*(rows[j] for j in choice)) if choice else set()
        best = max(best, sum(weight[i] for i in union if not covered[i]))
    return best


# --- coverage lists ----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(0.5, 60.0))
def test_coverage_lists_match_brute_force_great_circle(seed: int, radius: float) -> None:
    candidates, demand = _instance(seed, 15, 120)

    coverage = pl.coverage_lists(candidates, demand, radius)

    for j in range(len(candidates)):
        listed = set(coverage.by_site[[j]].indices.tolist())
        for i in range(len(demand.weight)):
            km = _vincenty_km(
                candidates.latitude[j],
                candidates.longitude[j],
                demand.latitude[i],
                demand.longitude[i],
            )
            if abs(km - radius) > 1e-6:  # leave rounding ties on the circle itself alone
                assert (i in listed) == (km <= radius), (j, i, km, radius)
    assert (coverage.by_demand.toarray() == coverage.by_site.toarray().T).all()


def test_coverage_uses_great_circle_not_degrees() -> None:
    """At 36 N a degree of longitude is about 90 km, so a point 0.1 degree east is 9 km away."""
    site = pl.Candidates(np.array([36.0]), np.array([44.0]), ("x",), (False,))
    demand = pl.Demand(np.array([36.0, 36.0]), np.array([44.1, 44.12]), np.ones(2))

    coverage = pl.coverage_lists(site, demand, 10.0)

    assert coverage.by_site[[0]].indices.tolist() == [0]  # 9.0 km in, 10.8 km out


def test_existing_positions_cover_within_their_own_radius() -> None:
    demand = pl.Demand(np.array([36.0, 36.0, 36.0]), np.array([44.0, 44.05, 44.2]), np.ones(3))
    near_wide = pl.Existing(np.array([36.0]), np.array([44.0]), np.array([5.0]))
    near_narrow = pl.Existing(np.array([36.0]), np.array([44.0]), np.array([4.0]))

    assert pl.covered_by(near_wide, demand).tolist() == [True, True, False]  # 4.5 km in
    assert pl.covered_by(near_narrow, demand).tolist() == [True, False, False]
    assert not pl.covered_by(pl.Existing.none(), demand).any()


# --- greedy and exact --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), radius=st.floats(3.0, 25.0))
def test_exact_is_the_brute_force_optimum_and_greedy_is_within_its_bound(
    seed: int, k: int, radius: float
) -> None:
    candidates, demand = _instance(seed, 8, 40)
    coverage = pl.coverage_lists(candidates, demand, radius)
    covered = np.zeros(len(demand.weight), dtype=bool)
    covered[: len(covered) // 5] = True  # some demand already covered, worth nothing more

    best = _brute_best(coverage, demand.weight, covered, k)
    chosen = pl.greedy(coverage, demand.weight, k, covered)
    found = pl.exact(coverage, demand.weight, k, covered, 10.0, chosen.sites)

    assert found.proven
    assert found.gap == 0.0
    assert found.added == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert len(found.sites) <= k
    assert chosen.covered <= found.added + 1e-9
    assert chosen.covered >= (1 - 1 / math.e) * best - 1e-9
    before = float(demand.weight[covered].sum())
    # What greedy says each site added is what its sites really cover, each point once.
    assert before + chosen.covered == pytest.approx(
        pl.covered_weight(coverage, demand.weight, covered, chosen.sites)
    )
    assert pl.covered_weight(coverage, demand.weight, covered, found.sites) == pytest.approx(
        before + best
    )


def test_greedy_counts_each_point_once_and_stops_when_nothing_is_left() -> None:
    # Two sites over the same two points, a third over a point an existing position covers.
    candidates = pl.Candidates(
        np.array([36.0, 36.0, 37.0]), np.array([44.0, 44.001, 44.0]), ("a", "b", "c"), (False,) * 3
    )
    demand = pl.Demand(
        np.array([36.0, 36.01, 37.0]), np.array([44.0, 44.0, 44.0]), np.array([2.0, 3.0, 7.0])
    )
    existing = pl.Existing(np.array([37.0]), np.array([44.0]), np.array([1.0]))

    result = pl.plan(demand, candidates, existing, 3, 5.0)

    assert result.total == 12.0
    assert result.before == 7.0
    assert result.greedy.sites == (0,)  # b adds nothing after a; c only what is covered
    assert result.greedy.gains == (5.0,)
    assert result.after_greedy == 12.0
    assert result.after_exact == 12.0
    assert result.exact is not None
    assert result.exact.proven


def test_plan_reports_the_exact_answer_when_it_beats_greedy() -> None:
    """The classic greedy trap: one big site in the middle, two that together cover more."""
    # Points at 0, 1, 2, 3 km steps east along 36 N; weights make the middle site look best.
    east = 44.0 + np.array([0.0, 1.0, 2.0, 3.0]) / (KM_PER_DEGREE * math.cos(math.radians(36.0)))
    demand = pl.Demand(np.full(4, 36.0), east, np.array([3.0, 4.0, 4.0, 3.0]))
    middle_east = (east[1] + east[2]) / 2
    candidates = pl.Candidates(
        np.full(3, 36.0),
        np.array([middle_east, (east[0] + east[1]) / 2, (east[2] + east[3]) / 2]),
        ("middle", "west", "east"),
        (False,) * 3,
    )
    # Within 0.6 km: middle covers points 1 and 2 (8), west 0 and 1 (7), east 2 and 3 (7).
    result = pl.plan(demand, candidates, pl.Existing.none(), 2, 0.6)

    assert result.greedy.sites[0] == 0
    assert result.after_greedy == pytest.approx(11.0)
    assert result.exact is not None
    assert result.exact.proven
    assert result.after_exact == pytest.approx(14.0)
    assert set(result.chosen.sites) == {1, 2}
    assert result.chosen.gains == pytest.approx((7.0, 7.0))


def test_an_exact_run_out_of_time_says_so() -> None:
    rng = np.random.default_rng(5)
    dlat, dlon = _points(rng, 4000, 1.0)
    demand = pl.Demand(dlat, dlon, rng.pareto(1.2, 4000))
    slat, slon = _points(rng, 400, 1.0)
    candidates = pl.Candidates(slat, slon, tuple(map(str, range(400))), (False,) * 400)

    result = pl.plan(demand, candidates, pl.Existing.none(), 30, 12.0, time_limit_s=1e-3)

    assert result.exact is not None
    assert not result.exact.proven
    assert result.exact.gap > 0
    assert "time limit" in result.exact.status.lower()
    assert result.after_exact is not None
    assert result.after_exact >= result.after_greedy - 1e-9


def test_without_a_time_limit_only_greedy_runs() -> None:
    candidates, demand = _instance(3, 20, 200)

    result = pl.plan(demand, candidates, pl.Existing.none(), 4, 10.0, time_limit_s=None)

    assert result.exact is None
    assert result.after_exact is None
    assert result.chosen == result.greedy
    assert len(result.greedy.sites) == 4
    assert list(result.greedy.gains) == sorted(result.greedy.gains, reverse=True)


@pytest.mark.parametrize(
    ("k", "radius", "message"),
    [
        (0, 10.0, "k must be 1 to 20"),
        (21, 10.0, "k must be 1 to 20"),
        (3, 0.0, "radius must be more than 0"),
        (3, -5.0, "radius must be more than 0"),
        (3, 5000.0, "at most 200 km"),
        (3, float("nan"), "radius must be"),
    ],
)
def test_bad_requests_are_refused(k: int, radius: float, message: str) -> None:
    candidates, demand = _instance(1, 20, 50)

    with pytest.raises(InvalidInput, match=message):
        pl.plan(demand, candidates, pl.Existing.none(), k, radius)


# --- candidate sites ---------------------------------------------------------------------------


def test_candidate_sites_are_places_and_cells_in_the_disputed_districts_one_per_cell() -> None:
    found = pl.candidate_sites(7)
    districts, subdistricts = pl.disputed_pcodes()

    cells = [
        h3.latlng_to_cell(la, lo, 7) for la, lo in zip(found.latitude, found.longitude, strict=True)
    ]
    assert len(set(cells)) == len(cells)
    assert len(districts) == 14
    assert len(subdistricts) == 1
    names = {label for label, place in zip(found.label, found.is_place, strict=True) if place}
    assert {"Kirkuk", "Sinjar", "Khanaqin"} <= names
    region = set(region_cells(7))
    cell_labels = [
        label for label, place in zip(found.label, found.is_place, strict=True) if not place
    ]
    assert cell_labels
    assert set(cell_labels) <= region
    # Every candidate is in (or, for a place, within 2 km of) a disputed unit.
    pcodes, geometries = area_geometries(AreaLevel.SUBDISTRICT)
    disputed = shapely.union_all(
        [g for p, g in zip(pcodes, geometries, strict=True) if p in _disputed_subdistricts()]
    ).buffer(0.02)
    assert shapely.contains_xy(disputed, found.longitude, found.latitude).all()
    outside = shapely.union_all(geometries).difference(disputed.buffer(0.05))
    assert not shapely.intersects_xy(outside, found.longitude, found.latitude).any()


def _disputed_subdistricts() -> set[str]:
    return {a.pcode for a in areas() if a.disputed and a.level == AreaLevel.SUBDISTRICT}


@pytest.mark.parametrize("seed", range(5))
def test_greedy_gains_add_up_to_what_its_sites_cover_in_crowded_instances(seed: int) -> None:
    """Many overlapping discs and picks: each point is subtracted from the others' gains once."""
    candidates, demand = _instance(seed, 60, 600)
    coverage = pl.coverage_lists(candidates, demand, 15.0)
    covered = np.zeros(len(demand.weight), dtype=bool)

    chosen = pl.greedy(coverage, demand.weight, 20, covered)

    assert chosen.covered == pytest.approx(
        pl.covered_weight(coverage, demand.weight, covered, chosen.sites)
    )
    for n in range(1, len(chosen.sites)):  # and each gain is the true marginal at its step
        assert chosen.gains[n] == pytest.approx(
            pl.covered_weight(coverage, demand.weight, covered, chosen.sites[: n + 1])
            - pl.covered_weight(coverage, demand.weight, covered, chosen.sites[:n])
        )


def test_candidate_sites_are_built_once_and_cannot_be_changed() -> None:
    first = pl.candidate_sites(6)

    assert pl.candidate_sites(6) is first
    with pytest.raises(ValueError, match="read-only"):
        first.latitude[0] = 0.0
    with pytest.raises(InvalidInput, match="H3 resolution"):
        pl.candidate_sites(12)
