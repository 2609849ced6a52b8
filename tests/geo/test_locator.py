"""Placing points in sub-districts: known places, the border, and agreement with other sources."""

from __future__ import annotations

import csv
import io
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box

from tansiq.domain.areas import Area, AreaLevel
from tansiq.errors import InvalidInput
from tansiq.geo import reference
from tansiq.geo.locator import AreaLocator
from tansiq.geo.outline import FAR_M, IRAQ_LCC

GEOD = Geod(ellps="WGS84")
JOIN_FILE = Path(__file__).parent / "data" / "ucdp_ged_irq_cod2019_join.csv"


def geodesic_km_to_iraq(latitude: float, longitude: float) -> float:
    """Distance to Iraq's outline, measured without the locator's projection.

    Geodesics from the point to the outline densified every 0.001° (about 100 m), so for a point
    2 km or more outside the result is at most a few metres long.
    """
    ring = shapely.segmentize(reference.iraq_outline().exterior, 0.001)
    lon, lat = shapely.get_coordinates(ring).T
    near = (np.abs(lon - longitude) < 3) & (np.abs(lat - latitude) < 3)
    _, _, metres = GEOD.inv(
        np.full(near.sum(), longitude), np.full(near.sum(), latitude), lon[near], lat[near]
    )
    return float(np.min(metres)) / 1000


@pytest.mark.parametrize(
    ("place", "latitude", "longitude", "adm1", "adm2", "disputed", "kurdistan", "syria"),
    [
        ("Kirkuk city", 35.468, 44.392, "IQG13", "IQG13Q04", True, False, False),
        ("Erbil city", 36.19, 44.01, "IQG11", "IQG11Q02", False, True, False),
        ("Sinjar town", 36.32, 41.87, "IQG15", "IQG15Q07", True, False, True),
        ("Basra", 30.5, 47.8, "IQG02", "IQG02Q02", False, False, False),
        ("Makhmour", 35.78, 43.58, "IQG11", "IQG11Q04", True, True, False),
    ],
)
def test_known_places(
    locator: AreaLocator,
    place: str,
    latitude: float,
    longitude: float,
    adm1: str,
    adm2: str,
    disputed: bool,
    kurdistan: bool,
    syria: bool,
) -> None:
    placement = locator.locate(latitude, longitude)
    assert (placement.adm1_pcode, placement.adm2_pcode) == (adm1, adm2), place
    assert placement.adm3_pcode.startswith(adm2)
    assert placement.disputed is disputed
    assert placement.kurdistan_region is kurdistan
    assert placement.syria_border_district is syria
    assert placement.outside_km == 0.0


def test_placement_names_in_english_and_arabic(locator: AreaLocator) -> None:
    placement = locator.locate(35.468, 44.392)
    assert (placement.adm1_en, placement.adm1_ar) == ("Kirkuk", "كركوك")
    assert (placement.adm2_en, placement.adm2_ar) == ("Kirkuk", "كركوك")
    assert (placement.adm3_en, placement.adm3_ar) == ("Markaz Kirkuk", "مركز كركوك")


def point_west_of_sinjar(km: float) -> tuple[float, float]:
    """A point `km` due west of where the latitude of Sinjar town crosses the Syrian border."""
    latitude = 36.35
    crossing = reference.iraq_outline().boundary.intersection(
        LineString([(40.5, latitude), (42.0, latitude)])
    )
    west = min(shapely.get_coordinates(crossing)[:, 0])
    longitude, latitude, _ = GEOD.fwd(west, latitude, 270, km * 1000)
    return latitude, longitude


@pytest.mark.parametrize(("latitude", "longitude"), [point_west_of_sinjar(10.0), (36.35, 41.1)])
def test_point_in_syria_near_sinjar(
    locator: AreaLocator, latitude: float, longitude: float
) -> None:
    truth = geodesic_km_to_iraq(latitude, longitude)
    assert 5 < truth < 20  # the scenario: a point a few km inside Syria
    placement = locator.locate(latitude, longitude)
    assert abs(placement.outside_km - truth) < 0.01 * truth
    assert placement.adm2_pcode == "IQG15Q07"  # Sinjar, the nearest district
    assert placement.syria_border_district


def test_outside_km_is_within_one_percent_up_to_100_km(locator: AreaLocator) -> None:
    rng = np.random.default_rng(11)
    latitude, longitude = rng.uniform(28, 38.5, 3000), rng.uniform(37.8, 49.6, 3000)
    located = locator.locate_many(latitude, longitude)
    chosen = np.flatnonzero((located.outside_km > 2) & (located.outside_km < 100))[:40]
    assert len(chosen) == 40
    for i in chosen:
        truth = geodesic_km_to_iraq(latitude[i], longitude[i])
        assert abs(located.outside_km[i] - truth) < 0.01 * truth, (latitude[i], longitude[i])


def project(geometry: Any, transformer: Transformer) -> Any:
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(*xy.T)))


def test_locate_many_agrees_with_brute_force(locator: AreaLocator) -> None:
    rng = np.random.default_rng(5)
    latitude = np.r_[rng.uniform(28, 38.5, 400), 0.0, 60.0, 20.0]  # last three: far off the grid
    longitude = np.r_[rng.uniform(37.5, 50, 400), 0.0, 100.0, 44.0]
    located = locator.locate_many(latitude, longitude)
    _, polygons = reference.area_geometries(AreaLevel.SUBDISTRICT)
    to_metres = Transformer.from_crs("EPSG:4326", IRAQ_LCC, always_xy=True)
    border = project(reference.iraq_outline().boundary, to_metres)
    polygons_m = project(polygons, to_metres)
    for lat, lon, index, outside_km in zip(
        latitude, longitude, located.subdistrict_index, located.outside_km, strict=True
    ):
        covering = np.flatnonzero(shapely.covers(polygons, Point(lon, lat)))
        if len(covering):
            assert (index, outside_km) == (covering[0], 0.0)
            continue
        point = Point(*to_metres.transform(lon, lat))
        if max(abs(point.x), abs(point.y)) >= FAR_M:  # measured on the ellipsoid instead
            assert outside_km * 1000 == pytest.approx(_geodesic_to_outline(lat, lon), rel=1e-3)
            continue
        assert outside_km * 1000 == pytest.approx(border.distance(point), abs=0.01)
        distances = shapely.distance(polygons_m, point)
        assert distances[index] <= distances.min() + 0.01  # the nearest sub-district


def test_locate_agrees_with_locate_many(locator: AreaLocator) -> None:
    # A batch big enough for the sweep; single points take the STRtree path.
    rng = np.random.default_rng(42)
    latitude, longitude = rng.uniform(28.5, 38, 5000), rng.uniform(38, 49.5, 5000)
    located = locator.locate_many(latitude, longitude)
    assert (located.outside_km > 0).any()
    assert (located.outside_km == 0).any()
    for i in range(300):
        placement = locator.locate(float(latitude[i]), float(longitude[i]))
        assert placement == locator.placement(
            int(located.subdistrict_index[i]), float(located.outside_km[i])
        )
        assert placement.adm2_pcode == locator.adm2_pcode[located.subdistrict_index[i]]
        assert placement.disputed == locator.disputed[located.subdistrict_index[i]]


def shipped_event_coordinates() -> dict[str, tuple[float, float]]:
    events = resources.files("tansiq") / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
    reader = csv.DictReader(io.StringIO(events.read_text(encoding="utf-8"), newline=""))
    # Row 2 is an HXL hashtag row (#geo+lat, ...), not an event.
    rows = [row for row in reader if not row["latitude"].startswith("#")]
    return {row["id"]: (float(row["latitude"]), float(row["longitude"])) for row in rows}


def test_ucdp_events_land_in_the_districts_of_the_cod_join(locator: AreaLocator) -> None:
    coordinates = shipped_event_coordinates()
    with JOIN_FILE.open(encoding="utf-8", newline="") as file:
        joined = [row for row in csv.DictReader(file) if row["in_iraq_cod"] == "1"]
    assert len(joined) > 7000
    latitude, longitude = np.array([coordinates[row["id"]] for row in joined]).T
    located = locator.locate_many(latitude, longitude)
    found = locator.adm2_pcode[located.subdistrict_index]
    expected = np.array([row["ADM2_PCODE"] for row in joined], dtype=object)
    agreement = float(np.mean(found == expected))
    assert agreement >= 0.99, agreement
    assert located.outside_km.max() < 6  # the join snapped points within 0.05° of Iraq


def test_lookup_arrays_describe_the_subdistricts(locator: AreaLocator) -> None:
    areas = {area.pcode: area for area in reference.areas()}
    assert len(locator.subdistricts) == 294
    for i, area in enumerate(locator.subdistricts):
        district = areas[str(area.parent_pcode)]
        assert locator.adm3_pcode[i] == area.pcode
        assert locator.adm2_pcode[i] == district.pcode
        assert locator.adm1_pcode[i] == district.parent_pcode
        assert locator.disputed[i] == area.disputed
        assert locator.kurdistan_region[i] == area.kurdistan_region
        assert locator.syria_border_district[i] == area.syria_border_district


def test_non_finite_coordinates_get_no_place(locator: AreaLocator) -> None:
    located = locator.locate_many(np.array([np.nan, 35.468, np.inf]), np.array([44.0, 44.392, 1]))
    assert located.subdistrict_index.tolist()[::2] == [-1, -1]
    assert located.outside_km.tolist() == [np.inf, 0.0, np.inf]
    # The lookups' last entry is a sentinel, so index -1 reads as missing, not as a real place.
    assert locator.adm2_pcode[located.subdistrict_index].tolist() == [None, "IQG13Q04", None]
    assert not locator.disputed[-1]
    with pytest.raises(InvalidInput, match="finite"):
        locator.locate(float("nan"), 44.0)


def test_mismatched_arrays_are_refused(locator: AreaLocator) -> None:
    with pytest.raises(InvalidInput):
        locator.locate_many(np.zeros(3), np.zeros(2))


def test_point_on_a_shared_boundary_goes_to_the_first_listed_unit(locator: AreaLocator) -> None:
    _, polygons = reference.area_geometries(AreaLevel.SUBDISTRICT)
    vertices = shapely.get_coordinates(polygons[40])
    counts = [shapely.covers(polygons, Point(x, y)).sum() for x, y in vertices]
    lon, lat = vertices[int(np.argmax(counts))]
    sharing = np.flatnonzero(shapely.covers(polygons, Point(lon, lat)))
    assert len(sharing) >= 2
    located = locator.locate_many(np.full(3, lat), np.full(3, lon))
    assert located.subdistrict_index.tolist() == [sharing[0]] * 3


def make_area(pcode: str, level: AreaLevel, parent: str | None) -> Area:
    return Area(pcode, level, pcode, "عربي", parent, False, False, False)


def test_point_in_a_gap_between_subdistricts_gets_the_nearest() -> None:
    # Two sub-districts with a 0.1° sliver between them, inside a country drawn around both.
    locator = AreaLocator(
        [
            make_area("XG01", AreaLevel.GOVERNORATE, None),
            make_area("XG01Q01", AreaLevel.DISTRICT, "XG01"),
            make_area("XG01Q01N01", AreaLevel.SUBDISTRICT, "XG01Q01"),
            make_area("XG01Q01N02", AreaLevel.SUBDISTRICT, "XG01Q01"),
        ],
        {"XG01Q01N01": box(44, 33, 45, 34), "XG01Q01N02": box(45.1, 33, 46, 34)},
        box(44, 33, 46, 34),
    )
    located = locator.locate_many(np.full(3, 33.5), np.array([45.03, 45.08, 43.5]))
    assert locator.adm3_pcode[located.subdistrict_index].tolist() == [
        "XG01Q01N01",
        "XG01Q01N02",
        "XG01Q01N01",
    ]
    assert located.outside_km[:2].tolist() == [0.0, 0.0]
    _, _, metres = GEOD.inv(43.5, 33.5, 44.0, 33.5)
    assert located.outside_km[2] == pytest.approx(metres / 1000, rel=0.01)


@pytest.mark.slow
def test_a_million_points_take_well_under_five_seconds(locator: AreaLocator) -> None:
    west, south, east, north = reference.iraq_outline().bounds
    rng = np.random.default_rng(20261125)
    latitude, longitude = rng.uniform(south, north, 10**6), rng.uniform(west, east, 10**6)
    started = time.perf_counter()
    located = locator.locate_many(latitude, longitude)
    elapsed = time.perf_counter() - started
    assert (located.subdistrict_index >= 0).all()
    assert elapsed < 5.0, f"{elapsed:.2f} s"


@pytest.mark.parametrize(("lat", "lon"), [(-90.0, 0.0), (-90.0, 44.0), (90.0, 0.0), (0.0, 180.0)])
def test_points_across_the_globe_get_their_geodesic_distance(
    locator: AreaLocator, lat: float, lon: float
) -> None:
    """The Lambert projection sends the South Pole to infinity (schemathesis found a 500 there):
    far points are measured on the ellipsoid instead, to the outline's nearest vertex."""
    placed = locator.locate(lat, lon)

    assert placed.outside_km * 1000 == pytest.approx(_geodesic_to_outline(lat, lon), rel=1e-3)
    assert placed.adm3_pcode.startswith("IQ")


def _geodesic_to_outline(lat: float, lon: float) -> float:
    """Metres on the ellipsoid from a point to the nearest vertex of Iraq's outline."""
    outline = shapely.get_coordinates(reference.iraq_outline().boundary)
    _, _, metres = Geod(ellps="WGS84").inv(
        np.full(len(outline), lon), np.full(len(outline), lat), outline[:, 0], outline[:, 1]
    )
    return float(metres.min())
