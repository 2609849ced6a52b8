"""Border observations from a CSV file: every row checked and placed, every problem named by
line and column.

Columns (a header on line 1, UTF-8 with or without a BOM, extra columns ignored):

    kind               crossing-attempt, sensor-alert, patrol-report
    lat | latitude     WGS84 degrees, within 15 km of the Iraq-Syria line
    lon | longitude    WGS84 degrees
    observed_at        an ISO date-time with a zone (2026-11-25T03:10:00Z, +03:00)
    text               optional
    ref                optional: the observation's id at its source (a row whose ref is
                       already stored for the partner is not stored again)
    tlp, releasable_to optional per-row marking; an empty cell takes TLP:AMBER, released to
                       nobody else

The partner is the importing user's. The file is one batch: nothing is stored unless every row
is good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from tansiq.domain.border import ObservationDraft, ObservationSource
from tansiq.domain.markings import Tlp, parse_tlp
from tansiq.errors import ImportRejected, InvalidInput, RowError
from tansiq.importers.csvfile import CsvReader

ALIASES: Mapping[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude"),
    "observed_at": ("observed_at",),
    "text": ("text",),
    "ref": ("ref", "source_ref"),
    "tlp": ("tlp",),
    "releasable_to": ("releasable_to",),
}
_REQUIRED = ("kind", "lat", "lon", "observed_at")
_CODES = re.compile(r"[\s,;]+")

T = TypeVar("T")

Place = Callable[[float, float], tuple[str, float]]
"""(lat, lon) -> (sector id, metres from the line), or InvalidInput."""


@dataclass(frozen=True, slots=True)
class Placed:
    line: int
    draft: ObservationDraft
    sector: str
    distance_m: float


def read_observations(
    path: Path, partner: str, place: Place, known: frozenset[str]
) -> tuple[list[Placed], list[RowError]]:
    """Every row checked and placed; the good rows and every problem of the others."""
    good: list[Placed] = []
    errors: list[RowError] = []
    with CsvReader(path, ()) as reader:
        columns = _columns(str(path), [name.lower() for name in reader.header])
        for line, cells in reader:
            found = _row(line, cells, columns, partner, place, known)
            if isinstance(found, Placed):
                good.append(found)
            else:
                errors.extend(found)
    return good, errors


def _columns(path: str, header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    problems: list[RowError] = []
    for name, aliases in ALIASES.items():
        present = [alias for alias in aliases if alias in header]
        if len(present) > 1 or any(header.count(a) > 1 for a in present):
            problems.append(RowError(1, "header", f"{name} given twice: {', '.join(present)}"))
        elif present:
            found[name] = header.index(present[0])
    missing = ["/".join(ALIASES[n]) for n in _REQUIRED if n not in found]
    if missing:
        problems.append(RowError(1, "header", f"missing required column(s): {', '.join(missing)}"))
    if problems:
        raise ImportRejected(path, problems, 1)
    return found


def _row(
    line: int,
    cells: Sequence[str],
    columns: Mapping[str, int],
    partner: str,
    place: Place,
    known: frozenset[str],
) -> Placed | list[RowError]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    errors: list[RowError] = []

    def check(name: str, parse: Callable[[str], T], default: T) -> T:
        try:
            return parse(cell(name))
        except (InvalidInput, ValueError) as exc:
            errors.append(RowError(line, name, str(exc)))
            return default

    latitude = check("lat", lambda t: _number(t, -90, 90), 0.0)
    longitude = check("lon", lambda t: _number(t, -180, 180), 0.0)
    observed_at = check("observed_at", _time, datetime.min)
    tlp = check("tlp", lambda t: parse_tlp(t) if t else Tlp.AMBER, Tlp.AMBER)
    release = check("releasable_to", lambda t: _codes(t, known), frozenset[str]())
    if errors:
        return errors
    try:
        draft = ObservationDraft(
            kind=cell("kind"),
            latitude=latitude,
            longitude=longitude,
            observed_at=observed_at,
            partner=partner,
            source=ObservationSource.CSV.value,
            source_ref=cell("ref"),
            text=cell("text"),
            tlp=tlp,
            releasable_to=release,
        )
        sector, metres = place(latitude, longitude)
    except InvalidInput as exc:
        return [_row_error(line, str(exc))]
    return Placed(line, draft, sector, metres)


def _row_error(line: int, message: str) -> RowError:
    """The column an error names ("kind: ...", "lat/lon: ..."), else the row."""
    head, _, rest = message.partition(": ")
    if head in ("kind", "lat/lon", "text", "source_ref", "observed_at"):
        return RowError(line, "ref" if head == "source_ref" else head, rest)
    return RowError(line, "row", message)


def _number(text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{value} is not within {low} to {high}")
    return value


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO date-time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} has no time zone (add Z or +03:00)")
    return moment


def _codes(text: str, known: frozenset[str]) -> frozenset[str]:
    codes = frozenset(c for c in _CODES.split(text) if c)
    unknown = sorted(codes - known)
    if unknown:
        raise InvalidInput(f"unknown partner(s): {', '.join(unknown)}")
    return codes


def rejected(path: str, errors: Sequence[RowError], shown: int) -> ImportRejected:
    ordered = sorted(errors, key=lambda e: e.line)
    return ImportRejected(path, ordered[:shown], len({e.line for e in errors}))
