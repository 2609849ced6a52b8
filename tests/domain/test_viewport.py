"""The map's grid, boxes and month splits: pure arithmetic, checked against its definitions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.domain.viewport import (
    Bbox,
    CellRange,
    ViewportQuery,
    cell_col,
    cell_row,
    count_plan,
    level_for_zoom,
    month_index,
    split_by_month,
)
from tansiq.errors import InvalidInput

# No example database: it would write .hypothesis/ into the working tree.
FAST = settings(max_examples=300, deadline=None, database=None)
DAYS = st.dates(date(1988, 1, 1), date(2030, 12, 31))


def test_a_bbox_is_parsed_from_west_south_east_north() -> None:
    assert Bbox.parse("38.8,29.1,48.6,37.4") == Bbox(38.8, 29.1, 48.6, 37.4)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("38,29,48", "four numbers"),
        ("38,29,48,37,1", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("", "four numbers"),
        ("38,nan,48,37", "finite"),
        ("38,29,inf,37", "finite"),
        ("38,37,48,29", "south"),
        ("48,29,38,37", "west"),
        ("38,29,48,95", "latitudes"),
        ("-181,29,48,37", "longitudes"),
    ],
)
def test_a_bad_bbox_is_refused_with_the_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        Bbox.parse(text)


@pytest.mark.parametrize("zoom", [-1, 23])
def test_a_zoom_outside_0_to_22_is_refused(zoom: int) -> None:
    with pytest.raises(InvalidInput, match="zoom"):
        ViewportQuery(Bbox(38, 29, 48, 37), zoom)


def test_cells_shrink_by_half_per_zoom_from_zoom_6() -> None:
    assert [level_for_zoom(z) for z in (0, 5, 6, 7, 12)] == [0, 0, 0, 1, 6]


EPSILON = 1e-9
"""A point within rounding of a cell's edge may fall in the cell beside it: (lat + 90) is
rounded to a double. The index decides (SQL computes the same double), not the bounds."""


@FAST
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    level=st.integers(0, 9),
    finer=st.integers(0, 4),
)
def test_a_point_lies_in_its_cell_and_in_the_parent_of_its_finer_cell(
    lat: float, lon: float, level: int, finer: int
) -> None:
    row, col = cell_row(lat, level), cell_col(lon, level)
    west, south, east, north = CellRange(level, (row, row), (col, col)).bounds()
    assert south - EPSILON <= lat <= north + EPSILON
    assert west - EPSILON <= lon <= east + EPSILON
    fine = level + finer
    assert cell_row(lat, fine) >> finer == row
    assert cell_col(lon, fine) >> finer == col


@FAST
@given(
    west=st.floats(38, 49),
    south=st.floats(29, 38),
    width=st.floats(0, 5),
    height=st.floats(0, 5),
    level=st.integers(0, 6),
    finer=st.integers(0, 3),
)
def test_a_range_refined_covers_the_same_ground(
    west: float, south: float, width: float, height: float, level: int, finer: int
) -> None:
    box = Bbox(west, south, min(west + width, 180), min(south + height, 90))
    coarse = CellRange.covering(box, level)
    assert coarse.at(level + finer).bounds() == coarse.bounds()
    cover_west, cover_south, cover_east, cover_north = coarse.bounds()
    assert cover_south - EPSILON <= box.south
    assert box.north <= cover_north + EPSILON
    assert cover_west - EPSILON <= box.west
    assert box.east <= cover_east + EPSILON


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


@FAST
@given(first=DAYS, length=st.integers(0, 800), bounded=st.sampled_from(["both", "from", "to"]))
def test_a_date_range_splits_into_whole_months_and_loose_days_exactly(
    first: date, length: int, bounded: str
) -> None:
    last = first + timedelta(length)
    date_from = first if bounded in ("both", "from") else None
    date_to = last if bounded in ("both", "to") else None
    split = split_by_month(date_from, date_to)
    loose = [_days(a, b) for a, b in split.days]
    assert sum(len(d) for d in loose) == len(set().union(*loose)), "loose days overlap"
    covered = set().union(*loose)
    low, high = split.months or (1, 0)  # no whole month: an empty range
    # Every day around the range is in it exactly when it is in a whole month or loose.
    for day in _days(first - timedelta(62), last + timedelta(62)):
        month = month_index(day)
        whole = (low is None or month >= low) and (high is None or month <= high)
        wanted = (date_from is None or day >= date_from) and (date_to is None or day <= date_to)
        assert not (whole and day in covered), day
        assert wanted == (whole or day in covered), day


def test_whole_months_need_no_loose_days() -> None:
    split = split_by_month(date(2016, 1, 1), date(2016, 12, 31))
    assert split.months == (month_index(date(2016, 1, 1)), month_index(date(2016, 12, 1)))
    assert split.days == ()


def test_a_range_inside_one_month_is_one_stretch_of_days() -> None:
    split = split_by_month(date(2016, 3, 10), date(2016, 3, 20))
    assert split.months is None
    assert split.days == ((date(2016, 3, 10), date(2016, 3, 20)),)


@FAST
@given(first=DAYS, length=st.integers(0, 800), bounded=st.sampled_from(["both", "from", "to"]))
def test_a_count_plan_counts_each_day_of_the_range_once_and_reads_few_days(
    first: date, length: int, bounded: str
) -> None:
    last = first + timedelta(length)
    date_from = first if bounded in ("both", "from") else None
    date_to = last if bounded in ("both", "to") else None
    plan = count_plan(date_from, date_to)
    low, high = plan.months or (1, 0)
    for day in _days(first - timedelta(62), last + timedelta(62)):
        month = month_index(day)
        whole = (low is None or month >= low) and (high is None or month <= high)
        counted = whole + sum(a <= day <= b for a, b in plan.add)
        counted -= sum(a <= day <= b for a, b in plan.subtract)
        wanted = (date_from is None or day >= date_from) and (date_to is None or day <= date_to)
        assert counted == wanted, day
        assert all(not (a <= day <= b) or whole for a, b in plan.subtract), "only from months"
    read = sum((b - a).days + 1 for a, b in (*plan.add, *plan.subtract))
    loose = sum((b - a).days + 1 for a, b in split_by_month(date_from, date_to).days)
    assert read <= loose
    assert read <= 2 * 16 or plan.months is None  # at most about half a month at each end


def test_an_end_late_in_its_month_counts_the_month_less_its_first_days() -> None:
    plan = count_plan(date(2014, 6, 10), date(2017, 7, 20))
    assert plan.months == (month_index(date(2014, 6, 1)), month_index(date(2017, 7, 1)))
    assert plan.add == ()
    assert plan.subtract == (
        (date(2014, 6, 1), date(2014, 6, 9)),
        (date(2017, 7, 21), date(2017, 7, 31)),
    )
