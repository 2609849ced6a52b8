"""Metres for deconfliction: an azimuthal equidistant plane centred on Iraq.

The plane is centred on the middle of Iraq's bounding box (33.22°N, 43.68°E). Its scale is 1
along every line through the centre and c / sin(c) across them (c the angular distance from
the centre), so it does not shorten distances (by at most 5 parts in a billion, rounding of the
ellipsoidal form) and lengthens them by at most 0.177 % anywhere in Iraq and 0.565 % anywhere
in the theatre (the box lon 35-52.5°E, lat 26-40.5°N: Iraq and about 350 km around it); the
figures are the largest Tissot semi-axis over each box. A rule that must never miss a conflict
compares planar distances with its thresholds times `SCALE_BOUND` (tansiq.domain.
deconfliction does), so a pair up to 0.6 % farther apart than its buffers may be flagged, and
no pair within them is missed. (The Lambert conic that tansiq.geo.outline uses shortens
distances by up to 0.21 % over Iraq, so it would need slack both ways.)

Edges are drawn as GeoJSON draws them, straight in longitude and latitude: they are cut to at
most `_EDGE_DEG` before projection, so a 60 km polygon side bends as it does on the map.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

IRAQ_AEQD: Final = "+proj=aeqd +lat_0=33.22 +lon_0=43.68 +datum=WGS84 +units=m +no_defs"
"""The metric plane (see the module docstring)."""

THEATRE: Final = (35.0, 26.0, 52.5, 40.5)
"""West, south, east, north (degrees): where the plane's distances are trusted."""

SCALE_BOUND: Final = 1.006
"""No planar distance in the theatre exceeds the geodesic one by this factor or more."""

_EDGE_DEG: Final = 0.05  # about 5 km: a lon/lat edge and its projected chord differ by < 1 m


@functools.cache
def _to_metres() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", IRAQ_AEQD, always_xy=True)


@functools.cache
def _to_degrees() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(IRAQ_AEQD, "EPSG:4326", always_xy=True)


def _through(transformer: pyproj.Transformer) -> Any:
    def apply(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return apply


def in_theatre(geometry: BaseGeometry) -> bool:
    """True when every coordinate of `geometry` lies in THEATRE (and is finite)."""
    xy = shapely.get_coordinates(geometry)
    if not len(xy) or not np.isfinite(xy).all():
        return False
    west, south, east, north = THEATRE
    lon, lat = xy[:, 0], xy[:, 1]
    return bool(((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)).all())


def to_metres(geometry: BaseGeometry) -> BaseGeometry:
    """A WGS84 lon/lat geometry in the plane, in metres (edges cut first, see the docstring)."""
    if geometry.geom_type != "Point":
        geometry = shapely.segmentize(geometry, _EDGE_DEG)
    return shapely.transform(geometry, _through(_to_metres()))


def to_degrees(geometry: BaseGeometry) -> BaseGeometry:
    """A geometry in the plane back in WGS84 lon/lat (its vertices; edges are not re-cut)."""
    return shapely.transform(geometry, _through(_to_degrees()))


def point_metres(lon: float, lat: float) -> tuple[float, float]:
    """One lon/lat point in the plane."""
    x, y = _to_metres().transform(lon, lat)
    return float(x), float(y)


def point_degrees(x: float, y: float) -> tuple[float, float]:
    """One point of the plane as lon/lat."""
    lon, lat = _to_degrees().transform(x, y)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"{x}, {y} is not a point of the plane")
    return float(lon), float(lat)
