"""Gaussian smoothing over the region's cells: how much each cell's events count for another.

Used to smooth counts in space (the forecast's spread term and the `kde_decay` baseline).
Weights are exp(-d^2 / 2 bw^2) between cell centres, truncated at three bandwidths. Only the
cells holding a value are visited (a few hundred), so the cost does not grow with the number
of cells: a full weight matrix at res 9 (850,000 cells) would not fit in memory.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
from scipy.spatial import KDTree

from tansiq.analysis.region import cell_centres, region_cells

KM_PER_DEGREE = 111.2
REGION_LATITUDE = 35.5  # the middle of the four governorates, for the local projection


@functools.cache
def _centres_km(res: int) -> tuple[KDTree, npt.NDArray[np.float64]]:
    """Cell centres in km on a local equirectangular projection (exact enough across 5 degrees
    of latitude for kernel weights of a few km), and a tree over them."""
    lat, lon = cell_centres(region_cells(res))
    x = lon * KM_PER_DEGREE * math.cos(math.radians(REGION_LATITUDE))
    points = np.column_stack([x, lat * KM_PER_DEGREE])
    return KDTree(points), points


def gaussian_smooth(
    values: npt.NDArray[np.float64], res: int, bandwidth_km: float
) -> npt.NDArray[np.float64]:
    """At every region cell, the sum of `values` (in region_cells(res) order) weighted by the
    Gaussian of the distance between centres; a cell's own value has weight 1."""
    tree, points = _centres_km(res)
    smoothed = np.zeros(len(points))
    for source in np.flatnonzero(values):
        near = np.asarray(tree.query_ball_point(points[source], 3 * bandwidth_km), np.intp)
        squared = ((points[near] - points[source]) ** 2).sum(axis=1)
        smoothed[near] += values[source] * np.exp(-0.5 * squared / bandwidth_km**2)
    return smoothed
