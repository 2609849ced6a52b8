"""Gi* hot spots on H3 cells, checked against esda on the shipped UCDP events."""

from __future__ import annotations

import csv
import functools
import warnings

import h3
import numpy as np
import pytest

from tansiq.analysis.events import EventArrays
from tansiq.analysis.hotspots import (
    HotspotResult,
    bin_label,
    cell_counts,
    esda_draws,
    event_cells,
    gi_star,
    permutation_counts,
    ring_neighbours,
    study_area,
)
from tansiq.errors import InvalidInput
from tests.conftest import SHIPPED_UCDP


@functools.cache
def ucdp_events() -> EventArrays:
    """The shipped UCDP events (1989-2017) as arrays."""
    with SHIPPED_UCDP.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["date_start"].startswith("#")]
    days = np.array(
        [np.datetime64(r["date_start"][:10], "D").astype(np.int64) for r in rows], np.int32
    )
    return EventArrays(
        np.array([float(r["latitude"]) for r in rows]),
        np.array([float(r["longitude"]) for r in rows]),
        days,
        np.array([int(r["best"] or 0) for r in rows], np.int32),
    )


def events_at(lat: np.ndarray, lon: np.ndarray) -> EventArrays:
    zeros = np.zeros(len(lat), np.int32)
    return EventArrays(np.asarray(lat, float), np.asarray(lon, float), zeros, zeros)


def esda_gi_star(result: HotspotResult, permutations: int, seed: int) -> object:
    """esda's G_Local (star, binary) on the result's counts and ring-1 neighbours."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    cells = np.array([h3.str_to_int(c) for c in result.cells], np.int64)
    w = W(ring_neighbours(cells).lists(), silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notice that its default alternative changes
        return G_Local(
            result.counts.astype(float),
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=True,
        )


def test_z_and_p_agree_with_esda_on_the_ucdp_events() -> None:
    ours = gi_star(ucdp_events(), 6, permutations=999, seed=7)
    esda: object = esda_gi_star(ours, 999, 7)

    np.testing.assert_allclose(ours.z, esda.Zs, rtol=0, atol=1e-9)  # type: ignore[attr-defined]
    sims, observed = esda.rGs, esda.Gs  # type: ignore[attr-defined]
    at_least, at_most = (sims >= observed[:, None]).sum(1), (sims <= observed[:, None]).sum(1)
    # Same draws as esda: our folded count from esda's own simulated values, tie in both tails.
    np.testing.assert_array_equal(ours.p, (np.minimum(at_least, at_most) + 1) / 1000)
    no_tie = (sims == observed[:, None]).sum(1) == 0
    assert no_tie.sum() > 50
    esda_p = esda.p_sim  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.p[no_tie], esda_p[no_tie], rtol=1e-6)
    # An event cell whose neighbours are all empty ties at 0 in every permutation: esda folds
    # that to p = 0.001 (a "99% cold spot"); counted in both tails it is no evidence at all.
    cells = np.array([h3.str_to_int(c) for c in ours.cells], np.int64)
    isolated = ring_neighbours(cells).neighbour_sums(ours.counts) == 0
    assert isolated.sum() > 50
    assert (esda_p[isolated] < 0.0011).all()
    assert (ours.p[isolated] > 0.1).all()
    assert (ours.gi_bin[isolated] == 0).all()


def test_permutation_counts_are_the_direct_count_per_cell() -> None:
    rng = np.random.default_rng(8)
    events = events_at(rng.normal(35.0, 0.1, 400), rng.normal(43.0, 0.1, 400))
    occupied, occupied_counts = cell_counts(events, 7)
    cells = study_area(occupied, 1)
    counts = np.zeros(len(cells), np.int64)
    counts[np.searchsorted(cells, occupied)] = occupied_counts
    graph = ring_neighbours(cells)

    at_least, at_most = permutation_counts(counts, graph, 199, 5)

    draws = esda_draws(len(cells), int(graph.cardinalities().max()), 199, 5)
    observed = graph.neighbour_sums(counts)
    for i, card in enumerate(graph.cardinalities()):
        sums = np.delete(counts, i)[draws[:, :card]].sum(axis=1)
        assert at_least[i] == (sums >= observed[i]).sum()
        assert at_most[i] == (sums <= observed[i]).sum()


def test_a_planted_cluster_is_a_hot_spot() -> None:
    rng = np.random.default_rng(3)
    centre = h3.latlng_to_cell(33.5, 43.5, 6)
    c_lat, c_lon = h3.cell_to_latlng(centre)
    lat = np.concatenate([rng.uniform(33.0, 34.0, 3000), c_lat + rng.normal(0, 0.08, 3000)])
    lon = np.concatenate([rng.uniform(43.0, 44.0, 3000), c_lon + rng.normal(0, 0.08, 3000)])

    result = gi_star(events_at(lat, lon), 6, permutations=999, seed=1)

    rows = {row["cell"]: row for row in result.rows()}
    assert rows[centre]["class"].startswith("Hot Spot")
    assert rows[centre]["z"] > 10
    hot = [cell for cell, row in rows.items() if row["gi_bin"] > 0]
    assert len(hot) >= 10
    assert all(h3.great_circle_distance(h3.cell_to_latlng(c), (c_lat, c_lon)) < 25 for c in hot)


def test_counts_and_the_study_area() -> None:
    events = ucdp_events()
    result = gi_star(events, 7, permutations=9)
    cells = np.array([h3.str_to_int(c) for c in result.cells], np.int64)
    occupied, _ = cell_counts(events, 7)

    assert int(result.counts.sum()) == len(events)
    assert list(cells) == sorted(cells)
    assert set(cells) == set(study_area(occupied, 1))
    one_by_one = [
        h3.str_to_int(h3.latlng_to_cell(lat, lon, 7))
        for lat, lon in zip(events.latitude, events.longitude, strict=True)
    ]
    assert event_cells(events, 7).tolist() == one_by_one
    first = h3.latlng_to_cell(events.latitude[0], events.longitude[0], 7)
    assert set(h3.grid_disk(first, 1)) <= set(result.cells)
    assert result.counts[result.cells.index(first)] >= 1


def test_seeded_permutations_repeat() -> None:
    events = ucdp_events()
    first = gi_star(events, 5, permutations=199, seed=4)
    again = gi_star(events, 5, permutations=199, seed=4)
    other = gi_star(events, 5, permutations=199, seed=5)

    np.testing.assert_array_equal(first.p, again.p)
    assert not np.array_equal(first.p, other.p)
    np.testing.assert_array_equal(first.z, other.z)


def test_fdr_is_benjamini_hochberg() -> None:
    result = gi_star(ucdp_events(), 5, permutations=99)
    p, m = result.p, len(result.p)
    order = np.argsort(p)
    by_hand = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]

    np.testing.assert_allclose(result.p_fdr[order], np.minimum(by_hand, 1))
    assert (result.p_fdr >= result.p).all()


def test_classes_follow_arcgis_bins() -> None:
    assert bin_label(3) == "Hot Spot - 99% Confidence"
    assert bin_label(-1) == "Cold Spot - 90% Confidence"
    assert bin_label(0) == "Not Significant"
    result = gi_star(ucdp_events(), 5, permutations=99)
    hot = result.gi_bin > 0
    assert (result.z[hot] > 0).all()
    assert (result.p_fdr[result.gi_bin == 0] > 0.10).all()
    assert (result.p_fdr[np.abs(result.gi_bin) == 3] <= 0.01).all()


def test_geojson_is_hexagons_in_lon_lat_order() -> None:
    result = gi_star(ucdp_events(), 5, permutations=9)
    collection = result.geojson(significant_only=False)

    features = collection["features"]
    assert len(features) == len(result.cells)
    ring = features[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) in (6, 7)  # 5 or 6 corners, closed
    lon, lat = np.array(ring).mean(axis=0)
    assert 38 < lon < 49
    assert 29 < lat < 38
    assert set(features[0]["properties"]) == {"cell", "class", "gi_bin", "count", "z", "p", "p_fdr"}


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput, match="resolution"):
        gi_star(ucdp_events(), 12)
    with pytest.raises(InvalidInput, match="no incidents"):
        gi_star(events_at(np.empty(0), np.empty(0)), 7)
    with pytest.raises(InvalidInput, match="p-value"):
        gi_star(ucdp_events(), 7, p_value="exact")


def test_normal_p_values_are_the_z_scores_tails_with_the_same_z() -> None:
    from scipy import stats

    permuted = gi_star(ucdp_events(), 6, permutations=9)
    normal = gi_star(ucdp_events(), 6, p_value="normal")

    assert normal.permutations == 0
    assert normal.cells == permuted.cells
    np.testing.assert_array_equal(normal.z, permuted.z)
    np.testing.assert_allclose(normal.p, 2 * stats.norm.sf(np.abs(normal.z)))
    # On the shipped events only the normal p finds hot spots (the module says why).
    assert (normal.gi_bin > 0).sum() >= 5
    assert not (gi_star(ucdp_events(), 6).gi_bin != 0).any()
