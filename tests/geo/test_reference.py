"""The shipped reference geography: areas, flags, outlines, map layers, gazetteer."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape

from tansiq.domain.areas import Area, AreaLevel
from tansiq.errors import NotFound, ReferenceDataError
from tansiq.geo import reference

UNAMI_DISTRICTS = {
    "IQG15Q07",  # Sinjar
    "IQG15Q08",  # Telafar
    "IQG15Q09",  # Tilkaef
    "IQG15Q06",  # Al-Shikhan (Sheikhan)
    "IQG15Q01",  # Aqra (Akre)
    "IQG15Q03",  # Al-Hamdaniya
    "IQG11Q04",  # Makhmour
    "IQG13Q01",  # Al-Hawiga
    "IQG13Q03",  # Dibis
    "IQG13Q02",  # Daquq
    "IQG13Q04",  # Kirkuk
    "IQG16Q07",  # Tooz Khurmato
    "IQG10Q06",  # Kifri
    "IQG10Q05",  # Khanaqin
}
MANDALI = "IQG10Q03N01"
ZUMMAR = "IQG15Q08N03"
BADRA = "IQG18Q05"
KURDISTAN_GOVERNORATES = {"IQG06", "IQG09", "IQG11"}
SYRIA_BORDER_DISTRICTS = {
    "IQG01Q02",  # Al-Kaim
    "IQG01Q04",  # Al-Rutba
    "IQG01Q05",  # Ana
    "IQG09Q04",  # Zakho
    "IQG15Q02",  # Al-Baaj
    "IQG15Q07",  # Sinjar
    "IQG15Q08",  # Telafar
}
ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def by_level(level: AreaLevel) -> list[Area]:
    return [area for area in reference.areas() if area.level == level]


def district_of(area: Area) -> str:
    """The district pcode an area is or lies in."""
    return area.pcode if area.level == AreaLevel.DISTRICT else str(area.parent_pcode)


def test_counts_per_level() -> None:
    assert [len(by_level(level)) for level in AreaLevel] == [18, 101, 294]
    assert len({area.pcode for area in reference.areas()}) == 413


def test_every_area_has_english_and_arabic_names() -> None:
    for area in reference.areas():
        assert area.name_en.strip(), area.pcode
        assert ARABIC_LETTER.search(area.name_ar), (area.pcode, area.name_ar)


def test_parents_are_the_level_above() -> None:
    pcodes = {area.pcode: area for area in reference.areas()}
    for area in reference.areas():
        if area.level == AreaLevel.GOVERNORATE:
            assert area.parent_pcode is None
            continue
        parent = pcodes[str(area.parent_pcode)]
        assert parent.level == area.level - 1
        assert area.pcode.startswith(parent.pcode)


def test_disputed_districts_are_exactly_the_fourteen_unami_districts() -> None:
    disputed = {area.pcode for area in by_level(AreaLevel.DISTRICT) if area.disputed}
    assert disputed == UNAMI_DISTRICTS


def test_disputed_subdistricts_are_those_of_disputed_districts_and_mandali() -> None:
    disputed = {area.pcode for area in by_level(AreaLevel.SUBDISTRICT) if area.disputed}
    expected = {
        area.pcode
        for area in by_level(AreaLevel.SUBDISTRICT)
        if area.parent_pcode in UNAMI_DISTRICTS or area.pcode == MANDALI
    }
    assert disputed == expected
    assert MANDALI in disputed
    assert ZUMMAR in disputed  # because Telafar is, not because of the KRG claim


def test_badra_and_governorates_are_not_disputed() -> None:
    assert not any(area.disputed for area in by_level(AreaLevel.GOVERNORATE))
    badra = [area for area in reference.areas() if district_of(area) == BADRA]
    assert len(badra) > 1
    assert not any(area.disputed for area in badra)


def test_kurdistan_region_is_the_three_governorates_and_everything_in_them() -> None:
    for area in reference.areas():
        governorate = area.pcode[:5]  # pcodes nest: IQG11 > IQG11Q04 > IQG11Q04N02
        assert area.kurdistan_region == (governorate in KURDISTAN_GOVERNORATES), area.pcode


def test_syria_border_districts_and_their_subdistricts() -> None:
    flagged = {area.pcode for area in by_level(AreaLevel.DISTRICT) if area.syria_border_district}
    assert flagged == SYRIA_BORDER_DISTRICTS
    for area in by_level(AreaLevel.SUBDISTRICT):
        assert area.syria_border_district == (area.parent_pcode in SYRIA_BORDER_DISTRICTS)
    assert not any(area.syria_border_district for area in by_level(AreaLevel.GOVERNORATE))


@pytest.mark.parametrize("level", list(AreaLevel))
def test_area_geometries_line_up_with_areas_and_are_read_only(level: AreaLevel) -> None:
    pcodes, geometries = reference.area_geometries(level)
    assert pcodes == [area.pcode for area in by_level(level)]
    assert len(geometries) == len(pcodes)
    assert shapely.is_valid(geometries).all()
    with pytest.raises(ValueError, match="read-only"):
        geometries[0] = None


def test_iraq_outline_is_the_union_of_the_governorates() -> None:
    _, governorates = reference.area_geometries(AreaLevel.GOVERNORATE)
    outline = reference.iraq_outline()
    assert outline.symmetric_difference(shapely.union_all(governorates)).area < 1e-9
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(outline)[0]) / 1e6
    assert 430_000 < area_km2 < 445_000  # Iraq is about 438,000 km²


def test_kurdistan_region_outline_holds_erbil_and_not_kirkuk() -> None:
    outline = reference.kurdistan_region_outline()
    assert outline.contains(Point(44.01, 36.19))
    assert not outline.contains(Point(44.392, 35.468))


def test_syria_border_line_runs_along_the_outline() -> None:
    line = reference.syria_border_line()
    length_km = Geod(ellps="WGS84").geometry_length(line) / 1000
    assert 580 < length_km < 620
    assert line.hausdorff_distance(reference.iraq_outline().boundary.intersection(line)) < 1e-6


EXPECTED_LAYERS = {
    # name: (features, budget in bytes of json.dumps; measured sizes are 10-30 % below)
    "adm1": (18, 110_000),
    "adm2": (101, 260_000),
    "adm3": (294, 500_000),
    "disputed": (15, 50_000),
    "kurdistan-region": (1, 25_000),
    "syria-border": (1, 5_000),
    "neighbours": (7, 130_000),
}


def test_layer_names() -> None:
    assert set(reference.LAYER_NAMES) == set(EXPECTED_LAYERS)


@pytest.mark.parametrize(("name", "expected"), EXPECTED_LAYERS.items())
def test_map_layers_are_valid_and_small(name: str, expected: tuple[int, int]) -> None:
    features, budget = expected
    layer = reference.feature_collection(name)
    assert layer["type"] == "FeatureCollection"
    assert len(layer["features"]) == features
    for feature in layer["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["properties"]
        assert not geometry.is_empty, feature["properties"]
    assert len(json.dumps(layer)) < budget
    # The compact bytes the web layer serves are smaller still.
    assert len(reference.feature_collection_json(name)) < len(json.dumps(layer))


@pytest.mark.parametrize("level", list(AreaLevel))
def test_area_layers_stay_close_to_the_cod_and_neighbours_still_meet(level: AreaLevel) -> None:
    layer = reference.feature_collection(f"adm{int(level)}")
    simplified = np.array([shape(f["geometry"]) for f in layer["features"]], dtype=object)
    _, original = reference.area_geometries(level)
    assert shapely.hausdorff_distance(original, simplified).max() < 0.007  # about 700 m
    assert shapely.coverage_is_valid(simplified)  # no gaps or overlaps between neighbours


def test_area_layer_properties() -> None:
    feature = next(
        f
        for f in reference.feature_collection("adm3")["features"]
        if f["properties"]["pcode"] == MANDALI
    )
    assert feature["properties"] == {
        "pcode": MANDALI,
        "level": 3,
        "name_en": "Mandali",
        "name_ar": "مندلي",
        "parent_pcode": "IQG10Q03",
        "disputed": True,
        "kurdistan_region": False,
        "syria_border_district": False,
    }


def test_disputed_layer_is_the_unami_list() -> None:
    layer = reference.feature_collection("disputed")
    assert {f["properties"]["pcode"] for f in layer["features"]} == UNAMI_DISTRICTS | {MANDALI}


def test_coordinates_are_rounded_to_five_decimals() -> None:
    text = reference.feature_collection_json("adm2").decode()
    decimals = [len(d) for d in re.findall(r"\d\.(\d+)", text)]
    assert max(decimals) <= 5


def test_feature_collection_hands_out_a_fresh_copy() -> None:
    layer = reference.feature_collection("adm1")
    layer["features"].clear()
    assert len(reference.feature_collection("adm1")["features"]) == 18


def test_unknown_layer_is_not_found() -> None:
    with pytest.raises(NotFound, match="roads"):
        reference.feature_collection("roads")


def test_gazetteer() -> None:
    entries = reference.gazetteer()
    assert len(entries) == 863
    governorates = {area.pcode for area in by_level(AreaLevel.GOVERNORATE)}
    assert {entry.adm1_pcode for entry in entries} <= governorates
    outline = reference.iraq_outline().buffer(0.1)
    assert all(outline.contains(Point(e.longitude, e.latitude)) for e in entries)
    zakho = next(e for e in entries if e.name == "Zaxo")
    assert zakho.name_ar == "زاخو"
    assert "Zakho" in zakho.alternate_names
    assert zakho.adm2_pcode == "IQG09Q04"
    assert zakho.licence == "CC BY 4.0 (GeoNames)"


def test_missing_reference_file_raises_reference_data_error() -> None:
    with pytest.raises(ReferenceDataError, match=r"boundaries/no_such_file\.geojson"):
        reference._single_feature("boundaries/no_such_file.geojson", frozenset({"Polygon"}))
