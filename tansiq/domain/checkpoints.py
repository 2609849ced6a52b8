"""Checkpoints: the registry of legitimate checkpoints, and the answer to "is this one real?".

ISIS manned fake checkpoints in military uniform (2021). A unit that meets a checkpoint on the
road asks the registry: is a checkpoint registered here, now? The answer comes only from the
checkpoints the asker's partner may see (tansiq.domain.markings); one they may not see changes
nothing in it, not even by its absence from a "nearest" line.

A checkpoint belongs to a partner (its owner) and a unit, stands at a point, and is in force
over its validity period, `valid_from` included to `valid_to` excluded (either end open), until
it is closed (`closed_at`, excluded too). A checkpoint manned by day only has daily hours in
Iraq time (UTC+3; Iraq keeps no daylight saving time since 2008, so a fixed offset, which needs
no time zone database on an air-gapped node). Hours may run past midnight ("18:00-06:00").

Distances are great-circle (haversine on the mean Earth radius): within 0.5% of the geodesic,
a metre or two at the tolerances used here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from tansiq.domain.markings import Marking, Tlp
from tansiq.errors import InvalidInput

IRAQ_TIME = timezone(timedelta(hours=3), "UTC+03:00")
"""Iraq's civil time: Arabia Standard Time all year."""

IRAQ_NEIGHBOURHOOD = (37.8, 28.5, 49.5, 38.0)
"""(west, south, east, north): Iraq's extent (38.79..48.57 E, 29.06..37.38 N) and about 50-100 km
round it. A checkpoint further out is a mistake (latitude and longitude swapped, a sign lost),
not a checkpoint of this registry."""

DEFAULT_TOLERANCE_M = 300.0
"""How far the checkpoint seen may be from the registered point: a phone's GPS fix (5-50 m),
the checkpoint's own length along the road (barriers, the queue: 100-200 m) and a point placed
by a click on a map. Less would say "not verified" to a real checkpoint."""

MIN_TOLERANCE_M = 25.0
"""Below a GPS fix's error a real checkpoint would fail."""

MAX_TOLERANCE_M = 5_000.0
"""Beyond this "verified" no longer says that the checkpoint seen is the registered one: a fake
checkpoint a few kilometres down the road from a real one would pass."""

NEARBY_M = 10_000.0
"""How far to look for the nearest visible checkpoint to name when the answer is no."""

CHECKPOINT_BUFFER_M = 300.0
"""A checkpoint's radius in the deconfliction registry (interfaces of issue 6)."""

_EARTH_RADIUS_M = 6_371_008.8
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CheckpointKind(StrEnum):
    FIXED = "fixed"
    MOBILE = "mobile"
    """Mobile or temporary: set up for a time, often a short one."""


def parse_kind(text: str) -> CheckpointKind:
    value = text.strip().lower()
    if value == "temporary":
        return CheckpointKind.MOBILE
    try:
        return CheckpointKind(value or "fixed")
    except ValueError:
        raise InvalidInput(f"kind: unknown {text!r}; use fixed or mobile (temporary)") from None


@dataclass(frozen=True, slots=True)
class DailyHours:
    """The hours of a day a checkpoint is manned, Iraq time; `end` before `start` runs past
    midnight. Minutes since midnight."""

    start: int
    end: int

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(IRAQ_TIME)
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hours(text: str) -> DailyHours | None:
    """`HH:MM-HH:MM` in Iraq time; an empty text is none (manned round the clock)."""
    if not text.strip():
        return None
    found = _HOURS.match(text)
    if found is None:
        raise InvalidInput(f"hours: expected HH:MM-HH:MM (Iraq time), got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise InvalidInput(f"hours: not a time of day in {text!r}")
    start, end = (h1 * 60 + m1) % 1440, (h2 * 60 + m2) % 1440
    if start == end:
        raise InvalidInput(f"hours: {text!r} starts and ends together; leave hours out for 24 h")
    return DailyHours(start, end)


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)
"""Times outside these are typing mistakes (and the registries' bounds: see deconfliction)."""


def parse_time(text: str, field: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date-time with a zone (Z, +03:00), as UTC. A date alone is a day in Iraq time:
    its start, or with `end_of_day` the start of the next (a period's end is excluded). A
    date-time without a zone is refused: on a watch floor three hours is the difference
    between a real checkpoint and a fake one."""
    value = text.strip()
    try:
        found = _moment(value, field, end_of_day)
    except OverflowError:  # the first or last day there is, moved by its zone
        found = None
    if found is None or not EARLIEST <= found <= LATEST:
        raise InvalidInput(f"{field}: {value[:40]!r} is not between 1900 and 2999")
    return found


def _moment(value: str, field: str, end_of_day: bool) -> datetime:
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{field}: not a date (YYYY-MM-DD): {value!r}") from None
        start = datetime.combine(day, time(), tzinfo=IRAQ_TIME)
        return (start + timedelta(days=1) if end_of_day else start).astimezone(UTC)
    try:
        found = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"{field}: not an ISO date-time: {value[:40]!r}") from None
    if found.tzinfo is None:
        raise InvalidInput(f"{field}: a date-time needs a zone (Z or +03:00): {value!r}")
    return found.astimezone(UTC)


def check_point(latitude: float, longitude: float) -> None:
    """InvalidInput naming the field, for a point outside Iraq's neighbourhood."""
    west, south, east, north = IRAQ_NEIGHBOURHOOD
    if not (math.isfinite(latitude) and south <= latitude <= north):
        raise InvalidInput(f"lat: {latitude} is not in Iraq or near it ({south} to {north})")
    if not (math.isfinite(longitude) and west <= longitude <= east):
        raise InvalidInput(f"lon: {longitude} is not in Iraq or near it ({west} to {east})")


def check_tolerance(tolerance_m: float) -> float:
    if not (math.isfinite(tolerance_m) and MIN_TOLERANCE_M <= tolerance_m <= MAX_TOLERANCE_M):
        raise InvalidInput(
            f"tolerance_m: must be {MIN_TOLERANCE_M:.0f} to {MAX_TOLERANCE_M:,.0f} metres, "
            f"got {tolerance_m}"
        )
    return tolerance_m


def _check_text(field: str, value: str) -> None:
    if not value.strip() or len(value) > 200:
        raise InvalidInput(f"{field}: 1-200 characters")


def _check_period(start: datetime | None, end: datetime | None) -> None:
    for field, moment in (("from", start), ("to", end)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{field}: a date-time needs a zone (Z or +03:00)")
        if moment is not None and not EARLIEST <= moment <= LATEST:
            raise InvalidInput(f"{field}: {moment.isoformat()} is not between 1900 and 2999")
    if start is not None and end is not None and end <= start:
        raise InvalidInput(f"to: {end.isoformat()} is not after from {start.isoformat()}")


@dataclass(frozen=True, slots=True)
class CheckpointDraft:
    """A checkpoint as its owner registers it."""

    partner: str
    unit: str
    name: str
    latitude: float
    longitude: float
    valid_from: datetime | None
    valid_to: datetime | None = None
    hours: DailyHours | None = None
    kind: CheckpointKind = CheckpointKind.FIXED
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_text("partner", self.partner)
        _check_text("unit", self.unit)
        _check_text("name", self.name)
        check_point(self.latitude, self.longitude)
        _check_period(self.valid_from, self.valid_to)

    @property
    def marking(self) -> Marking:
        return Marking(self.tlp, self.partner, self.releasable_to)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A registered checkpoint as the registry holds it."""

    id: int
    partner: str
    unit: str
    name: str
    latitude: float
    longitude: float
    valid_from: datetime | None
    valid_to: datetime | None
    hours: DailyHours | None
    kind: CheckpointKind
    closed_at: datetime | None = None

    @property
    def ends(self) -> datetime | None:
        """When it stops being in force: the end of its period or its closing, the earlier."""
        ends = [m for m in (self.valid_to, self.closed_at) if m is not None]
        return min(ends) if ends else None


class NotInForce(StrEnum):
    """Why a checkpoint near the asker does not verify."""

    TOO_FAR = "too-far"
    NOT_YET = "not-yet-valid"
    EXPIRED = "expired"
    CLOSED = "closed"
    OFF_HOURS = "outside-hours"


def why_not(
    cp: Checkpoint, at: datetime, distance_m: float, tolerance_m: float
) -> list[NotInForce]:
    """Every reason the checkpoint does not answer for a point `distance_m` away at `at`;
    empty: it verifies."""
    reasons = []
    if distance_m > tolerance_m:
        reasons.append(NotInForce.TOO_FAR)
    if cp.valid_from is not None and at < cp.valid_from:
        reasons.append(NotInForce.NOT_YET)
    if cp.valid_to is not None and at >= cp.valid_to:
        reasons.append(NotInForce.EXPIRED)
    if cp.closed_at is not None and at >= cp.closed_at:
        reasons.append(NotInForce.CLOSED)
    if cp.hours is not None and not cp.hours.covers(at):
        reasons.append(NotInForce.OFF_HOURS)
    return reasons


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def search_box(latitude: float, longitude: float, radius_m: float) -> tuple[float, ...]:
    """(west, south, east, north) holding every point within `radius_m` (a prefilter)."""
    dlat = math.degrees(radius_m / _EARTH_RADIUS_M) * 1.01
    dlon = dlat / max(math.cos(math.radians(abs(latitude) + dlat)), 1e-6)
    return (longitude - dlon, latitude - dlat, longitude + dlon, latitude + dlat)


@dataclass(frozen=True, slots=True)
class Question:
    """A verify: is a registered checkpoint at this point at this time, within the tolerance?"""

    latitude: float
    longitude: float
    at: datetime
    tolerance_m: float = DEFAULT_TOLERANCE_M

    def __post_init__(self) -> None:
        check_point(self.latitude, self.longitude)
        check_tolerance(self.tolerance_m)
        if self.at.tzinfo is None:
            raise InvalidInput("at: a date-time needs a zone (Z or +03:00)")


@dataclass(frozen=True, slots=True)
class Near:
    """A checkpoint and how far it is from the asked point, and why it does not verify."""

    checkpoint: Checkpoint
    distance_m: float
    reasons: tuple[NotInForce, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer: the checkpoint that verifies (the nearest in force), or none and the nearest
    visible one within NEARBY_M with the reasons it does not."""

    question: Question
    match: Near | None
    nearest: Near | None

    @property
    def verified(self) -> bool:
        return self.match is not None


def verify(question: Question, visible: Iterable[Checkpoint]) -> Verdict:
    """The verdict from the checkpoints the asker may see (and only those)."""
    near = []
    for cp in visible:
        d = distance_m(question.latitude, question.longitude, cp.latitude, cp.longitude)
        if d <= NEARBY_M:
            reasons = why_not(cp, question.at, d, question.tolerance_m)
            near.append(Near(cp, d, tuple(reasons)))
    near.sort(key=lambda n: (n.distance_m, n.checkpoint.id))
    match = next((n for n in near if not n.reasons), None)
    return Verdict(question, match, None if match else next(iter(near), None))


def when(moment: datetime) -> str:
    """A time as UTC with Iraq's clock beside it: the watch floor reads the second."""
    local = moment.astimezone(IRAQ_TIME)
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} ({local:%Y-%m-%d %H:%M} Iraq time)"


def explain(verdict: Verdict) -> str:
    """The answer in one or two plain sentences, for the watch officer at 2 a.m."""
    q = verdict.question
    if verdict.match is not None:
        cp, d = verdict.match.checkpoint, verdict.match.distance_m
        return (
            f"VERIFIED: registered checkpoint {cp.name!r} of {cp.partner} (unit {cp.unit!r}), "
            f"{d:,.0f} m away, in force at {when(q.at)}; {_period(cp)}."
        )
    text = (
        f"NOT VERIFIED: no registered checkpoint known to you within {q.tolerance_m:,.0f} m "
        f"at {when(q.at)}."
    )
    if verdict.nearest is None:
        return text + f" None known to you within {NEARBY_M / 1000:,.0f} km either."
    cp, d = verdict.nearest.checkpoint, verdict.nearest.distance_m
    why = "; ".join(_reason(r, cp, d, q) for r in verdict.nearest.reasons)
    return (
        f"{text} The nearest known to you, {cp.name!r} of {cp.partner} (unit {cp.unit!r}), "
        f"{d:,.0f} m away, does not count: {why}."
    )


def _period(cp: Checkpoint) -> str:
    start = when(cp.valid_from) if cp.valid_from else "open"
    end = when(cp.ends) if cp.ends else "open"
    hours = f", manned {cp.hours} Iraq time" if cp.hours else ", manned round the clock"
    return f"valid from {start} to {end}{hours}"


def _reason(reason: NotInForce, cp: Checkpoint, d: float, q: Question) -> str:
    if reason is NotInForce.TOO_FAR:
        return f"it is more than {q.tolerance_m:,.0f} m away"
    if reason is NotInForce.NOT_YET and cp.valid_from is not None:
        return f"it is in force only from {when(cp.valid_from)}"
    if reason is NotInForce.EXPIRED and cp.valid_to is not None:
        return f"its period ended at {when(cp.valid_to)}"
    if reason is NotInForce.CLOSED and cp.closed_at is not None:
        return f"it was closed at {when(cp.closed_at)}"
    return f"it is manned {cp.hours} Iraq time only"


@dataclass(frozen=True, slots=True)
class CheckpointFilter:
    """Which checkpoints to list: their point inside a box (west, south, east, north), in force
    at an instant (period and closing; daily hours aside). None: no limit."""

    bbox: tuple[float, float, float, float] | None = None
    at: datetime | None = None
