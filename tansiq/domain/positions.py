"""Positions: where a partner's checkpoints, bases, posts and patrols are, and what they cover.

A position belongs to one partner (its originator) and is marked like a report: a TLP level and
the partners it is released to (tansiq.domain.markings). Without a release it stays with its
own partner. Its coverage is a circle of `coverage_radius_m` metres around the point, over the
period from `active_from` to `active_to` (either end open).

A position's natural key is (partner, name): writing a position with the same partner and name
again replaces it, so an import of the same file twice changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.viewport import Bbox
from tansiq.errors import InvalidInput

MAX_RADIUS_M = 200_000.0
"""No post covers more than 200 km: a bigger radius is a unit mistake (kilometres given)."""


class PositionKind(StrEnum):
    CHECKPOINT = "checkpoint"
    OBSERVATION_POST = "observation-post"
    BASE = "base"
    PATROL = "patrol"
    BORDER_POST = "border-post"


def parse_kind(text: str) -> PositionKind:
    value = text.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return PositionKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in PositionKind)
        raise InvalidInput(f"unknown position kind {text!r}; use one of {choices}") from None


@dataclass(frozen=True, slots=True)
class PositionDraft:
    """A position as a partner gives it (by hand, the demo or an import), not yet placed."""

    partner: str
    kind: PositionKind
    name: str
    latitude: float
    longitude: float
    coverage_radius_m: float
    active_from: datetime | None = None
    active_to: datetime | None = None
    synthetic: bool = False
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.partner.strip():
            raise InvalidInput("a position needs a partner")
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidInput("a position's name is 1-200 characters")
        _check_point(self.latitude, self.longitude)
        _check_radius(self.coverage_radius_m)
        _check_period(self.active_from, self.active_to)

    @property
    def marking(self) -> Marking:
        return Marking(self.tlp, self.partner, self.releasable_to)


def _check_point(latitude: float, longitude: float) -> None:
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    if not (finite and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(f"bad position {latitude},{longitude}: not a WGS84 point")


def _check_radius(radius_m: float) -> None:
    if not math.isfinite(radius_m) or not 0 <= radius_m <= MAX_RADIUS_M:
        raise InvalidInput(f"coverage radius must be 0 to {MAX_RADIUS_M:,.0f} metres")


def _check_period(start: datetime | None, end: datetime | None) -> None:
    for moment in (start, end):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput("a position's active period needs times with a time zone")
    if start is not None and end is not None and end < start:
        raise InvalidInput("a position's active period ends before it starts")


@dataclass(frozen=True, slots=True)
class Position:
    """A position placed in the COD areas (pcodes empty outside Iraq)."""

    draft: PositionDraft
    adm1_pcode: str
    adm2_pcode: str
    adm3_pcode: str
    disputed: bool


@dataclass(frozen=True, slots=True)
class Period:
    """A span of time, start included, end excluded; a position is active in it if the two
    overlap."""

    start: datetime
    end: datetime

    @classmethod
    def day(cls, day: date) -> Period:
        """One calendar day, UTC."""
        start = datetime.combine(day, time(), tzinfo=UTC)
        return cls(start, start + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class PositionFilter:
    """Which positions to read: their point inside a box, active in a period. None: no limit."""

    bbox: Bbox | None = None
    active: Period | None = None
