"""The analysis region: H3 cells of the disputed band's four governorates.

The region of issue 5 is the cells whose centres fall inside Ninewa, Kirkuk, Diyala or Salah
al-Din (COD 2019 outlines). h3's polygon fill uses exactly that rule (a cell belongs when its
centre is inside), so the region is `polygon_to_cells` of each governorate, merged.
"""

from __future__ import annotations

import functools
from typing import Final

import h3
import numpy as np
import numpy.typing as npt
from shapely.geometry import mapping

from tansiq.domain.areas import AreaLevel
from tansiq.errors import InvalidInput
from tansiq.geo.reference import area_geometries

REGION_GOVERNORATES: Final = ("IQG15", "IQG13", "IQG10", "IQG16")
"""Ninewa, Kirkuk, Diyala, Salah Al-Din: the governorates of the disputed band."""

MIN_RES: Final = 4
MAX_RES: Final = 9


def check_res(res: int) -> int:
    """`res` if tansiq analyses at that H3 resolution, else InvalidInput."""
    if not MIN_RES <= res <= MAX_RES:
        raise InvalidInput(f"H3 resolution must be {MIN_RES} to {MAX_RES}, got {res}")
    return res


@functools.cache
def _region_cells(res: int) -> tuple[str, ...]:
    pcodes, geometries = area_geometries(AreaLevel.GOVERNORATE)
    cells: set[str] = set()
    for pcode, geometry in zip(pcodes, geometries, strict=True):
        if pcode in REGION_GOVERNORATES:
            cells.update(h3.geo_to_cells(mapping(geometry), res))
    return tuple(sorted(cells))


def region_cells(res: int) -> list[str]:
    """The region's cells at `res`, sorted (the same order on every call)."""
    return list(_region_cells(check_res(res)))


def cell_centres(cells: list[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Latitudes and longitudes of the cells' centres, in the cells' order."""
    points = np.array([h3.cell_to_latlng(cell) for cell in cells], dtype=np.float64)
    if not len(points):
        return np.empty(0), np.empty(0)
    return points[:, 0].copy(), points[:, 1].copy()
