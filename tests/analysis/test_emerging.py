"""Emerging hot spots: the cube, space-time Gi*, Mann-Kendall and the 17 patterns."""

from __future__ import annotations

import warnings
from datetime import date

import h3
import numpy as np
import pytest
from scipy import stats

from tansiq.analysis.emerging import (
    PATTERNS,
    SpaceTimeCube,
    emerging_hotspots,
    mann_kendall,
    patterns,
    space_time_cube,
    space_time_gi,
    time_steps,
)
from tansiq.analysis.events import EventArrays, day_number
from tansiq.analysis.hotspots import ring_neighbours
from tansiq.errors import InvalidInput
from tests.analysis.test_hotspots import ucdp_events

JAN_2015 = day_number(date(2015, 1, 1))

# One row per pattern: hot (H), cold (C) or nothing (.) per step, and the trend of z (up,
# down, none). Ten or twenty steps: "90%" is 9 of 10 or 18 of 20.
CONSTRUCTED = {
    "New Hot Spot": ("........H", "none"),
    "Consecutive Hot Spot": ("......HHH", "up"),
    "Intensifying Hot Spot": ("HHHHHHHHH.HHHHHHHHHH", "up"),
    "Persistent Hot Spot": ("HHHHHHHHHH", "none"),
    "Diminishing Hot Spot": ("HHHHHHHHHH", "down"),
    "Sporadic Hot Spot": ("..H..H...H", "none"),
    "Oscillating Hot Spot": ("..C..H...H", "none"),
    "Historical Hot Spot": ("HHHHHHHHHHHHHHHHHH..", "down"),
    "New Cold Spot": ("H........C", "none"),
    "Consecutive Cold Spot": ("........CC", "down"),
    "Intensifying Cold Spot": ("CCCCCCCCCC", "down"),
    "Persistent Cold Spot": ("C.CCCCCCCCCCCCCCCCCC", "none"),
    "Diminishing Cold Spot": ("CCCCCCCCCC", "up"),
    "Sporadic Cold Spot": ("C.C..CC..C", "none"),
    "Oscillating Cold Spot": ("C..H..H..C", "none"),
    "Historical Cold Spot": ("CCCCCCCCCCCCCCCCCCC.", "up"),
    "No Pattern Detected": ("HHH.......", "down"),
}


def flags(series: str) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c == "H" for c in series]), np.array([c == "C" for c in series])


@pytest.mark.parametrize("expected", PATTERNS)
def test_each_pattern_from_a_constructed_cube(expected: str) -> None:
    series, trend = CONSTRUCTED[expected]
    hot, cold = flags(series)
    z, p = {"up": (3.0, 0.003), "down": (-3.0, 0.003), "none": (0.5, 0.6)}[trend]

    found = patterns(hot[None], cold[None], np.array([z]), np.array([p]), 0.10)

    assert found == [expected]


def test_the_table_covers_every_pattern_and_edge_cases_go_elsewhere() -> None:
    assert set(CONSTRUCTED) == set(PATTERNS)
    assert len(PATTERNS) == 17
    cube = [flags(s) for s in ("HHHHHHHHHH", ".HHHHHHHHH", "H.......HH", "HHHHHHHH..")]
    hot = np.array([h for h, _ in cube])
    cold = np.array([c for _, c in cube])
    none = np.full(4, 0.5)

    found = patterns(hot, cold, np.zeros(4), none, 0.10)

    # 9 of 10 with no trend is persistent; an earlier hot step breaks a consecutive run;
    # 8 of 10 is under 90%, so losing the last two steps is no historical hot spot.
    assert found == [
        "Persistent Hot Spot",
        "Persistent Hot Spot",
        "Sporadic Hot Spot",
        "No Pattern Detected",
    ]


def test_mann_kendall_matches_kendalls_tau_with_ties() -> None:
    rng = np.random.default_rng(2)
    series = np.round(rng.normal(0, 1, (50, 30)) + np.linspace(0, 1, 30), 1)  # many ties
    series[0] = 0.0
    found = mann_kendall(series)

    for row, s, var, p in zip(series, found.s, found.var, found.p, strict=True):
        if not row.std():
            assert s == 0
            assert p == 1
            continue
        tau = stats.kendalltau(np.arange(30), row, method="asymptotic")
        z_without_correction = stats.norm.isf(tau.pvalue / 2) * np.sign(tau.statistic)
        assert s / np.sqrt(var) == pytest.approx(z_without_correction, rel=1e-9)
        assert p == pytest.approx(2 * stats.norm.sf((abs(s) - 1) / np.sqrt(var)))


def test_time_steps_are_months_up_to_five_years_then_quarters() -> None:
    months = time_steps(day_number(date(2014, 6, 10)), day_number(date(2015, 5, 1)))
    quarters = time_steps(day_number(date(1989, 2, 1)), day_number(date(2017, 12, 31)))

    assert (months.unit, months.count) == ("month", 12)
    assert months.labels()[0] == "2014-06"
    assert months.labels()[-1] == "2015-05"
    assert (quarters.unit, quarters.count) == ("quarter", 116)
    assert quarters.labels()[:2] == ["1989-Q1", "1989-Q2"]
    with pytest.raises(InvalidInput, match="at least 10 time steps"):
        time_steps(day_number(date(2014, 6, 10)), day_number(date(2014, 12, 1)))


def test_space_time_gi_agrees_with_esda_on_the_explicit_neighbourhood() -> None:
    from esda.getisord import G_Local
    from libpysal.weights import W

    events = ucdp_events()
    first, last = day_number(date(2014, 1, 1)), day_number(date(2014, 12, 31))
    steps = time_steps(first, last)
    cube = space_time_cube(events.where((events.day >= first) & (events.day <= last)), 5, steps)

    ours = space_time_gi(cube, time_window=1)

    w = W(space_time_neighbours(cube), silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda = G_Local(
            cube.counts.ravel().astype(float), w, transform="B", star=True, permutations=0
        )
    np.testing.assert_allclose(ours.ravel(), esda.Zs, rtol=0, atol=1e-9)


def space_time_neighbours(cube: SpaceTimeCube) -> dict[int, list[int]]:
    """Bin t * cells + c: ring-1 cells in step t; the cell and its ring-1 cells in step t - 1."""
    spatial = ring_neighbours(cube.cells).lists()
    n = len(cube.cells)
    out: dict[int, list[int]] = {}
    for t in range(cube.steps.count):
        for c, ring in spatial.items():
            here = [t * n + j for j in ring]
            before = [(t - 1) * n + j for j in [c, *ring]] if t else []
            out[t * n + c] = here + before  # looks back only, as ArcGIS's neighbourhood does
    return out


def planted(per_step: list[int], seed: int = 0) -> EventArrays:
    """Monthly events from January 2015: an even spread over a 1-degree box every month, and a
    cluster of `per_step[i]` events around one cell in month i."""
    rng = np.random.default_rng(seed)
    c_lat, c_lon = h3.cell_to_latlng(h3.latlng_to_cell(33.5, 43.5, 6))
    lat, lon, day = [], [], []
    for month, extra in enumerate(per_step):
        start = day_number(date(2015 + month // 12, month % 12 + 1, 1))
        lat += [rng.uniform(33, 34, 300), c_lat + rng.normal(0, 0.08, extra)]
        lon += [rng.uniform(43, 44, 300), c_lon + rng.normal(0, 0.08, extra)]
        day += [np.full(300 + extra, start + 10)]
    zeros = np.zeros(sum(len(d) for d in day), np.int32)
    return EventArrays(
        np.concatenate(lat), np.concatenate(lon), np.concatenate(day).astype(np.int32), zeros
    )


CENTRE = h3.latlng_to_cell(33.5, 43.5, 6)


@pytest.mark.parametrize(
    ("per_step", "expected"),
    [
        ([0] * 11 + [400], "New Hot Spot"),
        ([300] * 20, "Persistent Hot Spot"),
        ([100 + 40 * i for i in range(12)], "Intensifying Hot Spot"),
        ([600 - 40 * i for i in range(12)], "Diminishing Hot Spot"),
        ([300] * 18 + [0, 0], "Historical Hot Spot"),  # the final step still sees the one before
        ([0] * 9 + [300] * 3, "Consecutive Hot Spot"),
    ],
)
def test_planted_clusters_in_a_cube_of_events(per_step: list[int], expected: str) -> None:
    result = emerging_hotspots(planted(per_step), 6)

    assert result.unit == "month"
    assert len(result.step_labels) == len(per_step)
    assert result.pattern[result.cells.index(CENTRE)] == expected


def test_ucdp_quarters_and_output_rows() -> None:
    result = emerging_hotspots(ucdp_events(), 5)

    assert result.unit == "quarter"
    assert len(result.step_labels) == 116
    assert int(result.counts.sum()) == len(ucdp_events())
    rows = result.rows()
    assert rows
    assert all(row["pattern"] != "No Pattern Detected" for row in rows)
    assert len(result.rows(patterned_only=False)) == len(result.cells)
    feature = result.geojson()["features"][0]
    assert feature["properties"]["pattern"] == rows[0]["pattern"]
    assert feature["geometry"]["type"] == "Polygon"


def test_bad_input_is_refused() -> None:
    events = planted([10] * 12)
    with pytest.raises(InvalidInput, match="resolution"):
        emerging_hotspots(events, 3)
    with pytest.raises(InvalidInput, match="time window"):
        emerging_hotspots(events, 6, time_window=5)
    with pytest.raises(InvalidInput, match="no incidents"):
        emerging_hotspots(events, 6, JAN_2015 - 400, JAN_2015 - 10)
