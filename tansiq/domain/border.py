"""The Syria border: sectors along the line, observations in them, and alert rules.

Sectors. The shipped Iraq-Syria line (the COD drawing) runs from the Jordan tripoint to the
Turkish tripoint through seven districts. Each line segment belongs to the border district it
lies on; a district's run of segments is its stretch. A stretch is cut into n equal sectors,
n = ceil(length / 20 km), so each is 10 to 20 km long. Two stretches are shorter than 10 km (Ana,
4.6 km between Al-Kaim and Al-Baaj, and Zakho, 8.2 km at the Turkish end): a stretch under
10 km joins the stretch before it along the line (the first one, the stretch after it), and
its sectors name both districts. Lengths are geodesic on the WGS84 ellipsoid (pyproj.Geod), the
line's vertices joined by geodesics; a cut point is placed on the geodesic of its segment, so
the sectors' lengths add up to the line's exactly. Ids are the district's pcode and the
sector's place in it from the south-west (IQG01Q04-01): the same on every node.

Alert rules. N observations in one sector within T hours raise an alert, once per burst: a
later window of N that starts within T hours of the alert's last observation belongs to the
same burst and extends the alert instead of raising another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pyproj import Geod

from tansiq.domain.markings import Marking, Tlp
from tansiq.errors import InvalidInput

MIN_SECTOR_M = 10_000.0
MAX_SECTOR_M = 20_000.0
TOLERANCE_M = 15_000.0
"""An observation farther than this from the line is not a border observation."""

_GEOD = Geod(ellps="WGS84")

Coordinate = tuple[float, float]
"""(longitude, latitude), WGS84 degrees."""


class ObservationKind(StrEnum):
    CROSSING_ATTEMPT = "crossing-attempt"
    SENSOR_ALERT = "sensor-alert"
    PATROL_REPORT = "patrol-report"


class ObservationSource(StrEnum):
    API = "api"
    CSV = "csv"
    COT = "cot"


def parse_kind(text: str) -> ObservationKind:
    value = text.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return ObservationKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in ObservationKind)
        raise InvalidInput(
            f"kind: unknown observation kind {text!r}; use one of {choices}"
        ) from None


@dataclass(frozen=True, slots=True)
class ObservationDraft:
    """An observation as a partner gives it (API, CSV row or CoT event), not yet placed.

    Marked like a position: `tlp` and the partners it is released to besides its own."""

    kind: str
    latitude: float
    longitude: float
    observed_at: datetime
    partner: str
    source: str
    source_ref: str = ""
    text: str = ""
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        parse_kind(self.kind)
        if self.source not in set(ObservationSource):
            raise InvalidInput(f"source: unknown observation source {self.source!r}")
        finite = math.isfinite(self.latitude) and math.isfinite(self.longitude)
        if not (finite and -90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise InvalidInput(f"lat/lon: {self.latitude},{self.longitude} is not a WGS84 point")
        if self.observed_at.tzinfo is None:
            raise InvalidInput("observed_at: a time with a zone (Z, +03:00) is needed")
        if not self.partner.strip():
            raise InvalidInput("partner: an observation needs a partner")
        if len(self.source_ref) > 200:
            raise InvalidInput("source_ref: at most 200 characters")
        if len(self.text) > 10_000:
            raise InvalidInput("text: at most 10,000 characters")

    @property
    def observation_kind(self) -> ObservationKind:
        return parse_kind(self.kind)

    @property
    def marking(self) -> Marking:
        return Marking(self.tlp, self.partner, self.releasable_to)


# --- sectors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class District:
    pcode: str
    name_en: str
    name_ar: str


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    district: District
    index: int
    districts: tuple[str, ...]
    """Every border district the sector lies along (its own first)."""
    start_m: float
    end_m: float
    coordinates: tuple[Coordinate, ...]

    @property
    def length_m(self) -> float:
        return self.end_m - self.start_m

    @property
    def name_en(self) -> str:
        return f"{self.district.name_en} {self.index}"

    @property
    def name_ar(self) -> str:
        return f"{self.district.name_ar} {self.index}"


@dataclass(frozen=True, slots=True)
class _Stretch:
    districts: list[District]
    first: int
    """Index of the first segment."""
    last: int
    """Index of the last segment (inclusive)."""


def segment_lengths(coordinates: Sequence[Coordinate]) -> list[float]:
    """Geodesic length of each segment, metres."""
    lons = [c[0] for c in coordinates]
    lats = [c[1] for c in coordinates]
    _, _, distances = _GEOD.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return [float(d) for d in distances]


def sectors_along(
    coordinates: Sequence[Coordinate], segment_districts: Sequence[District]
) -> list[Sector]:
    """The sectors of a line whose i-th segment lies along `segment_districts[i]`."""
    if len(segment_districts) != len(coordinates) - 1 or not segment_districts:
        raise ValueError("one district per segment is needed")
    lengths = segment_lengths(coordinates)
    chainage = [0.0]
    for length in lengths:
        chainage.append(chainage[-1] + length)
    found: list[Sector] = []
    for stretch in _merged(_stretches(segment_districts), lengths):
        found += _split(stretch, coordinates, chainage, segment_districts)
    return found


def _stretches(segment_districts: Sequence[District]) -> list[_Stretch]:
    runs: list[_Stretch] = []
    for i, district in enumerate(segment_districts):
        if runs and runs[-1].districts[0] == district:
            runs[-1] = _Stretch(runs[-1].districts, runs[-1].first, i)
        else:
            runs.append(_Stretch([district], i, i))
    return runs


def _length(stretch: _Stretch, lengths: Sequence[float]) -> float:
    return sum(lengths[stretch.first : stretch.last + 1])


def _merged(runs: list[_Stretch], lengths: Sequence[float]) -> list[_Stretch]:
    """Stretches under MIN_SECTOR_M joined to the one before (the first: to the one after)."""
    merged: list[_Stretch] = []
    pending: _Stretch | None = None
    for run in runs:
        if pending is not None:
            run = _Stretch(run.districts + pending.districts, pending.first, run.last)
            pending = None
        if _length(run, lengths) >= MIN_SECTOR_M:
            merged.append(run)
        elif merged:
            last = merged[-1]
            merged[-1] = _Stretch(last.districts + run.districts, last.first, run.last)
        else:
            pending = run
    if pending is not None:
        raise ValueError("the whole line is shorter than one sector")
    return merged


def _split(
    stretch: _Stretch,
    coordinates: Sequence[Coordinate],
    chainage: Sequence[float],
    segment_districts: Sequence[District],
) -> list[Sector]:
    start, end = chainage[stretch.first], chainage[stretch.last + 1]
    count = max(1, math.ceil((end - start) / MAX_SECTOR_M))
    cuts = [start + (end - start) * k / count for k in range(count + 1)]
    cuts[-1] = end
    district = stretch.districts[0]
    return [
        Sector(
            id=f"{district.pcode}-{k + 1:02d}",
            district=district,
            index=k + 1,
            districts=_along(district, segment_districts, chainage, cuts[k], cuts[k + 1]),
            start_m=cuts[k],
            end_m=cuts[k + 1],
            coordinates=_piece(coordinates, chainage, cuts[k], cuts[k + 1]),
        )
        for k in range(count)
    ]


def _along(
    main: District,
    segment_districts: Sequence[District],
    chainage: Sequence[float],
    start: float,
    end: float,
) -> tuple[str, ...]:
    """The districts of the segments a sector overlaps, its own first."""
    touched = [
        d.pcode
        for i, d in enumerate(segment_districts)
        if chainage[i] < end and chainage[i + 1] > start
    ]
    return tuple(dict.fromkeys([main.pcode, *touched]))


def _piece(
    coordinates: Sequence[Coordinate], chainage: Sequence[float], start: float, end: float
) -> tuple[Coordinate, ...]:
    """The line from chainage `start` to `end`: the vertices between, and the two cut points."""
    inside = [coordinates[i] for i in range(len(coordinates)) if start < chainage[i] < end]
    return (_at(coordinates, chainage, start), *inside, _at(coordinates, chainage, end))


def _at(
    coordinates: Sequence[Coordinate], chainage: Sequence[float], distance: float
) -> Coordinate:
    """The point `distance` metres along the line (on the geodesic of its segment)."""
    for i in range(len(coordinates) - 1):
        if chainage[i] <= distance <= chainage[i + 1]:
            if distance == chainage[i]:
                return coordinates[i]
            if distance == chainage[i + 1]:
                return coordinates[i + 1]
            (lon1, lat1), (lon2, lat2) = coordinates[i], coordinates[i + 1]
            azimuth, _, _ = _GEOD.inv(lon1, lat1, lon2, lat2)
            lon, lat, _ = _GEOD.fwd(lon1, lat1, azimuth, distance - chainage[i])
            return (float(lon), float(lat))
    raise ValueError(f"{distance} m is not on the line")


# --- alert rules -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertRule:
    count: int
    hours: float
    kind: ObservationKind | None = None
    sector: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 10_000:
            raise InvalidInput("count: 1 to 10,000 observations")
        if not (math.isfinite(self.hours) and 0 < self.hours <= 24 * 90):
            raise InvalidInput("hours: more than 0, at most 2,160 (90 days)")

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.hours)

    def applies(self, kind: ObservationKind, sector: str) -> bool:
        return (self.kind is None or self.kind is kind) and (
            self.sector is None or self.sector == sector
        )


Stamp = tuple[datetime, int]
"""An observation's time and id: ids order observations made at the same time."""


def burst_window(
    stamps: Sequence[Stamp], new: Stamp, rule: AlertRule
) -> tuple[Stamp, Stamp] | None:
    """The earliest window of `rule.count` observations within `rule.hours` that holds the new
    one, as (first, last); None if there is none. `stamps` are the sector's matching
    observations around it (the new one among them)."""
    ordered = sorted(stamps)
    at = ordered.index(new)
    n = rule.count
    for first in range(max(0, at - n + 1), min(at, len(ordered) - n) + 1):
        last = first + n - 1
        if ordered[last][0] - ordered[first][0] <= rule.window:
            return ordered[first], ordered[last]
    return None


def same_burst(
    window: tuple[datetime, datetime], alert: tuple[datetime, datetime], rule: AlertRule
) -> bool:
    """Whether a new window belongs to an alert's burst: it starts before the alert's last
    observation plus T and ends after its first minus T."""
    return window[0] <= alert[1] + rule.window and window[1] >= alert[0] - rule.window
