"""From a file to store rows: batching, and placing drafts with a locator (a small real one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import nearest_points

from tansiq.domain.incidents import row_digest
from tansiq.errors import InvalidInput
from tansiq.importers.pipeline import Batch, place_batch, read_batches
from tansiq.store.schema import INCIDENT_WRITE_COLUMNS
from tests.conftest import REPO, SHIPPED_UCDP
from tests.importers.files import ucdp_file

BOUNDARIES = REPO / "tansiq" / "geo" / "data" / "boundaries"
KIRKUK = ("35.468", "44.392")
ABU_KAMAL = ("34.45", "40.92")  # Syrian town a few km over the border from Al-Qaim
CAIRO = ("30.0444", "31.2357")


@dataclass(frozen=True)
class StandInPoints:
    subdistrict_index: npt.NDArray[np.intp]
    outside_km: npt.NDArray[np.float64]


class ThreeSubdistricts:
    """A small real locator with AreaLocator's interface: three COD 2019 sub-districts,
    Iraq's outline, shapely for containment and pyproj for geodesic kilometres outside."""

    # pcode, disputed (UNAMI), Kurdistan Region, district on the Syrian border
    SUBDISTRICTS = (
        ("IQG01Q02N01", False, False, True),  # Al-Karabla, Al-Kaim district, Anbar
        ("IQG11Q02N02", False, True, False),  # Markaz Erbil
        ("IQG13Q04N06", True, False, False),  # Markaz Kirkuk
    )

    def __init__(self) -> None:
        wanted = {row[0] for row in self.SUBDISTRICTS}
        features = {
            str(f["properties"]["ADM3_PCODE"]): f
            for f in _features("irq_adm3_ocha_cod_2019.geojson")
            if f["properties"]["ADM3_PCODE"] in wanted
        }
        chosen = [features[pcode] for pcode, *_ in self.SUBDISTRICTS]
        self.polygons = [shape(f["geometry"]) for f in chosen]
        self.outline = shape(_features("irq_adm0_from_cod_2019.geojson")[0]["geometry"])
        self.adm1_pcode = _pcodes(chosen, "ADM1_PCODE")
        self.adm2_pcode = _pcodes(chosen, "ADM2_PCODE")
        self.adm3_pcode = _pcodes(chosen, "ADM3_PCODE")
        flags = np.array([row[1:] for row in self.SUBDISTRICTS], dtype=np.bool_)
        self.disputed, self.kurdistan_region, self.syria_border_district = flags.T

    def locate_many(
        self, latitudes: npt.NDArray[np.float64], longitudes: npt.NDArray[np.float64]
    ) -> StandInPoints:
        points = shapely.points(longitudes, latitudes)
        degrees = np.array([shapely.distance(polygon, points) for polygon in self.polygons])
        inside = shapely.contains_xy(self.outline, longitudes, latitudes)
        km = [0.0 if inside[i] else self._km_outside(p) for i, p in enumerate(points)]
        return StandInPoints(degrees.argmin(axis=0), np.array(km, dtype=np.float64))

    def _km_outside(self, point: shapely.Point) -> float:
        border, _ = nearest_points(self.outline.boundary, point)
        _, _, metres = Geod(ellps="WGS84").inv(point.x, point.y, border.x, border.y)
        return float(metres) / 1000


Feature = dict[str, Any]


def _features(name: str) -> list[Feature]:
    features: list[Feature] = json.loads((BOUNDARIES / name).read_text())["features"]
    return features


def _pcodes(features: list[Feature], key: str) -> npt.NDArray[np.object_]:
    return np.array([f["properties"][key] for f in features], dtype=np.object_)


@pytest.fixture(scope="module")
def locator() -> ThreeSubdistricts:
    return ThreeSubdistricts()


def one_batch(path: Path) -> Batch:
    [batch] = read_batches(path, "ucdp", batch_rows=100)
    return batch


def placed_file(tmp_path: Path) -> Path:
    """Three shipped rows moved to Kirkuk (line 3), Abu Kamal (line 4) and Cairo (line 5)."""
    places = (KIRKUK, ABU_KAMAL, CAIRO)
    changes = {i: {"latitude": lat, "longitude": lon} for i, (lat, lon) in enumerate(places)}
    return ucdp_file(tmp_path / "x.csv", changes, count=3)


def test_batches_hold_batch_rows_input_rows_with_raws_aligned() -> None:
    batches = list(read_batches(SHIPPED_UCDP, "ucdp", batch_rows=1000))
    assert [b.rows_read for b in batches] == [1000] * 7 + [219]
    for batch in batches:
        assert batch.header[0] == "id"
        assert len(batch.raws) == len(batch.drafts)
        for draft, raw in zip(batch.drafts, batch.raws, strict=True):
            assert raw[0] == draft.source_id


def test_rejected_rows_count_towards_the_batch(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "x.csv", {1: {"latitude": "x"}}, count=5)
    batches = list(read_batches(path, "ucdp", batch_rows=2))
    assert [(len(b.drafts), len(b.rejected)) for b in batches] == [(1, 1), (2, 0), (1, 0)]
    [rejected] = batches[0].rejected
    assert rejected.line == 4
    assert rejected.raw[batches[0].header.index("latitude")] == "x"


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "x.csv")
    with pytest.raises(InvalidInput, match="unknown source 'gdelt'"):
        list(read_batches(path, "gdelt", 10))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_rows"):
        list(read_batches(path, "ucdp", 0))


def test_placed_rows_have_exactly_the_write_columns_in_python_types(
    tmp_path: Path, locator: ThreeSubdistricts
) -> None:
    placed = place_batch(one_batch(placed_file(tmp_path)), locator, max_outside_km=25)
    assert len(placed.rows) == 2
    for row in placed.records():
        assert list(row) == list(INCIDENT_WRITE_COLUMNS)
        for name, value in row.items():
            assert type(value) in (str, int, float, bool, date, type(None)), (name, value)


def test_a_point_inside_gets_its_subdistrict_and_flags(
    tmp_path: Path, locator: ThreeSubdistricts
) -> None:
    batch = one_batch(placed_file(tmp_path))
    row = place_batch(batch, locator, max_outside_km=25).records()[0]
    assert (row["adm1_pcode"], row["adm2_pcode"], row["adm3_pcode"]) == (
        "IQG13",
        "IQG13Q04",
        "IQG13Q04N06",
    )
    assert (row["disputed"], row["kurdistan_region"], row["syria_border_district"]) == (
        True,
        False,
        False,
    )
    assert row["outside_km"] == 0.0
    assert row["source_id"] == batch.drafts[0].source_id
    assert row["content_hash"] == row_digest(batch.raws[0])


def test_a_point_just_over_the_border_keeps_the_nearest_subdistrict(
    tmp_path: Path, locator: ThreeSubdistricts
) -> None:
    row = place_batch(one_batch(placed_file(tmp_path)), locator, max_outside_km=25).records()[1]
    assert row["adm3_pcode"] == "IQG01Q02N01"
    assert row["syria_border_district"] is True
    assert isinstance(row["outside_km"], float)
    assert 1 < row["outside_km"] < 25


def test_a_point_far_outside_is_rejected_with_its_distance_and_raw_cells(
    tmp_path: Path, locator: ThreeSubdistricts
) -> None:
    batch = one_batch(placed_file(tmp_path))
    placed = place_batch(batch, locator, max_outside_km=25)
    [far] = placed.rejected
    [error] = far.errors
    assert (far.line, error.line, error.field) == (5, 5, "latitude/longitude")
    assert error.reason.endswith(" km outside Iraq (limit 25 km)")
    assert 700 < float(error.reason.split(" ")[0]) < 900
    assert far.raw == batch.raws[2]
    assert [r["source_id"] for r in placed.records()] == [d.source_id for d in batch.drafts[:2]]


def test_the_limit_is_the_callers(tmp_path: Path, locator: ThreeSubdistricts) -> None:
    placed = place_batch(one_batch(placed_file(tmp_path)), locator, max_outside_km=0.5)
    assert [r.line for r in placed.rejected] == [4, 5]
    assert "(limit 0.5 km)" in placed.rejected[0].errors[0].reason


def test_a_batch_of_only_rejected_rows_places_nothing(
    tmp_path: Path, locator: ThreeSubdistricts
) -> None:
    path = ucdp_file(tmp_path / "x.csv", {0: {"id": ""}}, count=1)
    placed = place_batch(one_batch(path), locator, max_outside_km=25)
    assert (placed.rows, placed.rejected) == ([], [])


@pytest.mark.slow  # builds the real locator: about two seconds
def test_the_shipped_file_is_placed_whole_by_the_real_locator() -> None:
    # UCDP's border placeholders lie up to ~19 km outside: all kept at the 25 km default.
    from tansiq.geo.locator import AreaLocator

    locator = AreaLocator.from_shipped()
    rows = []
    for batch in read_batches(SHIPPED_UCDP, "ucdp", batch_rows=5000):
        placed = place_batch(batch, locator, max_outside_km=25)
        assert placed.rejected == []
        rows.extend(placed.records())
    assert len(rows) == 7219
    assert all(str(r["adm3_pcode"]).startswith(str(r["adm2_pcode"])) for r in rows)
    assert 0 < sum(1 for r in rows if r["disputed"]) < 7219
    assert max(float(r["outside_km"]) for r in rows) < 25  # type: ignore[arg-type]
