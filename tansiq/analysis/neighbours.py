"""Gaussian weights between the region's cells: how much each cell's events count for another.

Used to smooth counts in space (the forecast's spread term and the `kde_decay` baseline). The
weights are truncated at three bandwidths, so the matrix is sparse.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import KDTree

from tansiq.analysis.region import cell_centres, region_cells

KM_PER_DEGREE = 111.2
REGION_LATITUDE = 35.5  # the middle of the four governorates, for the local projection


def _planar_km(cells: list[str]) -> npt.NDArray[np.float64]:
    """Cell centres in km on a local equirectangular projection (exact enough across 5 degrees
    of latitude for kernel weights of a few km)."""
    lat, lon = cell_centres(cells)
    x = lon * KM_PER_DEGREE * math.cos(math.radians(REGION_LATITUDE))
    return np.column_stack([x, lat * KM_PER_DEGREE])


@functools.cache
def gaussian_weights(res: int, bandwidth_km: float) -> sp.csr_array:
    """Region cells x region cells: exp(-d^2 / 2 bw^2) for centres within 3 bw (1 on the
    diagonal), in region_cells(res) order."""
    points = _planar_km(region_cells(res))
    tree = KDTree(points)
    pairs = tree.query_pairs(3 * bandwidth_km, output_type="ndarray")
    distance = np.linalg.norm(points[pairs[:, 0]] - points[pairs[:, 1]], axis=1)
    weight = np.exp(-0.5 * (distance / bandwidth_km) ** 2)
    n = len(points)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    values = np.concatenate([weight, weight, np.ones(n)])
    return sp.csr_array(sp.coo_array((values, (rows, cols)), shape=(n, n)))
