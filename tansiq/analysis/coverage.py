"""Coverage and the security vacuum: where partners' positions reach, and where nobody does.

A position covers the points within `coverage_radius_m` of it, measured along the WGS84
ellipsoid (pyproj.Geod, GeographicLib: exact to nanometres). Two kinds of answer, kept apart:

- **Counting** (is this incident, this risk cell's centre covered?) uses exact distances:
  `covering_pairs` finds candidate (point, position) pairs with a KD-tree on 3-D unit vectors,
  then keeps those whose geodesic distance is within the radius (decided on the sphere when
  it is more than 1 % from the edge, see SPHERE_MARGIN). No polygon is involved.
- **Areas and maps** use polygons: each position's circle is `CIRCLE_VERTICES` points placed
  exactly on the geodesic circle (Geod.fwd at evenly spaced azimuths; the same points a local
  azimuthal-equidistant projection would give), joined by straight edges in a Lambert
  azimuthal equal-area plane centred on the disputed band (`EQUAL_AREA`), where unions,
  differences, buffers and areas are computed. The polygon is inscribed in the true circle:
  it misses at most a sliver `CIRCLE_SAG` x radius wide (0.061 %, 4 m on a 6 km base) and
  0.08 % of the area. The plane's distance scale stays within 0.1 % over Iraq, which is the
  error of the seam's buffer distance; its areas are exact (equal-area).

The disputed territory is the 14 UNAMI disputed districts and the Mandali sub-district
(`disputed_units`; tansiq.geo.reference marks them, and every unit inside them, `disputed`).
Makhmour lies in Erbil governorate, outside the analysis region of tansiq.analysis.region, so
the forecast has no cells there: its risk is not counted (its incidents and areas are).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree
from shapely.geometry import mapping

from tansiq.analysis.events import EventArrays
from tansiq.analysis.forecast import Risk
from tansiq.analysis.region import cell_centres
from tansiq.domain.areas import AreaLevel
from tansiq.geo.reference import area_geometries, areas

Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Indices = npt.NDArray[np.intp]

CIRCLE_VERTICES = 90
"""Vertices of a coverage circle's polygon (every 4 degrees of azimuth)."""

CIRCLE_SAG = 1.0 - math.cos(math.pi / CIRCLE_VERTICES)
"""How far inside the true circle a polygon edge can fall, as a share of the radius."""

DEFAULT_SEAM_KM = 15.0

MIN_CURVATURE_RADIUS_M = 6_335_439.327
"""WGS84's smallest radius of curvature (meridional, at the equator). A geodesic of length d
turns the surface normal by at most d / this, so that angle bounds the KD-tree search."""

MEAN_RADIUS_M = 6_371_008.8
"""WGS84's mean radius (IUGG R1): the sphere of the first, rough distance test."""

SPHERE_MARGIN = 0.01
"""Between the same coordinates, the great-circle distance on the mean sphere and the WGS84
geodesic differ by less than 0.6 % (the ellipsoid's radii of curvature lie within 0.994-1.005
of the sphere's), so a pair more than 1 % inside or outside a radius on the sphere is decided
there; only pairs in the band between are measured on the ellipsoid (Geod.inv is ~50x slower)."""

EQUAL_AREA = "+proj=laea +lat_0=35.5 +lon_0=44 +datum=WGS84 +units=m +no_defs"
"""Lambert azimuthal equal-area centred on the disputed band: the plane of every area."""

_GEOD = Geod(ellps="WGS84")
_ROUND = 5
"""Decimals of the GeoJSON coordinates (about 1 m), as the shipped boundaries."""


@dataclass(frozen=True, slots=True)
class Site:
    """What coverage needs of a position: whose it is, where, how far it reaches, and when."""

    partner: str
    latitude: float
    longitude: float
    radius_m: float
    active_from: datetime | None = None
    active_to: datetime | None = None

    def active_at(self, moment: datetime) -> bool:
        """Active at `moment` (either end of the period open when None, both ends included)."""
        started = self.active_from is None or _utc(self.active_from) <= moment
        return started and (self.active_to is None or moment <= _utc(self.active_to))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def sites_from_records(rows: Iterable[Mapping[str, Any]]) -> list[Site]:
    """Sites from the store's position rows (tansiq.store.positions.find_positions)."""
    return [
        Site(
            partner=str(row["partner_code"]),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            radius_m=float(row["coverage_radius_m"]),
            active_from=row["active_from"],
            active_to=row["active_to"],
        )
        for row in rows
    ]


def active_at(sites: Iterable[Site], moment: datetime) -> list[Site]:
    """The sites active at `moment`."""
    return [site for site in sites if site.active_at(moment)]


def partners_of(sites: Iterable[Site]) -> list[str]:
    """The partners present among `sites`, sorted."""
    return sorted({site.partner for site in sites})


# --- counting: exact distances ------------------------------------------------------------------


def _unit_vectors(latitude: Floats, longitude: Floats) -> Floats:
    lat, lon = np.radians(latitude), np.radians(longitude)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def _site_arrays(sites: Sequence[Site]) -> tuple[Floats, Floats, Floats]:
    lat = np.array([s.latitude for s in sites], dtype=np.float64)
    lon = np.array([s.longitude for s in sites], dtype=np.float64)
    radius = np.array([s.radius_m for s in sites], dtype=np.float64)
    return lat, lon, radius


def geodesic_m(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """Distances in metres along the WGS84 ellipsoid, pair by pair."""
    if not len(lat1):
        return np.empty(0)
    _, _, distance = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(distance, dtype=np.float64)


def _haversine_m(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2.0 * MEAN_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0))), np.float64)


def covering_pairs(
    sites: Sequence[Site], latitude: Floats, longitude: Floats
) -> tuple[Indices, Indices]:
    """(point index, site index) of every point within a site's radius.

    A KD-tree over the points' unit vectors gives, for each site, the points within a chord
    that no geodesic of the radius can exceed (see MIN_CURVATURE_RADIUS_M); radii differ per
    site, so the tree is queried with one chord each. The sphere then decides the pairs it
    can (SPHERE_MARGIN) and the exact geodesic distance the rest, in the band near the edge.
    """
    none = (np.empty(0, np.intp), np.empty(0, np.intp))
    if not sites or not len(latitude):
        return none
    lat, lon, radius = _site_arrays(sites)
    tree = cKDTree(_unit_vectors(np.asarray(latitude), np.asarray(longitude)))
    angle = np.minimum(radius / MIN_CURVATURE_RADIUS_M * (1 + 1e-9), math.pi)
    chord = 2.0 * np.sin(angle / 2.0) + 1e-12
    found = tree.query_ball_point(_unit_vectors(lat, lon), chord)
    counts = np.array([len(f) for f in found], dtype=np.intp)
    if not counts.sum():
        return none
    site_at = np.repeat(np.arange(len(sites), dtype=np.intp), counts)
    point_at = np.concatenate([np.asarray(f, dtype=np.intp) for f in found if f])
    keep = _within(
        lat[site_at], lon[site_at], radius[site_at], latitude[point_at], longitude[point_at]
    )
    return point_at[keep], site_at[keep]


def _within(site_lat: Floats, site_lon: Floats, radius: Floats, lat: Floats, lon: Floats) -> Mask:
    """Pair by pair: is the point within the radius, by the WGS84 geodesic?"""
    sphere = _haversine_m(site_lat, site_lon, lat, lon)
    keep = sphere <= radius * (1 - SPHERE_MARGIN)
    edge = ~keep & (sphere <= radius * (1 + SPHERE_MARGIN))
    exact = geodesic_m(site_lat[edge], site_lon[edge], lat[edge], lon[edge])
    keep[edge] = exact <= radius[edge]
    return keep


def covered_by(sites: Sequence[Site], latitude: Floats, longitude: Floats) -> dict[str, Mask]:
    """For each partner (sorted), which points some site of theirs covers."""
    latitude, longitude = np.asarray(latitude, np.float64), np.asarray(longitude, np.float64)
    points, at = covering_pairs(sites, latitude, longitude)
    partner_of = np.array([s.partner for s in sites], dtype=object)
    masks = {}
    for partner in partners_of(sites):
        mask = np.zeros(len(latitude), dtype=np.bool_)
        mask[points[partner_of[at] == partner]] = True
        masks[partner] = mask
    return masks


def covered(sites: Sequence[Site], latitude: Floats, longitude: Floats) -> Mask:
    """Which points any site covers."""
    latitude = np.asarray(latitude, np.float64)
    mask = np.zeros(len(latitude), dtype=np.bool_)
    mask[covering_pairs(sites, latitude, np.asarray(longitude, np.float64))[0]] = True
    return mask


# --- polygons: the equal-area plane ------------------------------------------------------------


@functools.cache
def _transformers() -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", EQUAL_AREA, always_xy=True)
    backward = Transformer.from_crs(EQUAL_AREA, "EPSG:4326", always_xy=True)
    return forward, backward


def _through(transformer: Transformer) -> Callable[[Floats], Floats]:
    def move(xy: Floats) -> Floats:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return move


def to_plane(geometry: Any) -> Any:
    """A lon/lat geometry in the equal-area plane (metres)."""
    return shapely.transform(geometry, _through(_transformers()[0]))


def to_lonlat(geometry: Any) -> Any:
    """A plane geometry back in lon/lat."""
    return shapely.transform(geometry, _through(_transformers()[1]))


def circles(sites: Sequence[Site]) -> Any:
    """Each site's coverage circle as a polygon in the plane (an array, sites' order).

    Vertices lie exactly on the geodesic circle; a site of radius 0 gets an empty polygon.
    """
    if not sites:
        return np.empty(0, dtype=object)
    lat, lon, radius = _site_arrays(sites)
    azimuth = np.linspace(0.0, 360.0, CIRCLE_VERTICES, endpoint=False)
    n = len(sites)
    lons, lats, _ = _GEOD.fwd(
        np.repeat(lon, CIRCLE_VERTICES),
        np.repeat(lat, CIRCLE_VERTICES),
        np.tile(azimuth, n),
        np.repeat(radius, CIRCLE_VERTICES),
    )
    x, y = _transformers()[0].transform(lons, lats)
    rings = np.stack((x, y), axis=-1).reshape(n, CIRCLE_VERTICES, 2)
    polygons = shapely.polygons(rings)
    polygons[radius <= 0] = shapely.Polygon()
    return polygons


def coverage(sites: Sequence[Site]) -> dict[str, Any]:
    """Each partner's coverage (the union of its circles) in the plane, by partner (sorted)."""
    shapes = circles(sites)
    partner_of = np.array([s.partner for s in sites], dtype=object)
    return {p: shapely.union_all(shapes[partner_of == p]) for p in partners_of(sites)}


def at_least_two(shapes: Mapping[str, Any]) -> Any:
    """Where at least two of the shapes meet (for two partners: their intersection)."""
    values = list(shapes.values())
    pairs = [shapely.intersection(a, b) for i, a in enumerate(values) for b in values[i + 1 :]]
    return shapely.union_all(pairs) if pairs else shapely.Polygon()


def km2(geometry: Any) -> float:
    """Area in km² of a plane geometry."""
    return float(shapely.area(geometry)) / 1e6


# --- the disputed territory ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisputedUnit:
    """A disputed district (or Mandali) with its COD polygon in lon/lat."""

    pcode: str
    name: str
    geometry: Any


@functools.cache
def _disputed_units() -> tuple[DisputedUnit, ...]:
    disputed = {a.pcode: a for a in areas() if a.disputed and a.level != AreaLevel.GOVERNORATE}
    outermost = {p: a for p, a in disputed.items() if a.parent_pcode not in disputed}
    found = []
    for level in (AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT):
        pcodes, geometries = area_geometries(level)
        for pcode, geometry in zip(pcodes, geometries, strict=True):
            if pcode in outermost:
                found.append(DisputedUnit(pcode, outermost[pcode].name_en, geometry))
    return tuple(found)


def disputed_units() -> list[DisputedUnit]:
    """The 14 UNAMI disputed districts and the Mandali sub-district (shipped COD polygons)."""
    return list(_disputed_units())


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerCoverage:
    partner: str
    positions: int
    area_km2: float
    in_disputed_km2: float


@dataclass(frozen=True, slots=True)
class RiskCell:
    """A forecast cell whose centre is in the disputed territory and outside all coverage."""

    cell: str
    latitude: float
    longitude: float
    expected: float
    pcode: str
    name: str


@dataclass(frozen=True, slots=True)
class VacuumReport:
    """Coverage of the disputed territory at one moment, and what falls outside it.

    Areas are km². `uncovered` is the disputed territory outside every circle; the `seam` is the
    uncovered part within `seam_km` of the coverage of at least two partners (see `vacuum`).
    Incidents are those the caller passed (a period's), counted when inside the territory;
    risk is the forecast's expected events of cells whose centres are inside it.
    """

    partners: tuple[PartnerCoverage, ...]
    coverage_km2: float
    coverage_in_disputed_km2: float
    overlap_km2: float
    disputed_km2: float
    uncovered_km2: float
    seam_km: float
    seam_km2: float
    incidents_in_disputed: int
    incidents_uncovered: int
    risk_month: str | None
    risk_in_disputed: float
    risk_uncovered: float
    top_cells: tuple[RiskCell, ...]
    layers: tuple[tuple[str, Any], ...] = field(repr=False)
    """(layer name, lon/lat geometry): coverage:<partner>..., overlap, uncovered, seam."""

    @property
    def uncovered_share(self) -> float | None:
        return _share(self.uncovered_km2, self.disputed_km2)

    @property
    def incidents_uncovered_share(self) -> float | None:
        return _share(self.incidents_uncovered, self.incidents_in_disputed)

    @property
    def risk_uncovered_share(self) -> float | None:
        return _share(self.risk_uncovered, self.risk_in_disputed)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (areas rounded to 0.01 km²), without the layers."""
        return {
            "partners": [
                {
                    "partner": p.partner,
                    "positions": p.positions,
                    "coverage_km2": _r(p.area_km2),
                    "coverage_in_disputed_km2": _r(p.in_disputed_km2),
                }
                for p in self.partners
            ],
            "coverage_km2": _r(self.coverage_km2),
            "coverage_in_disputed_km2": _r(self.coverage_in_disputed_km2),
            "overlap_km2": _r(self.overlap_km2),
            "disputed_km2": _r(self.disputed_km2),
            "uncovered_km2": _r(self.uncovered_km2),
            "uncovered_share": _r(self.uncovered_share, 4),
            "seam_km": self.seam_km,
            "seam_km2": _r(self.seam_km2),
            "incidents": {
                "in_disputed": self.incidents_in_disputed,
                "uncovered": self.incidents_uncovered,
                "uncovered_share": _r(self.incidents_uncovered_share, 4),
            },
            "risk": {
                "month": self.risk_month,
                "expected_in_disputed": _r(self.risk_in_disputed, 3),
                "expected_uncovered": _r(self.risk_uncovered, 3),
                "uncovered_share": _r(self.risk_uncovered_share, 4),
                "top_cells": [
                    {
                        "cell": c.cell,
                        "lat": round(c.latitude, _ROUND),
                        "lon": round(c.longitude, _ROUND),
                        "expected": _r(c.expected, 3),
                        "pcode": c.pcode,
                        "name": c.name,
                    }
                    for c in self.top_cells
                ],
            },
        }

    def geojson(self) -> dict[str, Any]:
        """The layers as a FeatureCollection, one feature each with `layer` and `area_km2`."""
        features = [
            {
                "type": "Feature",
                "geometry": mapping(_rounded(geometry)),
                "properties": {"layer": name, "area_km2": _r(km2(to_plane(geometry)))},
            }
            for name, geometry in self.layers
        ]
        return {"type": "FeatureCollection", "features": features}


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _rounded(geometry: Any) -> Any:
    return shapely.transform(geometry, lambda xy: np.round(xy, _ROUND))


def vacuum(
    sites: Sequence[Site],
    disputed: Sequence[DisputedUnit],
    events: EventArrays,
    risk: Risk | None,
    seam_km: float = DEFAULT_SEAM_KM,
    top: int = 10,
) -> VacuumReport:
    """Who covers the disputed territory, and what lies outside everyone's coverage.

    `sites` are the positions to count (the caller keeps those active at its moment and
    visible to its viewer); `events` the incidents of the caller's period; `risk` a forecast
    (None: no risk figures).

    The **seam** is the uncovered part of the disputed territory within `seam_km` of the
    coverage of at least two partners (for the two sides: of both). It is the band between
    the lines: close enough to both sides that each can take it for the other's, yet covered
    by neither, which is where the disputed districts' attacks have clustered. Uncovered
    ground far from everyone is a different gap (nobody there at all) and is not seam.
    """
    territory_ll = shapely.union_all([unit.geometry for unit in disputed])
    territory = to_plane(territory_ll)
    by_partner = coverage(sites)
    joint = shapely.union_all(list(by_partner.values()))
    uncovered = shapely.difference(territory, joint)
    near = {p: shapely.buffer(shape, seam_km * 1000.0) for p, shape in by_partner.items()}
    seam = shapely.intersection(uncovered, at_least_two(near))
    overlap = at_least_two(by_partner)
    inside, outside = _incidents(sites, territory_ll, events)
    risk_in, risk_out, top_cells = _risk(sites, disputed, territory_ll, risk, top)
    return VacuumReport(
        partners=_partners(sites, by_partner, territory),
        coverage_km2=km2(joint),
        coverage_in_disputed_km2=km2(shapely.intersection(joint, territory)),
        overlap_km2=km2(overlap),
        disputed_km2=km2(territory),
        uncovered_km2=km2(uncovered),
        seam_km=seam_km,
        seam_km2=km2(seam),
        incidents_in_disputed=inside,
        incidents_uncovered=outside,
        risk_month=risk.month if risk is not None else None,
        risk_in_disputed=risk_in,
        risk_uncovered=risk_out,
        top_cells=top_cells,
        layers=tuple(
            (name, to_lonlat(shape))
            for name, shape in [
                *((f"coverage:{p}", s) for p, s in by_partner.items()),
                ("overlap", overlap),
                ("uncovered", uncovered),
                ("seam", seam),
            ]
        ),
    )


def _partners(
    sites: Sequence[Site], by_partner: Mapping[str, Any], territory: Any
) -> tuple[PartnerCoverage, ...]:
    counts: dict[str, int] = {}
    for site in sites:
        counts[site.partner] = counts.get(site.partner, 0) + 1
    return tuple(
        PartnerCoverage(p, counts[p], km2(s), km2(shapely.intersection(s, territory)))
        for p, s in by_partner.items()
    )


def _incidents(sites: Sequence[Site], territory_ll: Any, events: EventArrays) -> tuple[int, int]:
    """Incidents inside the territory, and how many of those no site covers."""
    inside = shapely.contains_xy(territory_ll, events.longitude, events.latitude)
    lat, lon = events.latitude[inside], events.longitude[inside]
    return int(inside.sum()), int((~covered(sites, lat, lon)).sum())


def _risk(
    sites: Sequence[Site],
    disputed: Sequence[DisputedUnit],
    territory_ll: Any,
    risk: Risk | None,
    top: int,
) -> tuple[float, float, tuple[RiskCell, ...]]:
    """Expected events of cells centred in the territory, of those uncovered, and the top
    uncovered cells."""
    if risk is None or not risk.cells:
        return 0.0, 0.0, ()
    lat, lon = cell_centres(list(risk.cells))
    inside = shapely.contains_xy(territory_ll, lon, lat)
    open_ = inside & ~covered(sites, lat, lon)
    order = [int(i) for i in np.argsort(-risk.expected, kind="stable") if open_[i]]
    chosen = [i for i in order if risk.expected[i] > 0][:top]
    cells = tuple(_risk_cell(risk, i, lat[i], lon[i], disputed) for i in chosen)
    return float(risk.expected[inside].sum()), float(risk.expected[open_].sum()), cells


def _risk_cell(
    risk: Risk, i: int, lat: float, lon: float, disputed: Sequence[DisputedUnit]
) -> RiskCell:
    unit = next(
        (u for u in disputed if shapely.contains_xy(u.geometry, lon, lat)),
        DisputedUnit("", "", None),
    )
    return RiskCell(
        risk.cells[i], float(lat), float(lon), float(risk.expected[i]), unit.pcode, unit.name
    )
