"""Gaussian smoothing over the region's cells."""

from __future__ import annotations

import math

import h3
import numpy as np
import pytest

from tansiq.analysis.neighbours import gaussian_smooth
from tansiq.analysis.region import region_cells


def test_one_event_spreads_by_distance_and_stops_at_three_bandwidths() -> None:
    cells = region_cells(7)
    centre = cells.index(h3.latlng_to_cell(35.4681, 44.3922, 7))  # Kirkuk
    values = np.zeros(len(cells))
    values[centre] = 2.0
    smoothed = gaussian_smooth(values, 7, 4.0)
    assert smoothed[centre] == 2.0
    neighbour = cells.index(h3.grid_ring(cells[centre], 1)[0])
    km = h3.great_circle_distance(
        h3.cell_to_latlng(cells[centre]), h3.cell_to_latlng(cells[neighbour]), unit="km"
    )
    assert smoothed[neighbour] == pytest.approx(2 * math.exp(-0.5 * (km / 4) ** 2), rel=0.01)
    far = cells.index(h3.grid_ring(cells[centre], 8)[0])  # 8 rings of ~2.4 km: past 12 km
    assert smoothed[far] == 0
    assert 0 < (smoothed > 0).sum() < 200


def test_nothing_smooths_to_nothing() -> None:
    assert not gaussian_smooth(np.zeros(len(region_cells(6))), 6, 4.0).any()
