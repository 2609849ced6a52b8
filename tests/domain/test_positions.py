"""Positions as values: what a valid one is, and the kinds a file may name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tansiq.domain.markings import Tlp
from tansiq.domain.positions import Period, PositionKind, parse_kind
from tansiq.errors import InvalidInput
from tests.factories import make_position


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"latitude": 91.0}, "not a WGS84 point"),
        ({"longitude": float("nan")}, "not a WGS84 point"),
        ({"coverage_radius_m": -1.0}, "coverage radius"),
        ({"coverage_radius_m": 250_000.0}, "coverage radius"),
        ({"name": " "}, "name"),
        ({"partner": ""}, "partner"),
        ({"active_from": datetime(2024, 1, 1)}, "time zone"),
        (
            {
                "active_from": datetime(2024, 2, 1, tzinfo=UTC),
                "active_to": datetime(2024, 1, 1, tzinfo=UTC),
            },
            "ends before it starts",
        ),
    ],
)
def test_a_bad_position_is_refused_with_the_reason(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        make_position(**overrides)


def test_a_position_is_marked_by_its_partner_and_release() -> None:
    position = make_position(tlp=Tlp.RED, releasable_to=frozenset({"krg"}))

    assert position.marking.audience() == {"joc", "krg"}
    assert position.marking.tlp is Tlp.RED


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("checkpoint", PositionKind.CHECKPOINT),
        ("Observation post", PositionKind.OBSERVATION_POST),
        ("border_post", PositionKind.BORDER_POST),
    ],
)
def test_kinds_are_read_as_people_write_them(text: str, kind: PositionKind) -> None:
    assert parse_kind(text) is kind


def test_an_unknown_kind_names_the_choices() -> None:
    with pytest.raises(InvalidInput, match="checkpoint, observation-post"):
        parse_kind("fort")


def test_a_day_is_a_utc_day() -> None:
    day = Period.day(date(2024, 3, 1))

    assert day.start == datetime(2024, 3, 1, tzinfo=UTC)
    assert day.end == datetime(2024, 3, 2, tzinfo=UTC)
