"""Border sectors from the shipped line, and the alert rule's windows, checked independently."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from pyproj import Geod

from tansiq.border import computed_sectors
from tansiq.domain.areas import AreaLevel
from tansiq.domain.border import (
    AlertRule,
    District,
    ObservationDraft,
    burst_window,
    same_burst,
    sectors_along,
)
from tansiq.errors import InvalidInput
from tansiq.geo import reference

GEOD = Geod(ellps="WGS84")
T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _geodesic_m(coordinates: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> float:
    lons, lats = zip(*coordinates, strict=True)
    return float(GEOD.line_length(lons, lats))


def test_every_sector_is_10_to_20_km_measured_on_its_own_line() -> None:
    sectors = computed_sectors()

    for sector in sectors:
        measured = _geodesic_m(sector.coordinates)
        assert 10_000 <= measured <= 20_000, sector.id
        assert measured == pytest.approx(sector.length_m, abs=0.01)


def test_sectors_cover_the_line_end_to_end_without_gap_or_overlap() -> None:
    line = reference.syria_border_line()
    coords = [(float(x), float(y)) for x, y in line.coords]
    sectors = computed_sectors()

    assert sectors[0].start_m == 0
    assert sectors[0].coordinates[0] == coords[0]
    assert sectors[-1].coordinates[-1] == coords[-1]
    for before, after in itertools.pairwise(sectors):
        assert before.end_m == after.start_m
        assert before.coordinates[-1] == after.coordinates[0]
    assert sectors[-1].end_m == pytest.approx(_geodesic_m(coords), abs=0.01)
    # The pieces, put together, are the line: each vertex is in exactly one sector; the cut
    # points are new vertices on their segment's geodesic, which the map draws straight in
    # lon/lat: the two part by at most a few metres (5e-5 degrees).
    inner = [c for s in sectors for c in s.coordinates[1:-1]]
    ends = {c for s in sectors for c in (s.coordinates[0], s.coordinates[-1])}
    assert sorted(inner + [c for c in coords if c in ends]) == sorted(coords)
    union = shapely.line_merge(
        shapely.union_all([shapely.LineString(s.coordinates) for s in sectors])
    )
    assert shapely.hausdorff_distance(union, line) < 5e-5


def test_each_border_district_stretch_is_covered_by_sectors_naming_it() -> None:
    line = reference.syria_border_line()
    coords = list(line.coords)
    pcodes, geometries = reference.area_geometries(AreaLevel.DISTRICT)
    flagged = {a.pcode for a in reference.areas() if a.syria_border_district and a.level == 2}
    sectors = computed_sectors()
    chainage = [0.0]
    for a, b in itertools.pairwise(coords):
        chainage.append(chainage[-1] + _geodesic_m([a, b]))

    covered: dict[str, float] = {}
    for i in range(len(coords) - 1):
        middle = shapely.Point(
            (coords[i][0] + coords[i + 1][0]) / 2, (coords[i][1] + coords[i + 1][1]) / 2
        )
        on = [
            p
            for p, g in zip(pcodes, geometries, strict=True)
            if p in flagged and g.distance(middle) < 1e-6
        ]
        assert len(on) == 1, f"segment {i} lies along {on}"
        holders = [s for s in sectors if s.start_m < chainage[i + 1] and s.end_m > chainage[i]]
        assert holders
        assert all(on[0] in s.districts for s in holders)
        covered[on[0]] = covered.get(on[0], 0.0) + chainage[i + 1] - chainage[i]
    assert set(covered) == flagged  # all seven border districts
    # Their stretches as the shipped table gives them (km, rounded there)
    assert covered["IQG01Q02"] / 1000 == pytest.approx(205, abs=1)
    assert covered["IQG01Q05"] / 1000 == pytest.approx(5.1, abs=1)
    assert covered["IQG09Q04"] / 1000 == pytest.approx(8.4, abs=1)


def test_sectors_of_a_district_are_equal_and_ids_stable() -> None:
    sectors = computed_sectors()
    by_district: dict[str, list[float]] = {}
    for s in sectors:
        by_district.setdefault(s.district.pcode, []).append(s.length_m)

    for lengths in by_district.values():
        assert max(lengths) - min(lengths) < 0.01
    assert [s.id for s in sectors[:2]] == ["IQG01Q04-01", "IQG01Q04-02"]
    assert sectors[-1].id == "IQG15Q08-04"
    assert sectors[-1].name_en == "Telafar 4"
    assert sectors[-1].districts == ("IQG15Q08", "IQG09Q04")  # Zakho's 8 km joins Telafar's end
    assert len(sectors) == 32


def test_a_short_first_stretch_joins_the_next() -> None:
    a, b = District("A", "A", "أ"), District("B", "B", "ب")
    line = [(40.0, 34.0 + k * 0.05) for k in range(8)]  # ~5.5 km a step

    sectors = sectors_along(line, [a, b, b, b, b, b, b])

    assert [s.id for s in sectors] == ["B-01", "B-02"]
    assert sectors[0].districts == ("B", "A")
    assert all(10_000 <= s.length_m <= 20_000 for s in sectors)


def _stamps(*hours: float) -> list[tuple[datetime, int]]:
    return [(T0 + h * H, i + 1) for i, h in enumerate(hours)]


def test_burst_windows() -> None:
    rule = AlertRule(count=3, hours=2)
    three = _stamps(0, 1, 2)
    assert burst_window(three, three[2], rule) == (three[0], three[2])
    assert burst_window(three[:2], three[1], rule) is None  # N - 1
    spread = _stamps(0, 1.5, 2.5)
    assert burst_window(spread, spread[2], rule) is None  # N over more than T
    late = _stamps(0, 2, 1)  # the middle one arrives last
    assert burst_window(late, late[2], rule) == (late[0], late[1])


def test_same_burst() -> None:
    rule = AlertRule(count=3, hours=1)
    alert = (T0, T0 + 0.5 * H)
    assert same_burst((T0 + 0.75 * H, T0 + H), alert, rule)
    assert same_burst((T0 + 1.5 * H, T0 + 1.6 * H), alert, rule)  # within T after its end
    assert not same_burst((T0 + 1.6 * H, T0 + 2 * H), alert, rule)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "smuggling"}, "kind: unknown observation kind"),
        ({"latitude": 91.0}, "lat/lon"),
        ({"observed_at": datetime(2026, 11, 25)}, "observed_at"),
        ({"source": "radio"}, "source"),
    ],
)
def test_bad_observations(fields: dict[str, object], words: str) -> None:
    values: dict[str, object] = {
        "kind": "crossing-attempt",
        "latitude": 34.4,
        "longitude": 41.0,
        "observed_at": T0,
        "partner": "joc",
        "source": "api",
    }
    with pytest.raises(InvalidInput, match=words):
        ObservationDraft(**{**values, **fields})  # type: ignore[arg-type]


def test_rule_bounds() -> None:
    with pytest.raises(InvalidInput, match="count"):
        AlertRule(count=0, hours=1)
    with pytest.raises(InvalidInput, match="hours"):
        AlertRule(count=3, hours=0)
