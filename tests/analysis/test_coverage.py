"""Coverage and the vacuum: exact distance counts, circle polygons within their stated error,
and the real disputed districts with the demo's synthetic positions and the shipped UCDP events."""

from __future__ import annotations

import csv
import functools
import math
from datetime import UTC, date, datetime

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from tansiq.analysis.coverage import (
    CIRCLE_SAG,
    DisputedUnit,
    Site,
    active_at,
    circles,
    covered,
    covered_by,
    disputed_units,
    km2,
    to_plane,
    vacuum,
)
from tansiq.analysis.events import EventArrays, day_number
from tansiq.analysis.forecast import predict
from tansiq.demo_positions import demo_positions
from tests.conftest import SHIPPED_UCDP

GEOD = Geod(ellps="WGS84")
EARTH_R_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_R_M * math.asin(math.sqrt(h))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


sites_strategy = st.lists(
    st.builds(
        Site,
        partner=st.sampled_from(["joc", "krg", "jcc"]),
        latitude=st.floats(33.0, 37.5),
        longitude=st.floats(41.0, 46.5),
        radius_m=st.floats(0.0, 60_000.0),
    ),
    max_size=12,
)
points_strategy = st.lists(st.tuples(st.floats(32.5, 38.0), st.floats(40.5, 47.0)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(sites=sites_strategy, points=points_strategy)
def test_covered_by_is_brute_force_distance(
    sites: list[Site], points: list[tuple[float, float]]
) -> None:
    lat = np.array([p[0] for p in points], dtype=np.float64)
    lon = np.array([p[1] for p in points], dtype=np.float64)

    masks = covered_by(sites, lat, lon)
    anyone = covered(sites, lat, lon)

    assert sorted(masks) == sorted({s.partner for s in sites})
    for partner, mask in masks.items():
        mine = [s for s in sites if s.partner == partner]
        for i, (la, lo) in enumerate(points):
            exact = [geodesic_m(s.latitude, s.longitude, la, lo) - s.radius_m for s in mine]
            assert mask[i] == (min(exact) <= 0), (partner, la, lo, exact)
            # The haversine agrees except within 0.6 % of the radius (sphere vs ellipsoid).
            rough = [
                haversine_m(s.latitude, s.longitude, la, lo) / s.radius_m
                for s in mine
                if s.radius_m > 0
            ]
            if rough and min(rough) < 0.994:
                assert mask[i]
            if rough and min(rough) > 1.006 and all(s.radius_m > 0 for s in mine):
                assert not mask[i]
    expected_any = np.zeros(len(points), dtype=bool)
    for mask in masks.values():
        expected_any |= mask
    assert (anyone == expected_any).all()


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-80.0, 80.0),
    lon=st.floats(-180.0, 180.0),
    radius=st.floats(100.0, 200_000.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_points_near_the_edge_anywhere_are_decided_by_the_geodesic(
    lat: float, lon: float, radius: float, seed: int
) -> None:
    """The sphere decides only pairs more than 1 % from the edge: near it, the ellipsoid does,
    at any latitude (where sphere and ellipsoid differ most)."""
    rng = np.random.default_rng(seed)
    distance = radius * rng.uniform(0.985, 1.015, 300)
    plon, plat, _ = GEOD.fwd(
        np.full(300, lon), np.full(300, lat), rng.uniform(0, 360, 300), distance
    )

    mask = covered([Site("joc", lat, lon, radius)], plat, plon)

    truth = GEOD.inv(np.full(300, lon), np.full(300, lat), plon, plat)[2] <= radius
    assert (mask == truth).all()


def test_a_point_on_the_circle_is_covered_and_one_metre_out_is_not() -> None:
    site = Site("joc", 35.4681, 44.3922, 6_000.0)
    lon_in, lat_in, _ = GEOD.fwd(site.longitude, site.latitude, 73.0, 5_999.999)
    lon_out, lat_out, _ = GEOD.fwd(site.longitude, site.latitude, 73.0, 6_001.0)

    mask = covered([site], np.array([lat_in, lat_out]), np.array([lon_in, lon_out]))

    assert mask.tolist() == [True, False]


@settings(max_examples=40, deadline=None)
@given(
    lat=st.floats(33.0, 37.5),
    lon=st.floats(41.0, 46.5),
    radius=st.floats(500.0, 150_000.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_circle_polygon_agrees_with_the_distance_within_the_stated_error(
    lat: float, lon: float, radius: float, seed: int
) -> None:
    site = Site("krg", lat, lon, radius)
    (polygon,) = circles([site])
    rng = np.random.default_rng(seed)
    azimuth = rng.uniform(0, 360, 400)
    distance = radius * rng.uniform(0.9, 1.1, 400)
    plon, plat, _ = GEOD.fwd(np.full(400, lon), np.full(400, lat), azimuth, distance)
    inside = shapely.contains_xy(
        polygon,
        *np.transpose(
            [to_plane(shapely.Point(x, y)).coords[0] for x, y in zip(plon, plat, strict=True)]
        ),
    )

    # Inscribed: never outside the circle; misses at most the sag (plus 0.01 % for the plane).
    assert not (inside & (distance > radius * (1 + 1e-6))).any()
    assert inside[distance < radius * (1 - CIRCLE_SAG - 1e-4)].all()
    circle_km2 = math.pi * (radius / 1000) ** 2
    assert km2(polygon) == pytest.approx(circle_km2 * (1 - 0.0008), rel=0.003)


def test_active_at_keeps_both_ends_and_open_periods() -> None:
    start, end = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 9, 30, 12, tzinfo=UTC)
    seasonal = Site("joc", 35.0, 44.0, 1000.0, start, end)
    always = Site("krg", 35.0, 44.0, 1000.0)

    assert active_at([seasonal, always], start) == [seasonal, always]
    assert active_at([seasonal, always], end) == [seasonal, always]
    assert active_at([seasonal, always], datetime(2024, 10, 1, tzinfo=UTC)) == [always]
    assert active_at([seasonal, always], datetime(2024, 4, 30, 23, tzinfo=UTC)) == [always]


# --- real data ----------------------------------------------------------------------------------


@functools.cache
def shipped_events() -> EventArrays:
    """The shipped UCDP events located better than a district (as tansiq.risk keeps them)."""
    lat, lon, day = [], [], []
    with SHIPPED_UCDP.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if not row["id"] or not row["where_prec"].isdigit() or int(row["where_prec"]) > 3:
                continue
            lat.append(float(row["latitude"]))
            lon.append(float(row["longitude"]))
            day.append(day_number(date.fromisoformat(row["date_start"][:10])))
    n = len(day)
    return EventArrays(np.array(lat), np.array(lon), np.array(day, np.int32), np.zeros(n, np.int32))


def demo_sites(moment: datetime) -> list[Site]:
    drafts = demo_positions("jcc")
    sites = [
        Site(d.partner, d.latitude, d.longitude, d.coverage_radius_m, d.active_from, d.active_to)
        for d in drafts
    ]
    return active_at(sites, moment)


def test_disputed_units_are_the_14_unami_districts_and_mandali() -> None:
    units = disputed_units()

    assert len(units) == 15
    assert {u.name for u in units} >= {"Kirkuk", "Sinjar", "Khanaqin", "Makhmour", "Mandali"}
    assert sum(u.pcode.count("N") for u in units) == 1  # Mandali, the one sub-district


def test_demo_positions_leave_a_vacuum_and_a_seam_in_the_disputed_districts() -> None:
    sites = demo_sites(datetime(2024, 7, 1, tzinfo=UTC))
    events = shipped_events()
    risk = predict(events, "2017-01", 7)

    report = vacuum(sites, disputed_units(), events, risk, seam_km=15.0)

    assert {p.partner for p in report.partners} == {"joc", "krg"}
    assert 0 < report.uncovered_km2 < report.disputed_km2
    assert report.disputed_km2 == pytest.approx(
        report.uncovered_km2 + report.coverage_in_disputed_km2, rel=1e-6
    )
    assert 0 < report.seam_km2 < report.uncovered_km2
    assert 0 < report.overlap_km2 < min(p.area_km2 for p in report.partners)
    layers = dict(report.layers)
    assert set(layers) == {"coverage:joc", "coverage:krg", "overlap", "uncovered", "seam"}
    # The seam is uncovered, and each of its points is within 15 km of both sides' positions.
    seam = layers["seam"]
    assert km2(to_plane(shapely.difference(seam, layers["uncovered"]))) < 0.01  # round trip
    for lon, lat in points_in(seam, 60):
        assert max(gaps_m(sites, lat, lon).values()) <= 15_000 * 1.002
        assert min(gaps_m(sites, lat, lon).values()) > -10  # uncovered (polygon sag <= 6 m)
    # Uncovered ground outside the seam is more than 15 km from at least one side.
    for lon, lat in points_in(shapely.difference(layers["uncovered"], seam), 60):
        assert max(gaps_m(sites, lat, lon).values()) > 15_000 * 0.99  # buffer's own sag


def points_in(geometry: object, n: int) -> np.ndarray:
    """n random points inside a lon/lat geometry (rejection sampling, fixed seed)."""
    rng = np.random.default_rng(7)
    west, south, east, north = shapely.bounds(geometry)
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xy = rng.uniform((west, south), (east, north), (2000, 2))
        found.append(xy[shapely.contains_xy(geometry, xy[:, 0], xy[:, 1])])
    return np.concatenate(found)[:n]


def gaps_m(sites: list[Site], lat: float, lon: float) -> dict[str, float]:
    """For each partner, how far the point is outside its nearest circle (negative: inside)."""
    gaps: dict[str, float] = {}
    for s in sites:
        gap = geodesic_m(s.latitude, s.longitude, lat, lon) - s.radius_m
        gaps[s.partner] = min(gaps.get(s.partner, math.inf), gap)
    return gaps


def test_incidents_and_risk_outside_coverage_match_a_brute_force_count() -> None:
    sites = demo_sites(datetime(2024, 7, 1, tzinfo=UTC))
    events = shipped_events()
    risk = predict(events, "2017-01", 7)
    units = disputed_units()
    territory = shapely.union_all([u.geometry for u in units])

    report = vacuum(sites, units, events, risk)

    inside = shapely.contains_xy(territory, events.longitude, events.latitude)
    far = [
        all(geodesic_m(s.latitude, s.longitude, la, lo) > s.radius_m for s in sites)
        for la, lo in zip(events.latitude[inside], events.longitude[inside], strict=True)
    ]
    assert report.incidents_in_disputed == int(inside.sum()) > 500
    assert report.incidents_uncovered == sum(far)
    assert 0 < report.incidents_uncovered < report.incidents_in_disputed  # some in the towns
    assert 0 < report.risk_uncovered < report.risk_in_disputed
    top = report.top_cells
    assert len(top) == 10
    assert [c.expected for c in top] == sorted((c.expected for c in top), reverse=True)
    for cell in top:
        assert cell.pcode in {u.pcode for u in units}
        assert not covered(sites, np.array([cell.latitude]), np.array([cell.longitude]))[0]


def test_one_side_alone_has_no_seam_and_no_overlap() -> None:
    sites = [s for s in demo_sites(datetime(2024, 7, 1, tzinfo=UTC)) if s.partner == "krg"]

    report = vacuum(sites, disputed_units(), shipped_events(), None)

    assert report.seam_km2 == 0
    assert report.overlap_km2 == 0
    assert report.risk_month is None
    assert report.top_cells == ()


def test_no_positions_leave_the_whole_territory_uncovered() -> None:
    units = [u for u in disputed_units() if u.name == "Sinjar"]

    report = vacuum([], units, shipped_events(), None)

    assert report.uncovered_km2 == pytest.approx(report.disputed_km2)
    assert report.uncovered_share == pytest.approx(1.0)
    assert report.incidents_uncovered == report.incidents_in_disputed > 0
    geojson = report.geojson()
    assert [f["properties"]["layer"] for f in geojson["features"]] == [
        "overlap",
        "uncovered",
        "seam",
    ]


def test_a_unit_geometry_is_lon_lat_and_its_area_is_real() -> None:
    (kirkuk,) = [u for u in disputed_units() if u.name == "Kirkuk"]

    assert isinstance(kirkuk, DisputedUnit)
    # The COD gives Kirkuk district about 2,000-3,000 km² (a sanity bound, not a reference).
    assert 1_500 < km2(to_plane(kirkuk.geometry)) < 4_000
