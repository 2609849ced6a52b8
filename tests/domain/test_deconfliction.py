"""The deconfliction rule: properties (hypothesis) against geodesic distances, and validation."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from tansiq.domain.deconfliction import (
    ConflictReason,
    Footprint,
    FootprintKind,
    conflict,
    windows_overlap,
    within_reach,
    within_reach_each,
)
from tansiq.errors import InvalidInput
from tansiq.geo.metric import SCALE_BOUND

GEOD = pyproj.Geod(ellps="WGS84")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TOLERANCE = 0.0061  # the rule may flag pairs up to 0.6 % beyond their buffers (SCALE_BOUND)
SUBJECTS = [f"identity--0000000{i}-0000-4000-8000-000000000000" for i in range(6)]


def make_footprint(**overrides: Any) -> Footprint:
    """A joc raid just south of Kirkuk, 06:00-10:00 on 1 March 2026, 1 km and ±2 h."""
    values: dict[str, Any] = {
        "kind": FootprintKind.OPERATION,
        "ref": "op-1",
        "owner": "joc",
        "area": Point(44.39, 35.44),
        "buffer_m": 1000.0,
        "start": T0 + timedelta(hours=6),
        "end": T0 + timedelta(hours=10),
        "margin": timedelta(hours=2),
    }
    values.update(overrides)
    return Footprint(**values)


# --- strategies ------------------------------------------------------------------------------

lons = st.floats(39.0, 48.0)
lats = st.floats(29.5, 37.0)
offsets = st.floats(-0.2, 0.2)


@st.composite
def areas(draw: st.DrawFn, lon: float | None = None, lat: float | None = None) -> BaseGeometry:
    """A point, a small box or a short route near (lon, lat)."""
    x = draw(lons) if lon is None else lon
    y = draw(lats) if lat is None else lat
    shape = draw(st.sampled_from(["point", "box", "route"]))
    if shape == "point":
        return Point(x, y)
    if shape == "box":
        half = draw(st.floats(0.001, 0.3))
        return box(x - half, y - half, x + half, y + half)
    steps = draw(st.lists(st.tuples(offsets, offsets), min_size=1, max_size=3))
    route = LineString([(x, y)] + [(x + dx, y + dy) for dx, dy in steps])
    return route if route.is_valid else Point(x, y)  # all steps zero: no route


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime | None, datetime | None, timedelta]:
    start = T0 + timedelta(minutes=draw(st.integers(0, 30 * 24 * 60)))
    end = start + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    margin = timedelta(minutes=draw(st.integers(0, 6 * 60)))
    open_start, open_end = draw(st.booleans()), draw(st.booleans())
    open_start = open_start and draw(st.integers(0, 4)) == 0  # open ends: one time in five
    open_end = open_end and draw(st.integers(0, 4)) == 0
    return (None if open_start else start, None if open_end else end, margin)


@st.composite
def footprints(
    draw: st.DrawFn,
    area: BaseGeometry | None = None,
    window: tuple[datetime | None, datetime | None, timedelta] | None = None,
    subjects: frozenset[str] | None = None,
) -> Footprint:
    start, end, margin = draw(windows()) if window is None else window
    return Footprint(
        kind=draw(st.sampled_from(list(FootprintKind))),
        ref=draw(st.sampled_from(["a", "b", "c"])),
        owner=draw(st.sampled_from(["joc", "krg"])),
        area=draw(areas()) if area is None else area,
        buffer_m=draw(st.floats(0.0, 5000.0)),
        start=start,
        end=end,
        margin=margin,
        subjects=(
            frozenset(draw(st.sets(st.sampled_from(SUBJECTS), max_size=2)))
            if subjects is None
            else subjects
        ),
    )


def vertices(g: BaseGeometry) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(g)]


def geodesic_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    return float(GEOD.inv(p[0], p[1], q[0], q[1])[2])


def reach_from_centre(g: BaseGeometry) -> tuple[tuple[float, float], float]:
    """A point of g's box and the geodesic distance from it to g's farthest box corner: every
    point of g lies within that distance of it (its box is convex in lon/lat and small)."""
    west, south, east, north = g.bounds
    centre = ((west + east) / 2, (south + north) / 2)
    corners = [(west, south), (west, north), (east, south), (east, north)]
    return centre, max(geodesic_m(centre, c) for c in corners) * 1.001 + 1.0


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(footprints(), footprints())
def test_conflict_is_symmetric(a: Footprint, b: Footprint) -> None:
    assert conflict(a, b) == conflict(b, a)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_symmetric_for_near_and_touching_areas(data: st.DataObject) -> None:
    """Pairs close to their threshold, where rounding could break symmetry if anywhere."""
    a = data.draw(footprints())
    x, y = vertices(a.area)[0]
    b_area = data.draw(areas(x + data.draw(st.floats(-0.02, 0.02)), y))
    b = data.draw(footprints(area=b_area, window=(a.start, a.end, a.margin)))
    assert conflict(a, b) == conflict(b, a)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_reach_of_many_at_once_is_the_reach_of_each_pair(data: st.DataObject) -> None:
    """within_reach_each (what the registry's search uses) answers as within_reach, pair by
    pair, both ways round, with pairs near their threshold among them."""
    a = data.draw(footprints())
    x, y = vertices(a.area)[0]
    offsets = data.draw(st.lists(st.floats(-0.03, 0.03) | st.none(), max_size=12))
    others = [
        data.draw(footprints(area=None if dx is None else data.draw(areas(x + dx, y))))
        for dx in offsets
    ]
    # and some whose buffers put them within a hair of the threshold, either side
    for b in list(others):
        gap = shapely.distance(a.metric_area, b.metric_area) / SCALE_BOUND - a.buffer_m
        hair = data.draw(st.floats(-0.002, 0.002))
        if 0 < gap * (1 + hair) < 5000:
            others.append(replace(b, buffer_m=gap * (1 + hair)))
    wkbs, buffers = [b.metric_wkb for b in others], [b.buffer_m for b in others]
    assert within_reach_each(a, wkbs, buffers) == [within_reach(a, b) for b in others]
    assert [within_reach_each(b, [a.metric_wkb], [a.buffer_m])[0] for b in others] == [
        within_reach(b, a) for b in others
    ]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_no_conflict_for_disjoint_windows_without_a_shared_subject(data: st.DataObject) -> None:
    start, end, margin = data.draw(windows())
    end = end or (start or T0) + timedelta(hours=5)  # a needs an end for b to come after
    a = data.draw(footprints(window=(start, end, margin), subjects=frozenset(SUBJECTS[:3])))
    _, a_high = a.window
    assert a_high is not None
    gap = timedelta(minutes=data.draw(st.integers(1, 10_000)))
    b_margin = timedelta(minutes=data.draw(st.integers(0, 6 * 60)))
    b_start = a_high + gap + b_margin
    b_end = data.draw(st.sampled_from([None, b_start + timedelta(hours=5)]))
    # b at the same place: only the windows keep them apart
    b = data.draw(
        footprints(area=a.area, window=(b_start, b_end, b_margin), subjects=frozenset(SUBJECTS[3:]))
    )
    assert not windows_overlap(a, b)
    assert conflict(a, b) == frozenset()


@settings(max_examples=200, deadline=None)
@given(footprints(subjects=frozenset(SUBJECTS[:3])), footprints(subjects=frozenset(SUBJECTS[3:])))
def test_no_conflict_for_areas_farther_apart_than_their_buffers(a: Footprint, b: Footprint) -> None:
    a_centre, a_reach = reach_from_centre(a.area)
    b_centre, b_reach = reach_from_centre(b.area)
    # A lower bound of the geodesic distance between the areas (triangle inequality).
    apart = geodesic_m(a_centre, b_centre) - a_reach - b_reach
    if apart > (a.buffer_m + b.buffer_m) * (1 + TOLERANCE) + 1.0:
        assert conflict(a, b) == frozenset()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_points_within_their_buffers_always_conflict(data: st.DataObject) -> None:
    """Against the geodesic distance: the plane never lets a pair within its buffers go."""
    a = data.draw(footprints(area=Point(data.draw(lons), data.draw(lats))))
    x, y = vertices(a.area)[0]
    azimuth = data.draw(st.floats(0, 360))
    metres = data.draw(st.floats(0, 12_000))
    lon, lat, _ = GEOD.fwd(x, y, azimuth, metres)
    b = data.draw(footprints(area=Point(lon, lat), window=(a.start, a.end, a.margin)))
    if geodesic_m((x, y), (lon, lat)) <= a.buffer_m + b.buffer_m:
        assert ConflictReason.SPACE_TIME in conflict(a, b)
    elif geodesic_m((x, y), (lon, lat)) > (a.buffer_m + b.buffer_m) * (1 + TOLERANCE) + 0.01:
        assert ConflictReason.SPACE_TIME not in conflict(a, b)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_overlapping_buffered_areas_with_overlapping_windows_conflict(
    data: st.DataObject,
) -> None:
    a = data.draw(footprints())
    # b starts from a point of a (a vertex), at most r_a + r_b away (geodesic) from it.
    x, y = vertices(a.area)[data.draw(st.integers(0, len(vertices(a.area)) - 1))]
    b_buffer = data.draw(st.floats(0.0, 5000.0))
    reach = data.draw(st.floats(0.0, 1.0)) * (a.buffer_m + b_buffer)
    lon, lat, _ = GEOD.fwd(x, y, data.draw(st.floats(0, 360)), reach)
    b_area = data.draw(areas(lon, lat))
    # the windows share an instant: b's window holds a moment of a's
    a_low, a_high = a.window
    moment = a_low or a_high or T0
    b = replace(
        data.draw(footprints(area=b_area)),
        buffer_m=b_buffer,
        start=moment - timedelta(minutes=data.draw(st.integers(0, 600))),
        end=moment + timedelta(minutes=data.draw(st.integers(0, 600))),
    )
    assert ConflictReason.SPACE_TIME in conflict(a, b)
    assert ConflictReason.SPACE_TIME in conflict(b, a)


@settings(max_examples=200, deadline=None)
@given(footprints(), footprints(), st.sampled_from(SUBJECTS))
def test_a_shared_subject_always_conflicts(a: Footprint, b: Footprint, subject: str) -> None:
    a = replace(a, subjects=a.subjects | {subject})
    b = replace(b, subjects=b.subjects | {subject})
    assert ConflictReason.SUBJECT in conflict(a, b)


# --- examples --------------------------------------------------------------------------------


def test_a_raid_and_a_patrol_an_hour_apart_conflict_through_their_margins() -> None:
    raid = make_footprint()
    patrol = make_footprint(
        ref="op-2",
        area=Point(44.40, 35.445),  # about 1 km east
        buffer_m=500.0,
        start=T0 + timedelta(hours=12),  # two hours after the raid ends: margins 2 h + 1 h
        end=T0 + timedelta(hours=14),
        margin=timedelta(hours=1),
    )
    assert conflict(raid, patrol) == {ConflictReason.SPACE_TIME}
    later = replace(patrol, start=T0 + timedelta(hours=13, seconds=1), end=T0 + timedelta(hours=14))
    assert conflict(raid, later) == frozenset()


def test_open_windows_are_unbounded() -> None:
    post = make_footprint(kind=FootprintKind.POSITION, start=None, end=None, margin=timedelta(0))
    years_later = make_footprint(start=T0 + timedelta(days=3000), end=T0 + timedelta(days=3001))
    assert conflict(post, years_later) == {ConflictReason.SPACE_TIME}


def test_windows_touching_at_an_instant_overlap() -> None:
    a = make_footprint(margin=timedelta(0))
    b = make_footprint(ref="op-2", start=a.end, end=a.end, margin=timedelta(0))
    assert windows_overlap(a, b)


def test_a_point_inside_a_60_km_clearance_conflicts() -> None:
    clearance = make_footprint(
        area=box(43.5, 34.9, 44.16, 35.44), buffer_m=2000.0, margin=timedelta(hours=4)
    )
    inside = make_footprint(ref="op-2", area=Point(43.8, 35.2), buffer_m=0.0)
    assert conflict(clearance, inside) == {ConflictReason.SPACE_TIME}


def test_both_reasons_together() -> None:
    subject = frozenset({SUBJECTS[0]})
    a = make_footprint(subjects=subject)
    assert conflict(a, make_footprint(ref="op-2", subjects=subject)) == {
        ConflictReason.SPACE_TIME,
        ConflictReason.SUBJECT,
    }


def test_times_are_kept_in_utc() -> None:
    baghdad = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    fp = make_footprint(start=baghdad, end=baghdad)
    assert fp.start == datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert fp.start is not None
    assert fp.start.tzinfo is UTC


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"area": Point(math.nan, 35.0)}, "area"),
        ({"area": Point(math.inf, 35.0)}, "area"),
        ({"area": Point(2.35, 48.85)}, "area"),  # Paris: outside the theatre
        ({"area": Polygon()}, "area"),
        ({"area": Polygon([(44, 35), (44.1, 35.1), (44.1, 35), (44, 35.1)])}, "area"),  # bow tie
        ({"area": shapely.GeometryCollection([Point(44, 35)])}, "area"),
        ({"area": "POINT (44 35)"}, "area"),
        ({"buffer_m": -1.0}, "buffer_m"),
        ({"buffer_m": math.nan}, "buffer_m"),
        ({"buffer_m": math.inf}, "buffer_m"),
        ({"buffer_m": 1e7}, "buffer_m"),
        ({"start": T0 + timedelta(hours=11)}, "end"),  # after its end
        ({"start": datetime(2026, 3, 1, 6)}, "start"),  # naive
        ({"end": datetime(2026, 3, 1, 10)}, "end"),
        ({"start": datetime(1, 1, 1, tzinfo=UTC)}, "start"),
        ({"margin": timedelta(hours=-1)}, "margin"),
        ({"margin": timedelta(days=400)}, "margin"),
        ({"ref": ""}, "ref"),
        ({"owner": " "}, "owner"),
        ({"kind": "raid"}, "kind"),
        ({"subjects": {"identity--1"}}, "subjects"),
        ({"subjects": frozenset({""})}, "subject"),
    ],
)
def test_bad_footprints_are_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        make_footprint(**overrides)


def test_a_footprint_conflicts_with_its_own_copy() -> None:
    """The rule does not know identity; the registry leaves a footprint's own key out."""
    a = make_footprint()
    assert conflict(a, replace(a)) == {ConflictReason.SPACE_TIME}
