"""The deconfliction plane (tansiq.geo.metric): its distances against the geodesic ones."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point, box

from tansiq.geo import metric

GEOD = pyproj.Geod(ellps="WGS84")
IRAQ = (38.79, 29.06, 48.57, 37.38)


def planar_over_geodesic(bounds: tuple[float, float, float, float], seed: int) -> np.ndarray:
    """Ratios for 20,000 random pairs of points in `bounds`, 10 m to 300 km apart."""
    rng = np.random.default_rng(seed)
    n = 20_000
    west, south, east, north = bounds
    lon, lat = rng.uniform(west, east, n), rng.uniform(south, north, n)
    lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, n), 10 ** rng.uniform(1, 5.5, n))
    keep = (lon2 >= west) & (lon2 <= east) & (lat2 >= south) & (lat2 <= north)
    geodesic = GEOD.inv(lon[keep], lat[keep], lon2[keep], lat2[keep])[2]
    transformer = pyproj.Transformer.from_crs("EPSG:4326", metric.IRAQ_AEQD, always_xy=True)
    x, y = transformer.transform(lon[keep], lat[keep])
    x2, y2 = transformer.transform(lon2[keep], lat2[keep])
    return np.asarray(np.hypot(x2 - x, y2 - y) / geodesic)


def test_in_iraq_planar_distances_are_within_0_177_percent_and_never_shorter() -> None:
    ratio = planar_over_geodesic(IRAQ, seed=1)
    assert ratio.min() >= 1 - 5e-9
    assert ratio.max() < 1.00177


def test_in_the_theatre_planar_distances_are_within_the_scale_bound() -> None:
    ratio = planar_over_geodesic(metric.THEATRE, seed=2)
    assert ratio.min() >= 1 - 5e-9
    assert ratio.max() < metric.SCALE_BOUND
    assert ratio.max() > 1.004  # the bound is not loose by much: the corners reach 0.565 %


def test_points_go_there_and_back() -> None:
    x, y = metric.point_metres(44.39, 35.44)
    lon, lat = metric.point_degrees(x, y)
    assert (lon, lat) == pytest.approx((44.39, 35.44), abs=1e-9)
    assert metric.point_metres(43.68, 33.22) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_long_edges_follow_their_lon_lat_line() -> None:
    """A 60 km polygon side is cut before projection: its midpoint stays on the side."""
    side = LineString([(43.5, 35.0), (44.16, 35.0)])
    projected = metric.to_metres(side)
    middle = metric.point_metres(43.83, 35.0)
    assert projected.distance(Point(middle)) < 1.0
    assert len(projected.coords) > 2


def test_the_theatre_holds_iraq_and_not_the_world() -> None:
    assert metric.in_theatre(box(*IRAQ))
    assert not metric.in_theatre(Point(2.35, 48.85))
    assert not metric.in_theatre(LineString([(44, 35), (60, 35)]))
    assert not metric.in_theatre(Point(float("nan"), 35))


def test_geometries_go_there_and_back() -> None:
    square = box(44.0, 35.0, 44.1, 35.1)
    back = metric.to_degrees(metric.to_metres(square))
    assert back.equals_exact(square.segmentize(0.05), 1e-9)
