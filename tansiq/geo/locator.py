"""Which sub-district a point lies in, for one point or a million at once.

Build an AreaLocator once (`AreaLocator.from_shipped()`, about a second) and share it: it is
read-only after construction. `locate_many` is vectorised for bulk imports; `locate` answers one
point with names in English and Arabic.

Rules: a point inside Iraq gets the sub-district containing it; a point on a boundary shared by
several gets the one listed first in `subdistricts`; a point in no sub-district (outside Iraq,
or in a sliver between polygons) gets the nearest one. Outside Iraq, "nearest" is measured in
metres (see tansiq.geo.outline), and `outside_km` says how far the point is from the border.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from tansiq.domain.areas import Area, AreaLevel, Placement
from tansiq.errors import InvalidInput, ReferenceDataError
from tansiq.geo import reference
from tansiq.geo.outline import FloatArray, IndexArray, OutlineIndex

ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

# Below this many points one STRtree query beats sweeping the 294 polygons (measured: the sweep
# has a fixed cost of about 3 ms, the tree about 1.3 µs a point).
_SWEEP_FROM = 2048


@dataclass(frozen=True, slots=True, eq=False)
class LocatedPoints:
    """Where each point of a batch falls; arrays are aligned with the input coordinates.

    `subdistrict_index` indexes `AreaLocator.subdistricts` and the locator's lookup arrays;
    it is -1 for a point with a non-finite coordinate. `outside_km` is 0.0 inside Iraq, the
    distance to Iraq's outline for a point outside it, and inf for a non-finite point.
    """

    subdistrict_index: IndexArray
    outside_km: FloatArray


class _SubdistrictIndex:
    """Point-in-polygon over the sub-districts, vectorised with shapely's *_xy predicates."""

    def __init__(self, geometries: ObjectArray) -> None:
        self._geometries = geometries
        shapely.prepare(geometries)  # prepared polygons answer intersects_xy several times faster
        self._bounds = shapely.bounds(geometries)
        self._tree = shapely.STRtree(geometries)

    def covering(self, lon: FloatArray, lat: FloatArray) -> IndexArray:
        """The first sub-district covering each point (boundary included); -1 for none."""
        if len(lon) < _SWEEP_FROM:
            point, number = self._tree.query(shapely.points(lon, lat), predicate="intersects")
            return self._first(len(lon), point, number, missing=-1)
        return self._sweep(lon, lat)

    def _sweep(self, lon: FloatArray, lat: FloatArray) -> IndexArray:
        """`covering` for big batches: each polygon tests the points inside its bounding box.

        Points are sorted by longitude once so that each polygon only looks at a slice: measured
        several times faster than an STRtree of the points or of the polygons.
        """
        order = np.argsort(lon, kind="stable")
        lon_sorted, lat_sorted = lon[order], lat[order]
        found = np.full(len(lon), -1, dtype=np.intp)
        for number, (west, south, east, north) in enumerate(self._bounds):
            start = int(np.searchsorted(lon_sorted, west, side="left"))
            stop = int(np.searchsorted(lon_sorted, east, side="right"))
            band = lat_sorted[start:stop]
            # Skipping points already found makes the first polygon win on shared boundaries.
            open_ = (band >= south) & (band <= north) & (found[start:stop] < 0)
            window = np.flatnonzero(open_) + start
            hits = shapely.intersects_xy(
                self._geometries[number], lon_sorted[window], lat_sorted[window]
            )
            found[window[hits]] = number
        result = np.empty_like(found)
        result[order] = found
        return result

    def nearest(self, lon: FloatArray, lat: FloatArray) -> IndexArray:
        """The nearest sub-district to each point, in degrees (ties: the first listed)."""
        point, number = self._tree.query_nearest(shapely.points(lon, lat), all_matches=True)
        return self._first(len(lon), point, number, missing=-1)

    def _first(self, size: int, point: IndexArray, number: IndexArray, missing: int) -> IndexArray:
        """The lowest polygon number paired with each of `size` points; `missing` for none."""
        none = len(self._geometries)
        result = np.full(size, none, dtype=np.intp)
        np.minimum.at(result, point, number)
        result[result == none] = missing
        return result


def _lookup(values: Sequence[object], missing: object, dtype: type) -> npt.NDArray[Any]:
    """A read-only array of `values` with `missing` appended, so that index -1 reads `missing`."""
    array: npt.NDArray[Any] = np.empty(len(values) + 1, dtype=dtype)
    array[:-1] = values
    array[-1] = missing
    array.flags.writeable = False
    return array


class AreaLocator:
    """Places points in the COD sub-districts of Iraq.

    Lookup arrays, indexed by `LocatedPoints.subdistrict_index`: `adm1_pcode`, `adm2_pcode`,
    `adm3_pcode` (object arrays of str) and `disputed`, `kurdistan_region`,
    `syria_border_district` (bool arrays), e.g. `locator.adm2_pcode[located.subdistrict_index]`.
    Each has one entry more than `subdistricts`: the last is None (False for the flags), so the
    index -1 of a non-finite point reads as missing rather than as the last sub-district.
    """

    subdistricts: list[Area]
    adm1_pcode: ObjectArray
    adm2_pcode: ObjectArray
    adm3_pcode: ObjectArray
    disputed: BoolArray
    kurdistan_region: BoolArray
    syria_border_district: BoolArray

    def __init__(
        self, areas: Sequence[Area], subdistrict_geometries: Mapping[str, Any], outline: Any
    ) -> None:
        """Index `areas` (all three levels) with the sub-districts' polygons and Iraq's outline.

        All in WGS84 lon/lat. Takes a second or so: build once and share.
        """
        self._areas = {area.pcode: area for area in areas}
        self.subdistricts = [area for area in areas if area.level == AreaLevel.SUBDISTRICT]
        geometries = np.empty(len(self.subdistricts), dtype=object)
        try:
            geometries[:] = [subdistrict_geometries[area.pcode] for area in self.subdistricts]
        except KeyError as exc:
            raise ReferenceDataError(f"no polygon for sub-district {exc.args[0]}") from None
        self._polygons = _SubdistrictIndex(geometries)
        self._outline_polygon = outline
        shapely.prepare(outline)
        self._outline = OutlineIndex(outline)
        # Each edge of the outline bounds exactly one sub-district: the nearest to its middle.
        self._edge_owner = self._polygons.nearest(*self._outline.edge_midpoints())
        self._fill_lookups()

    @classmethod
    def from_shipped(cls) -> AreaLocator:
        """A locator over the shipped COD 2019 sub-districts and Iraq outline."""
        pcodes, geometries = reference.area_geometries(AreaLevel.SUBDISTRICT)
        return cls(
            reference.areas(),
            dict(zip(pcodes, geometries, strict=True)),
            reference.iraq_outline(),
        )

    def _fill_lookups(self) -> None:
        districts = [self._area(area.parent_pcode) for area in self.subdistricts]
        subs = self.subdistricts
        self.adm1_pcode = _lookup([d.parent_pcode for d in districts], None, object)
        self.adm2_pcode = _lookup([d.pcode for d in districts], None, object)
        self.adm3_pcode = _lookup([a.pcode for a in subs], None, object)
        self.disputed = _lookup([a.disputed for a in subs], False, np.bool_)
        self.kurdistan_region = _lookup([a.kurdistan_region for a in subs], False, np.bool_)
        self.syria_border_district = _lookup(
            [a.syria_border_district for a in subs], False, np.bool_
        )

    def _area(self, pcode: str | None) -> Area:
        area = self._areas.get(pcode or "")
        if area is None:
            raise ReferenceDataError(f"area {pcode!r} is referenced but not defined")
        return area

    def locate_many(self, latitudes: npt.ArrayLike, longitudes: npt.ArrayLike) -> LocatedPoints:
        """Locate a batch of points given as two 1-d arrays of WGS84 degrees.

        The caller validates coordinates first: a non-finite one does not raise, it gets index
        -1 and outside_km inf. A million points take about a second.
        """
        lat = np.asarray(latitudes, dtype=np.float64)
        lon = np.asarray(longitudes, dtype=np.float64)
        if lat.ndim != 1 or lat.shape != lon.shape:
            raise InvalidInput("latitudes and longitudes must be 1-d arrays of the same length")
        index = np.full(len(lat), -1, dtype=np.intp)
        outside_km = np.full(len(lat), np.inf)
        finite = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        index[finite] = self._polygons.covering(lon[finite], lat[finite])
        outside_km[finite] = 0.0
        self._place_uncovered(lon, lat, finite[index[finite] < 0], index, outside_km)
        return LocatedPoints(index, outside_km)

    def _place_uncovered(
        self,
        lon: FloatArray,
        lat: FloatArray,
        uncovered: IndexArray,
        index: IndexArray,
        outside_km: FloatArray,
    ) -> None:
        """Fill in points no sub-district covers: slivers inside Iraq, and points outside it."""
        inside = shapely.intersects_xy(self._outline_polygon, lon[uncovered], lat[uncovered])
        sliver, beyond = uncovered[inside], uncovered[~inside]
        if len(sliver):
            index[sliver] = self._polygons.nearest(lon[sliver], lat[sliver])
        if len(beyond):
            metres, edge = self._outline.nearest(lon[beyond], lat[beyond])
            index[beyond] = self._edge_owner[edge]
            outside_km[beyond] = metres / 1000.0

    def locate(self, latitude: float, longitude: float) -> Placement:
        """Where one point falls: the three levels in English and Arabic, flags, outside_km.

        Raises InvalidInput for a non-finite coordinate.
        """
        located = self.locate_many(np.array([latitude]), np.array([longitude]))
        number = int(located.subdistrict_index[0])
        if number < 0:
            raise InvalidInput(f"coordinates must be finite numbers: {latitude!r}, {longitude!r}")
        return self.placement(number, float(located.outside_km[0]))

    def placement(self, subdistrict_index: int, outside_km: float) -> Placement:
        """The Placement for one row of a LocatedPoints batch (index in range, not -1)."""
        if not 0 <= subdistrict_index < len(self.subdistricts):
            raise InvalidInput(f"no sub-district number {subdistrict_index}")
        subdistrict = self.subdistricts[subdistrict_index]
        district = self._area(subdistrict.parent_pcode)
        governorate = self._area(district.parent_pcode)
        return Placement(
            adm1_pcode=governorate.pcode,
            adm1_en=governorate.name_en,
            adm1_ar=governorate.name_ar,
            adm2_pcode=district.pcode,
            adm2_en=district.name_en,
            adm2_ar=district.name_ar,
            adm3_pcode=subdistrict.pcode,
            adm3_en=subdistrict.name_en,
            adm3_ar=subdistrict.name_ar,
            disputed=subdistrict.disputed,
            kurdistan_region=subdistrict.kurdistan_region,
            syria_border_district=subdistrict.syria_border_district,
            outside_km=outside_km,
        )
