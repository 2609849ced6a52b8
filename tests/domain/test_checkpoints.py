"""The checkpoint registry's rules: hours, times, bounds, and the verdict (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tansiq.domain.checkpoints import (
    Checkpoint,
    CheckpointDraft,
    CheckpointKind,
    NotInForce,
    Question,
    distance_m,
    explain,
    parse_hours,
    parse_kind,
    parse_time,
    search_box,
    verify,
)
from tansiq.errors import InvalidInput

# SYNTHETIC: a made-up checkpoint on the Kirkuk-Tikrit road, south of Kirkuk.
ROAD = Checkpoint(
    id=1,
    partner="joc",
    unit="Synthetic 8th Bde, 2nd Bn",
    name="Kirkuk-Tikrit road km 12 (synthetic)",
    latitude=35.3700,
    longitude=44.3000,
    valid_from=datetime(2026, 11, 1, tzinfo=UTC),
    valid_to=datetime(2026, 12, 1, tzinfo=UTC),
    hours=None,
    kind=CheckpointKind.FIXED,
)
NIGHT = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 02:00 Iraq time on the 25th
NOON = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 Iraq time


def north_of(cp: Checkpoint, metres: float) -> tuple[float, float]:
    return cp.latitude + metres / 111_195.0, cp.longitude


def ask(metres: float, at: datetime, tolerance_m: float = 300.0) -> Question:
    lat, lon = north_of(ROAD, metres)
    return Question(lat, lon, at, tolerance_m)


def test_distance_is_great_circle_metres() -> None:
    # One minute of latitude is a nautical mile give or take the Earth's flattening.
    assert distance_m(35.0, 44.0, 35.0 + 1 / 60, 44.0) == pytest.approx(1852, rel=0.005)
    assert distance_m(35.37, 44.3, 35.37, 44.3) == 0.0


def test_the_search_box_holds_the_circle() -> None:
    west, south, east, north = search_box(35.37, 44.3, 10_000)
    assert distance_m(35.37, 44.3, 35.37, east) > 10_000
    assert distance_m(35.37, 44.3, north, 44.3) > 10_000
    assert west < 44.3 < east
    assert south < 35.37 < north


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("06:00-18:00", 360, 1080), (" 6:30 - 18:15 ", 390, 1095), ("18:00-06:00", 1080, 360)],
)
def test_hours_parse(text: str, start: int, end: int) -> None:
    hours = parse_hours(text)
    assert hours is not None
    assert (hours.start, hours.end) == (start, end)


@pytest.mark.parametrize("text", ["6-18", "06:00", "25:00-06:00", "06:60-07:00", "08:00-08:00"])
def test_bad_hours_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^hours: "):
        parse_hours(text)


def test_hours_are_iraq_time_and_may_run_past_midnight() -> None:
    day = parse_hours("06:00-18:00")
    night = parse_hours("18:00-06:00")
    assert day is not None
    assert night is not None
    assert day.covers(NOON)
    assert not day.covers(NIGHT)
    assert night.covers(NIGHT)
    assert not night.covers(NOON)
    # 03:00Z is 06:00 in Iraq: the first minute of a day shift; 15:00Z is 18:00, its end.
    assert day.covers(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert not day.covers(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert parse_hours("") is None


def test_times_need_a_zone_and_dates_are_iraq_days() -> None:
    assert parse_time("2026-11-25T02:00:00+03:00", "at") == datetime(2026, 11, 24, 23, tzinfo=UTC)
    assert parse_time("2026-11-25T02:00Z", "at") == datetime(2026, 11, 25, 2, tzinfo=UTC)
    assert parse_time("2026-11-25", "from") == datetime(2026, 11, 24, 21, tzinfo=UTC)
    end = parse_time("2026-11-25", "to", end_of_day=True)
    assert end == datetime(2026, 11, 25, 21, tzinfo=UTC)
    with pytest.raises(InvalidInput, match=r"^at: a date-time needs a zone"):
        parse_time("2026-11-25T02:00:00", "at")
    with pytest.raises(InvalidInput, match=r"^from: not an ISO date-time"):
        parse_time("yesterday", "from")
    with pytest.raises(InvalidInput, match=r"^to: not a date"):
        parse_time("2026-13-01", "to")


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("0001-01-01", False),  # before UTC's first day once moved by Iraq's zone
        ("9999-12-31", True),  # its end is past the last day there is
        ("0001-01-01T00:00:00+03:00", False),
        ("1899-12-31T23:59:59Z", False),
        ("3000-01-01T00:00:00Z", False),
    ],
)
def test_times_outside_1900_to_2999_are_refused(text: str, end: bool) -> None:
    with pytest.raises(InvalidInput, match=r"^at: .* is not between 1900 and 2999"):
        parse_time(text, "at", end_of_day=end)


def draft(**overrides: object) -> CheckpointDraft:
    values: dict[str, object] = {
        "partner": "joc",
        "unit": ROAD.unit,
        "name": ROAD.name,
        "latitude": ROAD.latitude,
        "longitude": ROAD.longitude,
        "valid_from": ROAD.valid_from,
        "valid_to": ROAD.valid_to,
    }
    values.update(overrides)
    return CheckpointDraft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": 44.3, "longitude": 35.37}, "lat"),  # swapped
        ({"longitude": -44.3}, "lon"),  # a sign lost
        ({"latitude": float("nan")}, "lat"),
        ({"valid_to": datetime(2026, 10, 1, tzinfo=UTC)}, "to"),
        ({"valid_to": ROAD.valid_from}, "to"),
        ({"valid_from": datetime(2026, 11, 1)}, "from"),  # naive: the mistake tested
        ({"name": " "}, "name"),
        ({"unit": "x" * 201}, "unit"),
    ],
)
def test_a_bad_draft_names_its_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^{field}: "):
        draft(**overrides)


def test_open_ends_are_allowed() -> None:
    assert draft(valid_from=None, valid_to=None).valid_from is None


def test_kinds() -> None:
    assert parse_kind("Temporary") is CheckpointKind.MOBILE
    assert parse_kind("") is CheckpointKind.FIXED
    with pytest.raises(InvalidInput, match=r"^kind: "):
        parse_kind("flying")


@pytest.mark.parametrize("tolerance", [24.9, 5_000.1, float("nan"), -1])
def test_the_tolerance_is_bounded(tolerance: float) -> None:
    with pytest.raises(InvalidInput, match=r"^tolerance_m: must be 25 to 5,000 metres"):
        ask(0, NOON, tolerance)


def test_verified_inside_the_tolerance_and_the_period() -> None:
    verdict = verify(ask(250, NOON), [ROAD])
    assert verdict.verified
    assert verdict.match is not None
    assert verdict.match.checkpoint == ROAD
    assert verdict.match.distance_m == pytest.approx(250, abs=1)
    assert explain(verdict).startswith("VERIFIED: registered checkpoint")


@pytest.mark.parametrize(
    ("metres", "at", "reasons"),
    [
        (350, NOON, [NotInForce.TOO_FAR]),
        (0, datetime(2026, 10, 31, 23, 59, tzinfo=UTC), [NotInForce.NOT_YET]),
        (0, datetime(2026, 12, 1, tzinfo=UTC), [NotInForce.EXPIRED]),  # the end is excluded
        (400, datetime(2026, 12, 2, tzinfo=UTC), [NotInForce.TOO_FAR, NotInForce.EXPIRED]),
    ],
)
def test_not_verified_outside_the_tolerance_or_the_period(
    metres: float, at: datetime, reasons: list[NotInForce]
) -> None:
    verdict = verify(ask(metres, at), [ROAD])
    assert not verdict.verified
    assert verdict.nearest is not None
    assert list(verdict.nearest.reasons) == reasons
    assert explain(verdict).startswith(
        "NOT VERIFIED: no registered checkpoint known to you within 300 m at"
    )


def test_the_start_is_included() -> None:
    assert ROAD.valid_from is not None
    assert verify(ask(0, ROAD.valid_from), [ROAD]).verified


def test_daily_hours() -> None:
    by_day = replace(ROAD, hours=parse_hours("06:00-18:00"))
    assert verify(ask(0, NOON), [by_day]).verified
    night = verify(ask(0, NIGHT), [by_day])
    assert not night.verified
    assert night.nearest is not None
    assert night.nearest.reasons == (NotInForce.OFF_HOURS,)
    assert "manned 06:00-18:00 Iraq time only" in explain(night)


def test_a_closed_checkpoint_no_longer_verifies() -> None:
    closed = replace(ROAD, closed_at=datetime(2026, 11, 20, tzinfo=UTC))
    verdict = verify(ask(0, NOON), [closed])
    assert verdict.nearest is not None
    assert verdict.nearest.reasons == (NotInForce.CLOSED,)
    assert closed.ends == datetime(2026, 11, 20, tzinfo=UTC)


def test_the_nearest_in_force_verifies_past_a_closer_one_off_hours() -> None:
    off = replace(ROAD, id=2, hours=parse_hours("06:00-18:00"))
    further = replace(ROAD, id=3, latitude=north_of(ROAD, 200)[0])
    verdict = verify(ask(50, NIGHT), [off, further])
    assert verdict.match is not None
    assert verdict.match.checkpoint.id == 3
    assert verdict.nearest is None


def test_nothing_near_says_so() -> None:
    far = replace(ROAD, latitude=north_of(ROAD, 20_000)[0])
    verdict = verify(ask(0, NOON), [far])
    assert verdict.match is None
    assert verdict.nearest is None
    assert explain(verdict).endswith("None known to you within 10 km either.")


def test_a_question_needs_an_aware_time() -> None:
    with pytest.raises(InvalidInput, match=r"^at: "):
        ask(0, NOON.replace(tzinfo=None))
