"""Deconfliction: when two things planned or present in the field may run into each other.

A footprint is anything that can conflict: an operation, a position, a live friendly track, a
registered checkpoint, of this node or received from a peer. The rule (INTEROP 5.1):

    conflict(a, b) =  distance(G_a, G_b) <= r_a + r_b                -- buffered areas meet
                      AND [start_a - Δ_a, end_a + Δ_a] meets [start_b - Δ_b, end_b + Δ_b]
                   OR S_a ∩ S_b ≠ ∅                                 -- a shared subject

Windows are closed intervals; an open end (None) is unbounded. Distances are measured in
tansiq.geo.metric's azimuthal equidistant plane centred on Iraq, which does not shorten a
distance and lengthens none by more than 0.565 % in the theatre (0.177 % in Iraq); the
threshold is r_a + r_b times SCALE_BOUND (1.006), plus a millimetre, so no pair within its
buffers is missed, and a pair at most 0.6 % beyond them may be flagged (a phone call too many,
never a clash too many: 18 m over a raid's and a patrol's 3 km).

The rule is exactly symmetric: the subject and window tests are, and the distance is always
taken from the same one of the two geometries (the lesser by WKB), so floating-point rounding
cannot make conflict(a, b) and conflict(b, a) differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from tansiq.errors import InvalidInput
from tansiq.geo.metric import SCALE_BOUND, THEATRE, in_theatre, to_metres

ROUNDING_M: Final = 0.001
"""Added to every reach: far below any buffer, far above the projection's rounding."""

MAX_BUFFER_M: Final = 200_000.0
"""No footprint's own buffer is wider (a bigger one is a unit mistake or a CoT 'unknown')."""

MAX_MARGIN: Final = timedelta(days=30)
"""No time margin is longer (it would make a footprint conflict with a month of others)."""

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2999, 12, 31, tzinfo=UTC)
"""Window ends outside these are mistakes (and would overflow with a margin applied)."""

_AREA_TYPES: Final = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)
_MAX_TEXT: Final = 200


class FootprintKind(StrEnum):
    OPERATION = "operation"
    POSITION = "position"
    TRACK = "track"
    CHECKPOINT = "checkpoint"


class ConflictReason(StrEnum):
    SPACE_TIME = "space-time"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where and when a thing acts, and on whom; checked on construction (InvalidInput).

    `area` is WGS84 lon/lat inside tansiq.geo.metric.THEATRE; `start` and `end` are aware
    times (kept in UTC); `subjects` are STIX ids; `origin` is "" on this node, else the peer's
    partner code.
    """

    kind: FootprintKind
    ref: str
    owner: str
    area: BaseGeometry
    buffer_m: float
    start: datetime | None
    end: datetime | None
    margin: timedelta
    subjects: frozenset[str] = frozenset()
    contact: str = ""
    origin: str = ""
    # The area in metres, projected on first use: frozen dataclasses with slots cannot use
    # functools.cached_property, and projecting every footprint read from the registry would
    # cost more than the rule itself.
    _metric: BaseGeometry | None = field(default=None, init=False, repr=False, compare=False)
    _metric_wkb: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_names(self)
        _check_area(self.area)
        _check_buffer(self.buffer_m)
        object.__setattr__(self, "start", _utc(self.start, "start"))
        object.__setattr__(self, "end", _utc(self.end, "end"))
        _check_window(self.start, self.end, self.margin)
        _check_subjects(self.subjects)

    @classmethod
    def checked_before(cls, metric_wkb: bytes, **values: Any) -> Footprint:
        """A footprint rebuilt from what the registry stored: it was checked when it was put,
        and its metric area projected then (`metric_wkb`), so neither is done again."""
        if values.keys() != _FIELDS:
            raise TypeError(f"a footprint has the fields {sorted(_FIELDS)}")
        fp = object.__new__(cls)
        for name, value in values.items():
            object.__setattr__(fp, name, value)
        object.__setattr__(fp, "_metric", shapely.from_wkb(metric_wkb))
        object.__setattr__(fp, "_metric_wkb", metric_wkb)
        return fp

    @property
    def key(self) -> tuple[str, FootprintKind, str]:
        """What identifies a footprint in the registry: (origin, kind, ref)."""
        return (self.origin, self.kind, self.ref)

    @property
    def metric_area(self) -> BaseGeometry:
        """The area in tansiq.geo.metric's plane, in metres."""
        if self._metric is None:
            object.__setattr__(self, "_metric", to_metres(self.area))
        assert self._metric is not None
        return self._metric

    @property
    def metric_wkb(self) -> bytes:
        """The metric area as WKB (what orders a pair for the distance, see conflict)."""
        if self._metric_wkb is None:
            object.__setattr__(self, "_metric_wkb", shapely.to_wkb(self.metric_area))
        assert self._metric_wkb is not None
        return self._metric_wkb

    @property
    def window(self) -> tuple[datetime | None, datetime | None]:
        """[start - margin, end + margin]; None is an open end."""
        low = self.start - self.margin if self.start is not None else None
        high = self.end + self.margin if self.end is not None else None
        return low, high


_FIELDS: Final = frozenset(name for name in Footprint.__dataclass_fields__ if name[0] != "_")


def conflict(a: Footprint, b: Footprint) -> frozenset[ConflictReason]:
    """Why a and b conflict: empty when they do not. Symmetric (see the module docstring)."""
    reasons: set[ConflictReason] = set()
    if not a.subjects.isdisjoint(b.subjects):
        reasons.add(ConflictReason.SUBJECT)
    if windows_overlap(a, b) and within_reach(a, b):
        reasons.add(ConflictReason.SPACE_TIME)
    return frozenset(reasons)


def windows_overlap(a: Footprint, b: Footprint) -> bool:
    """Whether the margined windows share an instant (closed intervals, None unbounded)."""
    a_low, a_high = a.window
    b_low, b_high = b.window
    a_before_b = a_high is not None and b_low is not None and a_high < b_low
    b_before_a = b_high is not None and a_low is not None and b_high < a_low
    return not (a_before_b or b_before_a)


def reach_m(a: Footprint, b: Footprint) -> float:
    """The planar distance within which a and b meet: (r_a + r_b) times the scale bound, and
    a millimetre against the projection's rounding (two copies of one point may land 1e-9 m
    apart)."""
    return (a.buffer_m + b.buffer_m) * SCALE_BOUND + ROUNDING_M


def within_reach(a: Footprint, b: Footprint) -> bool:
    """Whether the buffered areas meet: planar distance <= reach_m (symmetric to the bit)."""
    first, second = a, b
    # GEOS may round distance(p, q) and distance(q, p) differently: always measure from the
    # same one, the lesser by WKB (equal WKBs are the same geometry).
    if b.metric_wkb < a.metric_wkb:
        first, second = b, a
    return bool(shapely.dwithin(first.metric_area, second.metric_area, reach_m(a, b)))


def within_reach_each(
    a: Footprint, metric_wkbs: Sequence[bytes], buffers_m: Sequence[float]
) -> list[bool]:
    """within_reach(a, b) for each b given by its metric WKB and buffer, in one pass of GEOS
    (a search decides hundreds of candidates; a call a pair cost it more than the lookup).
    The same answer as within_reach to the bit: each pair is measured from the same one of
    the two, over the same reach."""
    if not metric_wkbs:
        return []
    others = shapely.from_wkb(np.array(metric_wkbs, dtype=object))
    mine = np.full(len(others), a.metric_area, dtype=object)
    a_first = np.array([a.metric_wkb <= wkb for wkb in metric_wkbs])
    first = np.where(a_first, mine, others)
    second = np.where(a_first, others, mine)
    reach = (a.buffer_m + np.asarray(buffers_m, dtype=np.float64)) * SCALE_BOUND + ROUNDING_M
    return [bool(meets) for meets in shapely.dwithin(first, second, reach)]


def _check_names(fp: Footprint) -> None:
    if not isinstance(fp.kind, FootprintKind):
        raise InvalidInput(f"footprint kind {fp.kind!r} is not one of {list(FootprintKind)}")
    for name in ("ref", "owner"):
        value = getattr(fp, name)
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
            raise InvalidInput(f"footprint {name} must be 1-{_MAX_TEXT} characters")
    for name in ("contact", "origin"):
        value = getattr(fp, name)
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise InvalidInput(f"footprint {name} must be text of at most {_MAX_TEXT} characters")


def _check_area(area: object) -> None:
    if not isinstance(area, BaseGeometry) or area.geom_type not in _AREA_TYPES:
        raise InvalidInput(f"footprint area must be one of {sorted(_AREA_TYPES)} geometries")
    if area.is_empty:
        raise InvalidInput("footprint area is empty")
    if not in_theatre(area):
        west, south, east, north = THEATRE
        raise InvalidInput(
            f"footprint area must have finite lon/lat inside lon {west}..{east}, "
            f"lat {south}..{north} (where deconfliction measures distances)"
        )
    if not area.is_valid:
        raise InvalidInput(
            f"footprint area is not a valid geometry: {shapely.is_valid_reason(area)}"
        )


def _check_buffer(buffer_m: float) -> None:
    if not isinstance(buffer_m, int | float) or not math.isfinite(buffer_m):
        raise InvalidInput("footprint buffer_m must be a finite number of metres")
    if not 0 <= buffer_m <= MAX_BUFFER_M:
        raise InvalidInput(f"footprint buffer_m must be 0 to {MAX_BUFFER_M:,.0f} metres")


def _utc(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(f"footprint {name} must be a time with a time zone")
    moment = moment.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInput(f"footprint {name} must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    return moment


def _check_window(start: datetime | None, end: datetime | None, margin: timedelta) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInput("footprint end is before its start")
    if not isinstance(margin, timedelta) or not timedelta(0) <= margin <= MAX_MARGIN:
        raise InvalidInput(f"footprint margin must be 0 to {MAX_MARGIN.days} days")


def _check_subjects(subjects: frozenset[str]) -> None:
    if not isinstance(subjects, frozenset):
        raise InvalidInput("footprint subjects must be a frozenset of STIX ids")
    for subject in subjects:
        if not isinstance(subject, str) or not 0 < len(subject) <= _MAX_TEXT:
            raise InvalidInput(f"footprint subject {subject!r} must be 1-{_MAX_TEXT} characters")
        if len(subject.split()) != 1 or subject.strip() != subject:  # STIX ids have no spaces
            raise InvalidInput(f"footprint subject {subject!r} must not contain spaces")
