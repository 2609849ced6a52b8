"""The shipped reference geography: COD boundaries, borders, the disputed list, a gazetteer.

Everything is read from the installed package (importlib.resources) on first use and cached for
the life of the process: the files are static and ship with the code. A missing or damaged file
raises ReferenceDataError naming the file, never a bare OSError or KeyError. Values handed out
are immutable (Area, shapely geometries, read-only numpy arrays) or fresh copies, so one caller
cannot change what the next one sees.

Sources, licences and caveats: tansiq/geo/data/ATTRIBUTION.md.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping, shape

from tansiq.domain.areas import Area, AreaLevel
from tansiq.errors import NotFound, ReferenceDataError

GeometryArray = npt.NDArray[np.object_]
"""A 1-d numpy object array of shapely geometries."""

_COD_FILES: Final = {
    AreaLevel.GOVERNORATE: "boundaries/irq_adm1_ocha_cod_2019.geojson",
    AreaLevel.DISTRICT: "boundaries/irq_adm2_ocha_cod_2019.geojson",
    AreaLevel.SUBDISTRICT: "boundaries/irq_adm3_ocha_cod_2019.geojson",
}
_IRAQ_FILE: Final = "boundaries/irq_adm0_from_cod_2019.geojson"
_KURDISTAN_FILE: Final = "boundaries/kurdistan_region_cod_2019.geojson"
_DISPUTED_FILE: Final = "boundaries/disputed_territories.csv"
_SYRIA_LINE_FILE: Final = "borders/iraq_syria_border_cod2019.geojson"
_SYRIA_DISTRICTS_FILE: Final = "borders/districts_on_iraq_syria_border.csv"
_NEIGHBOURS_FILE: Final = "borders/ne10m_admin0_iraq_and_neighbours.geojson"
_GAZETTEER_FILE: Final = "gazetteer/iraq_gazetteer_combined.csv"

_POLYGONAL: Final = frozenset({"Polygon", "MultiPolygon"})


# --- reading and checking the shipped files ----------------------------------------------------


@contextlib.contextmanager
def _reading(path: str) -> Iterator[None]:
    """Turn any failure while reading `path` into a ReferenceDataError that names the file."""
    try:
        yield
    except ReferenceDataError:
        raise
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.ShapelyError) as exc:
        raise ReferenceDataError(
            f"shipped reference data tansiq/geo/data/{path} is missing or damaged: {exc}"
        ) from exc


def _read_text(path: str) -> str:
    resource = resources.files("tansiq.geo") / "data" / path
    return resource.read_text(encoding="utf-8")


def _features(path: str) -> list[dict[str, Any]]:
    """The features of a shipped GeoJSON FeatureCollection (call inside `_reading`)."""
    collection = json.loads(_read_text(path))
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValueError("not a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise ValueError("no features")
    return features


def _geometry(feature: Mapping[str, Any], allowed: frozenset[str]) -> Any:
    """The feature's geometry as shapely, checked to be valid, non-empty and of an allowed type."""
    geometry = shape(feature["geometry"])
    if geometry.geom_type not in allowed or geometry.is_empty or not geometry.is_valid:
        raise ValueError(f"feature geometry is not a valid {'/'.join(sorted(allowed))}")
    return geometry


def _text(properties: Mapping[str, Any], key: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"property {key} is empty")
    return value.strip()


def _csv_rows(path: str, required: frozenset[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a shipped CSV file with their line numbers (call inside `_reading`)."""
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"missing columns {', '.join(sorted(missing))}")
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items()}) for row in reader]


# --- the COD administrative units --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CodUnit:
    """One COD feature as read: the facts an Area is made of, plus its polygon."""

    pcode: str
    name_en: str
    name_ar: str
    adm1_pcode: str
    adm2_pcode: str | None  # the district it is or lies in; None for a governorate
    geometry: Any


def _cod_unit(feature: Mapping[str, Any], level: AreaLevel) -> _CodUnit:
    properties = feature["properties"]
    return _CodUnit(
        pcode=_text(properties, f"ADM{level}_PCODE"),
        name_en=_text(properties, f"ADM{level}_EN"),
        name_ar=_text(properties, f"ADM{level}_AR"),
        adm1_pcode=_text(properties, "ADM1_PCODE"),
        adm2_pcode=None if level == AreaLevel.GOVERNORATE else _text(properties, "ADM2_PCODE"),
        geometry=_geometry(feature, _POLYGONAL),
    )


@functools.cache
def _cod_units(level: AreaLevel) -> tuple[_CodUnit, ...]:
    path = _COD_FILES[level]
    with _reading(path):
        units = tuple(_cod_unit(feature, level) for feature in _features(path))
        pcodes = [unit.pcode for unit in units]
        if len(set(pcodes)) != len(pcodes):
            raise ValueError("duplicate pcodes")
    return units


def _pcodes(level: AreaLevel) -> frozenset[str]:
    return frozenset(unit.pcode for unit in _cod_units(level))


def _check_hierarchy() -> None:
    """Every district lies in a known governorate, every sub-district in a known district."""
    governorates = _pcodes(AreaLevel.GOVERNORATE)
    district_in = {unit.pcode: unit.adm1_pcode for unit in _cod_units(AreaLevel.DISTRICT)}
    for pcode, adm1 in district_in.items():
        if adm1 not in governorates:
            raise ReferenceDataError(f"district {pcode} names unknown governorate {adm1}")
    for unit in _cod_units(AreaLevel.SUBDISTRICT):
        if district_in.get(unit.adm2_pcode or "") != unit.adm1_pcode:
            raise ReferenceDataError(
                f"sub-district {unit.pcode} names district {unit.adm2_pcode} of {unit.adm1_pcode},"
                " which the district file does not have"
            )


@functools.cache
def _disputed_listed() -> frozenset[str]:
    """Pcodes of the units UNAMI reported on as disputed internal boundaries (22 April 2009).

    Rows with only a KRG claim (Badra; Zummar on its own) are in the file but not listed here:
    the project's disputed territories are the UNAMI ones.
    """
    levels = {"district": AreaLevel.DISTRICT, "subdistrict": AreaLevel.SUBDISTRICT}
    listed = set()
    with _reading(_DISPUTED_FILE):
        for line, row in _csv_rows(
            _DISPUTED_FILE, frozenset({"level", "pcode", "unami_dibs_2009"})
        ):
            level = levels.get(row["level"])
            if level is None or row["pcode"] not in _pcodes(level):
                raise ValueError(f"line {line}: {row['pcode']!r} is not a COD {row['level']!r}")
            if row["unami_dibs_2009"]:
                listed.add(row["pcode"])
    return frozenset(listed)


@functools.cache
def _syria_border_districts() -> frozenset[str]:
    districts = _pcodes(AreaLevel.DISTRICT)
    with _reading(_SYRIA_DISTRICTS_FILE):
        rows = _csv_rows(_SYRIA_DISTRICTS_FILE, frozenset({"adm2_pcode"}))
        for line, row in rows:
            if row["adm2_pcode"] not in districts:
                raise ValueError(f"line {line}: {row['adm2_pcode']!r} is not a COD district")
    return frozenset(row["adm2_pcode"] for _, row in rows)


@functools.cache
def _single_feature(path: str, allowed: frozenset[str]) -> tuple[dict[str, Any], Any]:
    """Properties and geometry of a file holding exactly one feature."""
    with _reading(path):
        (feature,) = _features(path)
        return dict(feature["properties"]), _geometry(feature, allowed)


def _kurdistan_region_feature() -> tuple[dict[str, Any], Any]:
    return _single_feature(_KURDISTAN_FILE, _POLYGONAL)


@functools.cache
def _kurdistan_region_governorates() -> frozenset[str]:
    """The governorates of the formal Kurdistan Region, as the shipped outline records them."""
    properties, _ = _kurdistan_region_feature()
    pcodes = properties.get("adm1_pcodes")
    governorates = _pcodes(AreaLevel.GOVERNORATE)
    if not isinstance(pcodes, list) or not pcodes or not set(pcodes) <= governorates:
        raise ReferenceDataError(f"{_KURDISTAN_FILE}: adm1_pcodes must list COD governorates")
    return frozenset(pcodes)


def _area(unit: _CodUnit, level: AreaLevel) -> Area:
    in_district = unit.adm2_pcode is not None
    parent = {
        AreaLevel.GOVERNORATE: None,
        AreaLevel.DISTRICT: unit.adm1_pcode,
        AreaLevel.SUBDISTRICT: unit.adm2_pcode,
    }[level]
    return Area(
        pcode=unit.pcode,
        level=level,
        name_en=unit.name_en,
        name_ar=unit.name_ar,
        parent_pcode=parent,
        # A governorate is never disputed as a whole; a unit inside a disputed district is.
        disputed=in_district and not _disputed_listed().isdisjoint({unit.pcode, unit.adm2_pcode}),
        kurdistan_region=unit.adm1_pcode in _kurdistan_region_governorates(),
        syria_border_district=in_district and unit.adm2_pcode in _syria_border_districts(),
    )


@functools.cache
def _areas() -> tuple[Area, ...]:
    _check_hierarchy()
    return tuple(_area(unit, level) for level in AreaLevel for unit in _cod_units(level))


def areas() -> list[Area]:
    """All COD units: 18 governorates, then 101 districts, then 294 sub-districts (file order).

    Flags: `disputed` marks the UNAMI disputed internal boundaries (14 districts and the Mandali
    sub-district) and every unit inside them; `kurdistan_region` marks units in the formal
    three-governorate Kurdistan Region; `syria_border_district` marks the districts touching the
    Iraq-Syria border and their sub-districts.
    """
    return list(_areas())


@functools.cache
def _geometries(level: AreaLevel) -> tuple[tuple[str, ...], GeometryArray]:
    units = _cod_units(level)
    geometries = np.empty(len(units), dtype=object)
    geometries[:] = [unit.geometry for unit in units]
    geometries.flags.writeable = False  # shared by every caller
    return tuple(unit.pcode for unit in units), geometries


def area_geometries(level: AreaLevel) -> tuple[list[str], GeometryArray]:
    """The pcodes and polygons of one level, in the same order as `areas()` lists them.

    The geometry array is read-only (it is shared); WGS84 lon/lat, as shipped.
    """
    pcodes, geometries = _geometries(level)
    return list(pcodes), geometries


# --- outlines and borders ----------------------------------------------------------------------


def iraq_outline() -> Any:
    """Iraq as one polygon: the union of the COD governorates (lon/lat)."""
    return _single_feature(_IRAQ_FILE, _POLYGONAL)[1]


def kurdistan_region_outline() -> Any:
    """The formal Kurdistan Region (Duhok, Erbil, Al-Sulaymaniyah incl. Halabja), lon/lat.

    This is the governorate outline, not a de-facto line of control.
    """
    return _kurdistan_region_feature()[1]


_LINEAR: Final = frozenset({"LineString", "MultiLineString"})


def syria_border_line() -> Any:
    """The Iraq-Syria boundary as drawn by the COD (a LineString, lon/lat).

    The COD drawing, not Natural Earth's, so that it lines up with the COD districts.
    """
    return _single_feature(_SYRIA_LINE_FILE, _LINEAR)[1]


# --- gazetteer ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One place name with a point: a GeoNames town, a COD unit's label point or a UCDP place.

    `licence` is the row's own licence (GeoNames, OCHA COD or UCDP), kept for attribution.
    """

    name: str
    name_ar: str | None
    alternate_names: tuple[str, ...]
    feature_type: str
    latitude: float
    longitude: float
    adm1_pcode: str
    adm2_pcode: str | None
    source: str
    licence: str


_GAZETTEER_COLUMNS: Final = frozenset(
    {"source", "name", "name_ar", "alternate_names", "feature_type", "latitude", "longitude"}
    | {"adm1_pcode", "adm2_pcode", "licence"}
)


def _coordinate(row: Mapping[str, str], key: str, line: int, limit: float) -> float:
    value = float(row[key])
    if not math.isfinite(value) or abs(value) > limit:
        raise ValueError(f"line {line}: {key} {row[key]!r} out of range")
    return value


def _gazetteer_entry(line: int, row: Mapping[str, str]) -> GazetteerEntry:
    if not row["name"] or not row["adm1_pcode"]:
        raise ValueError(f"line {line}: name and adm1_pcode are required")
    return GazetteerEntry(
        name=row["name"],
        name_ar=row["name_ar"] or None,
        alternate_names=tuple(name for name in row["alternate_names"].split("|") if name),
        feature_type=row["feature_type"],
        latitude=_coordinate(row, "latitude", line, 90.0),
        longitude=_coordinate(row, "longitude", line, 180.0),
        adm1_pcode=row["adm1_pcode"],
        adm2_pcode=row["adm2_pcode"] or None,
        source=row["source"],
        licence=row["licence"],
    )


@functools.cache
def _gazetteer() -> tuple[GazetteerEntry, ...]:
    with _reading(_GAZETTEER_FILE):
        rows = _csv_rows(_GAZETTEER_FILE, _GAZETTEER_COLUMNS)
        return tuple(_gazetteer_entry(line, row) for line, row in rows)


def gazetteer() -> list[GazetteerEntry]:
    """The combined gazetteer: GeoNames towns, COD unit names and UCDP places (863 rows)."""
    return list(_gazetteer())


# --- GeoJSON layers for the web map ------------------------------------------------------------

# Simplification tolerance in degrees. For coverage_simplify (Visvalingam-Whyatt) it is roughly
# the square root of the triangle areas removed; measured on the COD, 0.005 moves no boundary by
# more than about 600 m at any level (a few pixels at the zooms the layers are shown at) and
# keeps under half of the vertices, which is what makes the page load fast.
_SIMPLIFY_DEGREES: Final = 0.005
_DECIMALS: Final = 5  # about 1 m, the precision the COD was shipped at
_GRID: Final = 10.0**-_DECIMALS


def _snapped(geometries: Any) -> Any:
    """Snap to the 5-decimal grid robustly (set_precision keeps polygons valid while rounding)."""
    snapped = shapely.set_precision(geometries, _GRID)
    if not np.all(shapely.is_valid(snapped) & ~shapely.is_empty(snapped)):
        raise ReferenceDataError("simplified map geometry is invalid or empty")
    return snapped


@functools.cache
def _simplified(level: AreaLevel) -> GeometryArray:
    """The level's polygons simplified together, snapped to the 5-decimal grid.

    coverage_simplify rather than simplify(preserve_topology=True): it simplifies each shared
    edge once, so neighbouring units still meet exactly (per-polygon simplification opens gaps
    and overlaps along every boundary).
    """
    _, geometries = _geometries(level)
    return np.asarray(
        _snapped(shapely.coverage_simplify(geometries, _SIMPLIFY_DEGREES)), dtype=object
    )


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates[0], float | int):
        return [round(value, _DECIMALS) for value in coordinates]
    return [_rounded(part) for part in coordinates]


def _feature(geometry: Any, properties: Mapping[str, Any]) -> dict[str, Any]:
    geojson = mapping(geometry)
    return {
        "type": "Feature",
        "geometry": {"type": geojson["type"], "coordinates": _rounded(geojson["coordinates"])},
        "properties": dict(properties),
    }


def _area_properties(area: Area) -> dict[str, Any]:
    return {
        "pcode": area.pcode,
        "level": int(area.level),
        "name_en": area.name_en,
        "name_ar": area.name_ar,
        "parent_pcode": area.parent_pcode,
        "disputed": area.disputed,
        "kurdistan_region": area.kurdistan_region,
        "syria_border_district": area.syria_border_district,
    }


def _simplified_by_pcode() -> dict[str, Any]:
    by_pcode: dict[str, Any] = {}
    for level in AreaLevel:
        by_pcode.update(zip(_geometries(level)[0], _simplified(level), strict=True))
    return by_pcode


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _area_layer(level: AreaLevel) -> dict[str, Any]:
    geometry = _simplified_by_pcode()
    return _collection(
        [
            _feature(geometry[area.pcode], _area_properties(area))
            for area in _areas()
            if area.level == level
        ]
    )


def _disputed_layer() -> dict[str, Any]:
    """The disputed units themselves: the 14 districts and Mandali, not their sub-districts."""
    geometry = _simplified_by_pcode()
    disputed = {area.pcode for area in _areas() if area.disputed}
    outermost = [
        area for area in _areas() if area.pcode in disputed and area.parent_pcode not in disputed
    ]
    return _collection([_feature(geometry[a.pcode], _area_properties(a)) for a in outermost])


def _kurdistan_region_layer() -> dict[str, Any]:
    # Built from the simplified governorates so that it lines up with the adm1 layer exactly.
    properties, _ = _kurdistan_region_feature()
    governorates = _kurdistan_region_governorates()
    pcodes, _ = _geometries(AreaLevel.GOVERNORATE)
    parts = [
        g
        for p, g in zip(pcodes, _simplified(AreaLevel.GOVERNORATE), strict=True)
        if p in governorates
    ]
    outline = _snapped(shapely.union_all(parts))
    return _collection([_feature(outline, properties)])


def _syria_border_layer() -> dict[str, Any]:
    properties, line = _single_feature(_SYRIA_LINE_FILE, _LINEAR)
    return _collection([_feature(line, properties)])


def _neighbours_layer() -> dict[str, Any]:
    with _reading(_NEIGHBOURS_FILE):
        features = _features(_NEIGHBOURS_FILE)
        countries = np.array([_geometry(f, _POLYGONAL) for f in features], dtype=object)
    simplified = shapely.simplify(countries, _SIMPLIFY_DEGREES, preserve_topology=True)
    return _collection(
        [
            _feature(g, {"name": f["properties"]["name"], "iso_n3": f["properties"]["iso_n3"]})
            for f, g in zip(features, _snapped(simplified), strict=True)
        ]
    )


_LAYERS: Final[Mapping[str, Callable[[], dict[str, Any]]]] = {
    "adm1": functools.partial(_area_layer, AreaLevel.GOVERNORATE),
    "adm2": functools.partial(_area_layer, AreaLevel.DISTRICT),
    "adm3": functools.partial(_area_layer, AreaLevel.SUBDISTRICT),
    "disputed": _disputed_layer,
    "kurdistan-region": _kurdistan_region_layer,
    "syria-border": _syria_border_layer,
    "neighbours": _neighbours_layer,
}
LAYER_NAMES: Final = tuple(_LAYERS)
"""The names `feature_collection` knows."""


@functools.cache
def feature_collection_json(name: str) -> bytes:
    """A map layer as compact UTF-8 GeoJSON, built once: serve these bytes as they are.

    Raises NotFound for a name not in LAYER_NAMES.
    """
    build = _LAYERS.get(name)
    if build is None:
        raise NotFound(f"no map layer {name!r}; known layers: {', '.join(LAYER_NAMES)}")
    return json.dumps(build(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def feature_collection(name: str) -> dict[str, Any]:
    """A map layer as a GeoJSON FeatureCollection (a fresh copy: callers may change it).

    Layers: "adm1", "adm2", "adm3" (area properties: pcode, level, name_en, name_ar,
    parent_pcode and the three flags), "disputed" (the 14 UNAMI districts and Mandali, same
    properties), "kurdistan-region", "syria-border" and "neighbours" (Natural Earth countries).
    Polygons are simplified for display and rounded to 5 decimals: do not use them for
    point-in-polygon work. Raises NotFound for an unknown name.
    """
    layer: dict[str, Any] = json.loads(feature_collection_json(name))
    return layer
