"""A synthetic set of positions for the demo: checkpoints, posts and bases of both sides on
towns of the shipped gazetteer in and near the disputed districts.

Nothing here describes a real unit or a real deployment. Every position is flagged
`synthetic`, its name says "(synthetic)", and it stands a little off the town's point, on the
side of the town its partner's area lies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tansiq.domain.markings import Tlp
from tansiq.domain.positions import PositionDraft, PositionKind
from tansiq.errors import ReferenceDataError
from tansiq.geo.reference import GazetteerEntry, gazetteer

DEMO_PARTNERS = (
    ("joc", "Joint Operations Command"),
    ("krg", "Kurdistan Region Security Council"),
)
"""The two sides of the demo: the federal Joint Operations Command and the Kurdistan Region's
security council (Peshmerga, Asayish)."""

_FROM = datetime(2024, 1, 1, tzinfo=UTC)
_SUMMER = (datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 9, 30, 12, tzinfo=UTC))

_KIND_WORDS = {
    PositionKind.CHECKPOINT: "checkpoint",
    PositionKind.OBSERVATION_POST: "observation post",
    PositionKind.BASE: "base",
    PositionKind.PATROL: "patrol area",
    PositionKind.BORDER_POST: "border post",
}
_RADIUS_M = {
    PositionKind.CHECKPOINT: 1_500.0,
    PositionKind.OBSERVATION_POST: 4_000.0,
    PositionKind.BASE: 6_000.0,
    PositionKind.PATROL: 9_000.0,
    PositionKind.BORDER_POST: 3_000.0,
}


@dataclass(frozen=True, slots=True)
class _Spot:
    partner: str
    kind: PositionKind
    town: str
    """A GeoNames name or alternate name in the shipped gazetteer."""
    north_km: float
    east_km: float
    seasonal: bool = False


_J, _K = "joc", "krg"
_C, _O, _B, _P, _X = (
    PositionKind.CHECKPOINT,
    PositionKind.OBSERVATION_POST,
    PositionKind.BASE,
    PositionKind.PATROL,
    PositionKind.BORDER_POST,
)
_SPOTS = (
    _Spot(_J, _C, "Kirkuk", -3.0, 0.5),
    _Spot(_K, _C, "Kirkuk", 3.5, 1.0),
    _Spot(_J, _C, "Tuz Khurmatu", -2.0, -1.0),
    _Spot(_K, _O, "Tuz Khurmatu", 3.0, 3.0),
    _Spot(_J, _B, "Daquq", -1.5, -2.0),
    _Spot(_K, _C, "Dibis", 2.0, 1.5),
    _Spot(_J, _B, "Al Hawijah", -1.0, -1.0),
    _Spot(_J, _P, "Ash Shaykhan", -8.0, -4.0, seasonal=True),
    _Spot(_K, _B, "Makhmur", 2.5, 2.0),
    _Spot(_J, _O, "Makhmur", -4.0, -3.0),
    _Spot(_J, _C, "Sinjar", -3.0, 0.0),
    _Spot(_K, _O, "Sinjar", 5.0, 1.0),
    _Spot(_J, _B, "Tal Afar", -1.0, -1.5),
    _Spot(_J, _C, "Al-Hamdaniya", -1.5, -1.0),
    _Spot(_K, _C, "Tall Kayf", 2.0, 1.0),
    _Spot(_K, _B, "Akre", -2.0, 0.0),
    _Spot(_K, _C, "Khanaqin", 2.5, 1.0),
    _Spot(_J, _C, "Khanaqin", -3.0, -1.5),
    _Spot(_K, _O, "Kifri", 2.0, 2.0),
    _Spot(_J, _X, "Mandali", 0.5, 4.0),
    _Spot(_K, _P, "Xebat", -3.0, -6.0, seasonal=True),
)

_KM_PER_DEGREE = 111.32


def demo_positions(here: str | None) -> list[PositionDraft]:
    """The demo set, each side's released to the other and to the node's own partner `here`
    (the joint centre), so that its people see both."""
    towns = _towns(gazetteer())
    numbers: dict[tuple[str, PositionKind], int] = {}
    drafts = []
    for spot in _SPOTS:
        number = numbers[spot.partner, spot.kind] = numbers.get((spot.partner, spot.kind), 0) + 1
        drafts.append(_draft(spot, number, towns[spot.town], here))
    return drafts


def _towns(entries: Iterable[GazetteerEntry]) -> dict[str, GazetteerEntry]:
    wanted = {spot.town for spot in _SPOTS}
    found: dict[str, GazetteerEntry] = {}
    for entry in entries:
        if entry.source != "geonames_cities500":
            continue
        for name in wanted & {entry.name, *entry.alternate_names}:
            found.setdefault(name, entry)
    missing = sorted(wanted - set(found))
    if missing:
        raise ReferenceDataError(f"demo positions: towns not in the gazetteer: {missing}")
    return found


def _draft(spot: _Spot, number: int, town: GazetteerEntry, here: str | None) -> PositionDraft:
    other = next(code for code, _ in DEMO_PARTNERS if code != spot.partner)
    start, end = _SUMMER if spot.seasonal else (_FROM, None)
    return PositionDraft(
        partner=spot.partner,
        kind=spot.kind,
        name=f"Demo {_KIND_WORDS[spot.kind]} {number} near {spot.town} (synthetic)",
        latitude=round(town.latitude + spot.north_km / _KM_PER_DEGREE, 5),
        longitude=round(town.longitude + spot.east_km / _km_per_degree_east(town.latitude), 5),
        coverage_radius_m=_RADIUS_M[spot.kind],
        active_from=start,
        active_to=end,
        synthetic=True,
        tlp=Tlp.AMBER,
        releasable_to=frozenset(c for c in (other, here) if c and c != spot.partner),
    )


def _km_per_degree_east(latitude: float) -> float:
    return _KM_PER_DEGREE * math.cos(math.radians(latitude))
