"""A partner's positions from a CSV file: every row checked, every problem named by line and field.

Columns (a header on line 1, UTF-8 with or without a BOM, extra columns ignored):

    partner            the owner's partner code (may be left out when the command names one)
    kind               checkpoint, observation-post, base, patrol, border-post
    name               1-200 characters; (partner, name) is the position's natural key
    lat | latitude     WGS84 degrees
    lon | longitude    WGS84 degrees
    radius_m | coverage_radius_m    coverage in metres, 0 to 200,000
    active_from, active_to          optional: YYYY-MM-DD (a whole UTC day: from its start,
                                    to its end) or an ISO date-time with a zone (Z, +03:00)
    tlp, releasable_to              optional per-row marking; an empty cell takes the
                                    command's (default TLP:AMBER, released to nobody else)

The file is one batch: `read_positions` checks every row and returns the good ones with every
problem of the others; the command adds `unknown_partners` (asked inside the write) and writes
nothing unless there is no problem at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import cast

from tansiq.domain.markings import Tlp, parse_tlp
from tansiq.domain.positions import MAX_RADIUS_M, PositionDraft, PositionKind, parse_kind
from tansiq.errors import ImportRejected, InvalidInput, RowError
from tansiq.importers import fields
from tansiq.importers.csvfile import CsvReader

ALIASES: Mapping[str, tuple[str, ...]] = {
    "partner": ("partner",),
    "kind": ("kind",),
    "name": ("name",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude"),
    "radius_m": ("radius_m", "coverage_radius_m"),
    "active_from": ("active_from",),
    "active_to": ("active_to",),
    "tlp": ("tlp",),
    "releasable_to": ("releasable_to",),
}
"""Each field and the header names it may have; the first four fields but partner are required."""

_REQUIRED = ("kind", "name", "lat", "lon", "radius_m")
_END_OF_DAY = time(23, 59, 59, tzinfo=UTC)
_CODES = re.compile(r"[\s,;]+")


@dataclass(frozen=True, slots=True)
class Defaults:
    """What the command line says for rows that do not: the partner and the marking."""

    partner: str | None = None
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    """A good row: the draft and the line it came from."""

    line: int
    draft: PositionDraft


@dataclass(frozen=True, slots=True)
class Named:
    """The partners a row names, good row or bad: its owner (None if unreadable) and those it
    is released to."""

    line: int
    partner: str | None
    releasable_to: frozenset[str]


@dataclass(frozen=True, slots=True)
class Checked:
    """A file's good rows, every problem of its bad ones (in line order), and the partners
    every row names."""

    rows: list[Row]
    errors: list[RowError]
    named: list[Named]


def read_positions(path: Path, defaults: Defaults) -> Checked:
    """Every row of the file checked; a problem with the file as a whole (not UTF-8 CSV, a
    missing column) raises ImportRejected at once."""
    checked = Checked([], [], [])
    with CsvReader(path, ()) as reader:
        header = [name.lower() for name in reader.header]
        columns = _columns(str(path), header, defaults)
        for line, cells in reader:
            parsed, values = _row(line, cells, columns, defaults, reader.header)
            if isinstance(parsed, Row):
                checked.rows.append(parsed)
            else:
                checked.errors.extend(parsed)
            if values:
                checked.named.append(_named(line, values))
    checked.errors.extend(_duplicates(checked.rows))
    checked.errors.sort(key=lambda e: e.line)
    return checked


def _named(line: int, values: Mapping[str, object]) -> Named:
    partner = values.get("partner")
    releasable_to = values.get("releasable_to")
    return Named(
        line,
        partner if isinstance(partner, str) else None,
        releasable_to if isinstance(releasable_to, frozenset) else frozenset(),
    )


def rejected(path: str, errors: Sequence[RowError], shown: int) -> ImportRejected:
    """ImportRejected naming the first `shown` problems in line order, counting bad rows."""
    ordered = sorted(errors, key=lambda e: e.line)
    return ImportRejected(path, ordered[:shown], len({e.line for e in errors}))


def _columns(path: str, header: Sequence[str], defaults: Defaults) -> dict[str, int]:
    """Each field's column index; ImportRejected on line 1 for a missing or doubled field."""
    found: dict[str, int] = {}
    problems: list[RowError] = []
    for name, aliases in ALIASES.items():
        present = [alias for alias in aliases if alias in header]
        if len(present) > 1 or any(header.count(a) > 1 for a in present):
            problems.append(RowError(1, "header", f"{name} given twice: {', '.join(present)}"))
        elif present:
            found[name] = header.index(present[0])
    needed = (*_REQUIRED, *(() if defaults.partner else ("partner",)))
    missing = ["/".join(ALIASES[n]) for n in needed if n not in found]
    if missing:
        problems.append(RowError(1, "header", f"missing required column(s): {', '.join(missing)}"))
    if problems:
        raise ImportRejected(path, problems, 1)
    return found


def _row(
    line: int,
    cells: Sequence[str],
    columns: Mapping[str, int],
    defaults: Defaults,
    header: Sequence[str],
) -> tuple[Row | list[RowError], dict[str, object]]:
    """One row as a draft, or every reason it is bad, each named by the file's column; and the
    values of the cells that were good."""
    if all(not cell.strip() for cell in cells):
        return [], {}  # a row of empty cells (a spreadsheet's trailing commas) is nothing
    if len(cells) != len(header):
        return [fields.wrong_width(line, len(cells), len(header))], {}
    values: dict[str, object] = {}
    errors = []
    for name, check in _checks(defaults).items():
        text = cells[columns[name]] if name in columns else ""
        try:
            values[name] = check(text)
        except (ValueError, InvalidInput) as error:
            column = header[columns[name]] if name in columns else name
            errors.append(RowError(line, column, str(error)))
    if errors:
        return errors, values
    try:
        return Row(line, _draft(values)), values
    except InvalidInput as error:  # what only the fields together can break: the period
        column = header[columns["active_to"]] if "active_to" in columns else "active_to"
        return [RowError(line, column, str(error))], values


def _checks(defaults: Defaults) -> dict[str, Callable[[str], object]]:
    return {
        "partner": _partner(defaults.partner),
        "kind": parse_kind_cell,
        "name": fields.required_text(200),
        "lat": fields.latitude,
        "lon": fields.longitude,
        "radius_m": radius_m,
        "active_from": moment(start=True),
        "active_to": moment(start=False),
        "tlp": lambda text: parse_tlp(text) if text.strip() else defaults.tlp,
        "releasable_to": lambda text: codes(text) if text.strip() else defaults.releasable_to,
    }


def _draft(values: Mapping[str, object]) -> PositionDraft:
    return PositionDraft(
        partner=cast(str, values["partner"]),
        kind=cast(PositionKind, values["kind"]),
        name=cast(str, values["name"]),
        latitude=cast(float, values["lat"]),
        longitude=cast(float, values["lon"]),
        coverage_radius_m=cast(float, values["radius_m"]),
        active_from=cast(datetime | None, values["active_from"]),
        active_to=cast(datetime | None, values["active_to"]),
        tlp=cast(Tlp, values["tlp"]),
        releasable_to=cast(frozenset[str], values["releasable_to"]),
    )


def _partner(default: str | None) -> Callable[[str], str]:
    """The row's partner: its cell, or the command's; a cell naming another partner than the
    command's is an error (the command says whose file this is)."""

    def convert(text: str) -> str:
        value = text.strip()
        if default is not None and value and value != default:
            raise ValueError(f"{fields.shown(value)} but the command says --partner {default}")
        if not (value or default):
            raise ValueError("missing")
        return value or str(default)

    return convert


def parse_kind_cell(text: str) -> PositionKind:
    if not text.strip():
        raise ValueError("missing")
    return parse_kind(text)


def radius_m(text: str) -> float:
    """A coverage radius in metres, 0 to MAX_RADIUS_M."""
    try:
        value = float(text)
    except ValueError:
        reason = f"not a number: {fields.shown(text)}" if text.strip() else "missing"
        raise ValueError(reason) from None
    if not 0.0 <= value <= MAX_RADIUS_M:  # also False for NaN
        raise ValueError(
            f"must be 0 to {MAX_RADIUS_M:,.0f} metres (kilometres given?): {fields.shown(text)}"
        )
    return value


def moment(start: bool) -> Callable[[str], datetime | None]:
    """An optional instant: a date is the start (or the end) of that UTC day; a date-time needs
    a zone, since a position's period on a watch floor in Baghdad must not shift by 3 hours."""

    def convert(text: str) -> datetime | None:
        value = text.strip()
        if not value:
            return None
        if len(value) == 10:
            day = _date(value)
            return datetime.combine(day, time(tzinfo=UTC) if start else _END_OF_DAY)
        try:
            found = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise ValueError(f"not an ISO date or date-time: {fields.shown(text)}") from None
        if found.tzinfo is None:
            raise ValueError(f"a date-time needs a zone (Z or +03:00): {fields.shown(text)}")
        return found.astimezone(UTC)

    return convert


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {fields.shown(value)}") from None


def codes(text: str) -> frozenset[str]:
    """Partner codes separated by spaces, commas or semicolons."""
    return frozenset(code for code in _CODES.split(text.strip()) if code)


def _duplicates(rows: Sequence[Row]) -> list[RowError]:
    """A (partner, name) given twice: the later rows are errors, naming the first line."""
    first: dict[tuple[str, str], int] = {}
    errors = []
    for row in rows:
        key = (row.draft.partner, row.draft.name)
        at = first.setdefault(key, row.line)
        if at != row.line:
            reason = f"{fields.shown(row.draft.name)} of {row.draft.partner} is also on line {at}"
            errors.append(RowError(row.line, "name", reason))
    return errors


def unknown_partners(named: Sequence[Named], known: Iterable[str]) -> list[RowError]:
    """Rows naming a partner the node does not know, as owner or recipient (nothing is
    created: a typo must not become a new partner that positions are released to)."""
    have = set(known)
    errors = []
    for row in named:
        if row.partner is not None and row.partner not in have:
            errors.append(RowError(row.line, "partner", _unknown(row.partner)))
        for code in sorted(row.releasable_to - have):
            errors.append(RowError(row.line, "releasable_to", _unknown(code)))
    return errors


def _unknown(code: str) -> str:
    return f"unknown partner {fields.shown(code)}: add it with `tansiq partners add`"
