"""The map's viewport on SQLite and PostgreSQL: every count checked against the incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.viewport import (
    Bbox,
    CellRange,
    GridCell,
    ViewportQuery,
    cell_col,
    cell_row,
    level_for_zoom,
)
from tansiq.settings import Settings
from tansiq.store.database import reading, writing
from tansiq.store.incident_grid import STORED_LEVELS, fold_all, rebuild
from tansiq.store.incident_grid import fold as fold_into_grid
from tansiq.store.incidents import find_incidents, upsert_incidents, where_matching
from tansiq.store.schema import incidents
from tansiq.store.viewport import find_viewport, grid_cells
from tests.conftest import FROZEN_NOW
from tests.factories import make_row

IRAQ = Bbox(38.7, 29.0, 48.7, 37.4)

# Real sub-districts with their district, governorate and disputed flag.
PLACES = {
    "IQG13Q04N01": ("IQG13", "IQG13Q04", True),  # Taza Khormato, Kirkuk
    "IQG13Q04N02": ("IQG13", "IQG13Q04", True),  # Lilan, Kirkuk
    "IQG13Q01N01": ("IQG13", "IQG13Q01", True),  # Markaz Al-Hawiga
    "IQG02Q01N01": ("IQG02", "IQG02Q01", False),  # Al-Siba, Basrah
    "IQG15Q05N01": ("IQG15", "IQG15Q05", False),  # Al-Qayarra, Ninewa
}
TYPES = ("state-based", "non-state", "one-sided")


def incident(
    source_id: str,
    lat: float,
    lon: float,
    day: date = date(2017, 5, 1),
    adm3: str = "IQG13Q04N01",
    **overrides: Any,
) -> tuple[Any, ...]:
    """An incident row at a place and day, in a real sub-district."""
    adm1, adm2, disputed = PLACES[adm3]
    return make_row(
        source_id=source_id,
        latitude=lat,
        longitude=lon,
        date_start=day,
        date_end=day,
        adm1_pcode=adm1,
        adm2_pcode=adm2,
        adm3_pcode=adm3,
        disputed=disputed,
        **overrides,
    )


def write(engine: Engine, rows: list[tuple[Any, ...]], fold: int | None = None) -> None:
    """Store `rows`, then fold them into the grid as the server would: all of them, or only
    the first `fold` of those not folded yet (the rest are counted from `incidents`)."""
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", rows, FROZEN_NOW)
    if fold is None:
        fold_all(engine)
    else:
        with writing(engine) as conn:
            fold_into_grid(conn, fold)


@dataclass(frozen=True)
class Expected:
    incidents: int
    fatalities: int
    by_type: dict[str, int]
    latitude: float
    longitude: float


def expected_grid(conn: Connection, query: ViewportQuery) -> dict[tuple[int, int], Expected]:
    """The cells of the query, counted one incident at a time from `incidents`."""
    level = min(level_for_zoom(query.zoom), STORED_LEVELS[-1])
    box = CellRange.covering(query.bbox, level)
    found: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in find_incidents(conn, query.filter):
        cell = cell_row(row["latitude"], level), cell_col(row["longitude"], level)
        if box.rows[0] <= cell[0] <= box.rows[1] and box.cols[0] <= cell[1] <= box.cols[1]:
            found.setdefault(cell, []).append(row)
    expected = {}
    for cell, rows in found.items():
        by_type: dict[str, int] = {}
        for r in rows:
            by_type[r["incident_type"]] = by_type.get(r["incident_type"], 0) + 1
        expected[cell] = Expected(
            len(rows),
            sum(r["fatalities"] or 0 for r in rows),
            by_type,
            sum(r["latitude"] for r in rows) / len(rows),
            sum(r["longitude"] for r in rows) / len(rows),
        )
    return expected


def assert_grid_is(cells: tuple[GridCell, ...], expected: dict[tuple[int, int], Expected]) -> None:
    got = {(c.row, c.col): c for c in cells}
    assert set(got) == set(expected)
    for key, want in expected.items():
        cell = got[key]
        assert (cell.incidents, cell.fatalities, dict(cell.by_type)) == (
            want.incidents,
            want.fatalities,
            want.by_type,
        ), key
        assert cell.latitude == pytest.approx(want.latitude, abs=1e-9)
        assert cell.longitude == pytest.approx(want.longitude, abs=1e-9)


def count_in_box(conn: Connection, query: ViewportQuery) -> int:
    """A direct COUNT of the matching incidents inside the box."""
    i, box = incidents.c, query.bbox
    counted = where_matching(sa.select(sa.func.count()).select_from(incidents), query.filter)
    counted = counted.where(
        i.latitude.between(box.south, box.north), i.longitude.between(box.west, box.east)
    )
    return int(conn.execute(counted).scalar_one())


def spread(count: int, start: date = date(2016, 1, 1)) -> list[tuple[Any, ...]]:
    """`count` incidents across Kirkuk, Ninewa and Basrah, a day apart, of every type."""
    places = [
        (35.47, 44.39, "IQG13Q04N01"),
        (35.32, 43.77, "IQG13Q01N01"),
        (35.86, 43.24, "IQG15Q05N01"),
        (30.55, 47.78, "IQG02Q01N01"),
    ]
    rows = []
    for n in range(count):
        lat, lon, adm3 = places[n % len(places)]
        offset = (n // len(places)) * 0.013
        rows.append(
            incident(
                str(n),
                lat + offset,
                lon - offset,
                start + timedelta(days=n),
                adm3,
                incident_type=TYPES[n % 3],
                fatalities=None if n % 5 == 0 else n % 7,
            )
        )
    return rows


# --- grid or points -----------------------------------------------------------------------------


def test_the_whole_of_iraq_is_grid_counts_that_match_the_incidents(
    engine: Engine, settings: Settings
) -> None:
    write(engine, spread(80))
    query = ViewportQuery(IRAQ, 6)
    with reading(engine) as conn:
        view = find_viewport(conn, query, settings.model_copy(update={"viewport_point_cap": 10}))
        assert view.kind == "grid"
        assert view.level == 0
        assert_grid_is(view.cells, expected_grid(conn, query))
        assert view.total == count_in_box(conn, query) == 80


def test_few_incidents_come_as_points_with_their_facts(engine: Engine, settings: Settings) -> None:
    write(engine, spread(12))
    query = ViewportQuery(Bbox(43.0, 35.0, 45.0, 36.5), 7)  # Kirkuk and Ninewa, not Basrah
    with reading(engine) as conn:
        view = find_viewport(conn, query, settings)
        stored = {r["id"]: r for r in find_incidents(conn, IncidentFilter())}
    assert view.kind == "points"
    assert view.total == len(view.points) == 9
    for point in view.points:
        row = stored[point.id]
        assert (point.latitude, point.longitude) == (row["latitude"], row["longitude"])
        assert (point.incident_type, point.fatalities) == (row["incident_type"], row["fatalities"])
        assert point.date == row["date_start"]
        assert row["adm1_pcode"] != "IQG02"
    assert [p.date for p in view.points] == sorted((p.date for p in view.points), reverse=True)


def test_the_switch_to_points_is_at_the_cap(engine: Engine, settings: Settings) -> None:
    write(engine, spread(30))
    query = ViewportQuery(IRAQ, 6)
    with reading(engine) as conn:
        at_cap = find_viewport(conn, query, settings.model_copy(update={"viewport_point_cap": 30}))
        over = find_viewport(conn, query, settings.model_copy(update={"viewport_point_cap": 29}))
    assert (at_cap.kind, at_cap.total, len(at_cap.points)) == ("points", 30, 30)
    assert (over.kind, over.total, over.points) == ("grid", 30, ())


def test_from_the_points_zoom_on_come_points_however_many(
    engine: Engine, settings: Settings
) -> None:
    write(engine, spread(40))
    config = settings.model_copy(update={"viewport_point_cap": 0, "viewport_points_zoom": 13})
    with reading(engine) as conn:
        high = find_viewport(conn, ViewportQuery(IRAQ, 13), config)
        low = find_viewport(conn, ViewportQuery(IRAQ, 12), config)
    assert (high.kind, high.total) == ("points", 40)
    assert (low.kind, low.level, low.total) == ("grid", STORED_LEVELS[-1], 40)


def test_points_past_the_page_limit_are_counted_and_the_newest_sent(
    engine: Engine, settings: Settings
) -> None:
    write(engine, spread(25))
    config = settings.model_copy(update={"incidents_page_limit": 5, "viewport_points_zoom": 10})
    with reading(engine) as conn:
        view = find_viewport(conn, ViewportQuery(IRAQ, 10), config)
    assert (view.kind, view.total, len(view.points)) == ("points", 25, 5)
    newest = date(2016, 1, 1) + timedelta(days=24)
    assert [p.date for p in view.points] == [newest - timedelta(days=n) for n in range(5)]


def test_points_are_those_inside_the_box_exactly(engine: Engine, settings: Settings) -> None:
    write(
        engine,
        [
            incident("in", 35.5, 44.4),
            incident("on-edge", 35.6, 44.4),
            incident("north", 35.6000001, 44.4),
            incident("east", 35.5, 44.5000001),
        ],
    )
    query = ViewportQuery(Bbox(44.3, 35.4, 44.5, 35.6), 12)
    with reading(engine) as conn:
        view = find_viewport(conn, query, settings)
        names = {r["id"]: r["source_id"] for r in find_incidents(conn, IncidentFilter())}
        assert view.total == count_in_box(conn, query)
    assert {names[p.id] for p in view.points} == {"in", "on-edge"}


# --- the counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("zoom", [5, 6, 7, 8, 9, 10, 11, 12])
def test_every_zoom_counts_like_the_incidents(engine: Engine, zoom: int) -> None:
    """Even zooms read their own stored level, odd ones roll up the next finer one."""
    write(engine, spread(60))
    query = ViewportQuery(Bbox(43.0, 35.0, 45.0, 36.5), zoom)
    with reading(engine) as conn:
        level, cells = grid_cells(conn, query)
        assert level == min(level_for_zoom(zoom), STORED_LEVELS[-1])
        assert_grid_is(cells, expected_grid(conn, query))


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        (date(2016, 1, 15), date(2016, 3, 10)),  # loose days at both ends
        (date(2016, 2, 1), date(2016, 2, 29)),  # one whole month
        (date(2016, 1, 20), date(2016, 1, 25)),  # within a month
        (None, date(2016, 2, 14)),
        (date(2016, 2, 14), None),
    ],
)
def test_date_ranges_count_exactly(
    engine: Engine, date_from: date | None, date_to: date | None
) -> None:
    write(engine, spread(90))  # 2016-01-01 to 2016-03-30
    query = ViewportQuery(IRAQ, 6, IncidentFilter(date_from=date_from, date_to=date_to))
    with reading(engine) as conn:
        _, cells = grid_cells(conn, query)
        expected = expected_grid(conn, query)
        assert_grid_is(cells, expected)
        assert sum(c.incidents for c in cells) == count_in_box(conn, query)


@pytest.mark.parametrize(
    "filt",
    [
        IncidentFilter(area="IQG13"),
        IncidentFilter(area="IQG13Q04"),
        IncidentFilter(area="IQG13Q04N01"),
        IncidentFilter(disputed_only=True),
        IncidentFilter(area="IQG15", date_from=date(2016, 1, 10), date_to=date(2016, 2, 20)),
    ],
)
def test_area_and_disputed_filters_count_exactly(engine: Engine, filt: IncidentFilter) -> None:
    write(engine, spread(60))
    query = ViewportQuery(IRAQ, 8, filt)
    with reading(engine) as conn:
        _, cells = grid_cells(conn, query)
        assert cells
        assert_grid_is(cells, expected_grid(conn, query))
        assert sum(c.incidents for c in cells) == count_in_box(conn, query)


def test_a_box_counts_the_whole_of_each_cell_it_touches(engine: Engine) -> None:
    # Two incidents in the same 1/4° cell, one of them outside the box.
    write(engine, [incident("a", 35.30, 44.30), incident("b", 35.45, 44.45)])
    query = ViewportQuery(Bbox(44.26, 35.26, 44.40, 35.40), 8)  # level 2: 0.25° cells
    with reading(engine) as conn:
        _, (cell,) = grid_cells(conn, query)
        assert count_in_box(conn, query) == 1
    assert cell.incidents == 2
    assert cell.bounds() == (44.25, 35.25, 44.5, 35.5)


# --- the property -------------------------------------------------------------------------------

EXPLORE = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Incidents around three towns, some exactly on the edges of the finest cells, where rounding
# would put an incident in the wrong cell if SQL and Python computed cells differently.
TOWNS = ((35.47, 44.39), (36.34, 43.13), (30.50, 47.80))
DAYS = st.dates(date(2015, 11, 1), date(2016, 4, 30))


@st.composite
def positions(draw: st.DrawFn) -> tuple[float, float]:
    lat, lon = draw(st.sampled_from(TOWNS))
    if draw(st.booleans()):
        return lat + draw(st.floats(-0.4, 0.4)), lon + draw(st.floats(-0.4, 0.4))
    edge = st.integers(-20, 20).map(lambda k: k / 64)
    return round(lat * 64) / 64 + draw(edge), round(lon * 64) / 64 + draw(edge)


@st.composite
def incident_rows(draw: st.DrawFn, prefix: str = "") -> list[tuple[Any, ...]]:
    count = draw(st.integers(1, 40))
    return [
        incident(
            f"{prefix}{n}",
            *draw(positions()),
            draw(DAYS),
            draw(st.sampled_from(sorted(PLACES))),
            incident_type=draw(st.sampled_from(TYPES)),
            fatalities=draw(st.none() | st.integers(0, 40)),
        )
        for n in range(count)
    ]


@st.composite
def queries(draw: st.DrawFn) -> ViewportQuery:
    lat, lon = draw(positions())
    half_height, half_width = draw(st.floats(0.01, 5.0)), draw(st.floats(0.01, 6.0))
    box = Bbox(
        max(-180.0, lon - half_width),
        max(-90.0, lat - half_height),
        min(180.0, lon + half_width),
        min(90.0, lat + half_height),
    )
    date_from, date_to = draw(st.none() | DAYS), draw(st.none() | DAYS)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    area = draw(st.none() | st.none() | st.sampled_from(sorted(PLACES)))
    if area is not None:
        area = area[: draw(st.sampled_from([5, 8, 11]))]  # its governorate, district or itself
    filt = IncidentFilter(area, date_from, date_to, draw(st.booleans()))
    return ViewportQuery(box, draw(st.integers(0, 12)), filt)


def empty(engine: Engine) -> None:
    """No incidents and an empty grid (SQLite then numbers incidents from 1 again)."""
    with writing(engine) as conn:
        conn.execute(incidents.delete())
        rebuild(conn)


@EXPLORE
@given(
    rows=incident_rows(),
    folded=st.none() | st.integers(0, 30),
    asked=st.lists(queries(), min_size=1, max_size=4),
)
def test_grid_counts_equal_counting_the_incidents(
    engine: Engine, rows: list[tuple[Any, ...]], folded: int | None, asked: list[ViewportQuery]
) -> None:
    """Exact whether the server has folded every incident into the grid, some, or none."""
    empty(engine)
    write(engine, rows, folded)
    with reading(engine) as conn:
        for query in asked:
            _, cells = grid_cells(conn, query)
            assert_grid_is(cells, expected_grid(conn, query))
