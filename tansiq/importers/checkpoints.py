"""A partner's checkpoints from CSV: every row checked, every problem named by line and column.

Columns (a header on line 1, UTF-8 with or without a BOM, extra columns ignored):

    name               1-200 characters; (name, from) is a checkpoint's key within its owner
    unit               the unit that mans it, 1-200 characters
    lat | latitude     WGS84 degrees, in Iraq or near it
    lon | longitude    WGS84 degrees, in Iraq or near it
    from | valid_from  optional: an ISO date-time with a zone, or a date (the start of that day,
                       Iraq time); empty: open
    to | valid_to      optional, the same (a date: the end of that day); empty: open
    hours              optional: HH:MM-HH:MM, Iraq time (UTC+3); empty: round the clock
    kind               optional: fixed (the default) or mobile (temporary)
    tlp, releasable_to optional per-row marking; an empty cell takes the command's

The owner is the importing user's partner. The file is one batch: `read_checkpoints` checks
every row; the command adds what only the database knows (already registered, unknown partners)
and writes nothing unless there is no problem at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tansiq.domain.checkpoints import CheckpointDraft, parse_hours, parse_kind, parse_time
from tansiq.domain.markings import Tlp, parse_tlp
from tansiq.errors import ImportRejected, InvalidInput, RowError
from tansiq.importers import fields
from tansiq.importers.csvfile import CsvReader
from tansiq.importers.positions import codes

ALIASES: Mapping[str, tuple[str, ...]] = {
    "name": ("name",),
    "unit": ("unit",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude"),
    "from": ("from", "valid_from"),
    "to": ("to", "valid_to"),
    "hours": ("hours",),
    "kind": ("kind",),
    "tlp": ("tlp",),
    "releasable_to": ("releasable_to",),
}
_REQUIRED = ("name", "unit", "lat", "lon")


@dataclass(frozen=True, slots=True)
class Defaults:
    """What the command says: whose checkpoints these are, and the marking of rows without one."""

    partner: str
    tlp: Tlp = Tlp.AMBER
    releasable_to: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    draft: CheckpointDraft


@dataclass(slots=True)
class Checked:
    """A file's good rows and every problem of its bad ones, in line order."""

    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    releases: list[tuple[int, frozenset[str]]] = field(default_factory=list)
    """The partners each row is released to, good row or bad, by line: an unknown one is
    reported for a bad row too."""


def read_checkpoints(path: Path, defaults: Defaults) -> Checked:
    """Every row of the file checked; a problem with the file as a whole (not UTF-8 CSV, a
    missing column) raises ImportRejected at once."""
    checked = Checked()
    with CsvReader(path, ()) as reader:
        header = list(reader.header)
        columns = _columns(str(path), [name.strip().lower() for name in header])
        for line, cells in reader:
            found = _row(line, cells, columns, defaults, header, checked.releases)
            if isinstance(found, Row):
                checked.rows.append(found)
            else:
                checked.errors.extend(found)
    checked.errors.extend(_duplicates(checked.rows, header, columns))
    checked.errors.sort(key=lambda e: e.line)
    return checked


def _columns(path: str, header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    problems = []
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
    defaults: Defaults,
    header: Sequence[str],
    releases: list[tuple[int, frozenset[str]]],
) -> Row | list[RowError]:
    """One row as a draft, or every reason it is bad, each named by the file's column."""
    if all(not cell.strip() for cell in cells):
        return []  # a row of empty cells (a spreadsheet's trailing commas) is nothing
    if len(cells) != len(header):
        return [fields.wrong_width(line, len(cells), len(header))]

    def column(name: str) -> str:
        return header[columns[name]] if name in columns else name

    values: dict[str, Any] = {}
    errors = []
    for name, check in _checks(defaults).items():
        try:
            values[name] = check(cells[columns[name]] if name in columns else "")
        except (ValueError, InvalidInput) as error:
            errors.append(RowError(line, column(name), _reason(error)))
    if "releasable_to" in values:
        releases.append((line, values["releasable_to"]))
    if errors:
        return errors
    try:
        return Row(line, _draft(defaults.partner, values))
    except InvalidInput as error:  # what only the cells together can break: the period, a point
        named = str(error).partition(":")[0]
        return [RowError(line, column(named if named in ALIASES else "to"), _reason(error))]


def _reason(error: Exception) -> str:
    """The message without the leading 'field: ' the domain puts there (the column names it)."""
    text = str(error)
    head, colon, rest = text.partition(": ")
    return rest if colon and head in ALIASES else text


def _checks(defaults: Defaults) -> dict[str, Callable[[str], object]]:
    return {
        "name": fields.required_text(200),
        "unit": fields.required_text(200),
        "lat": fields.latitude,
        "lon": fields.longitude,
        "from": lambda text: parse_time(text, "from") if text.strip() else None,
        "to": lambda text: parse_time(text, "to", end_of_day=True) if text.strip() else None,
        "hours": parse_hours,
        "kind": parse_kind,
        "tlp": lambda text: parse_tlp(text) if text.strip() else defaults.tlp,
        "releasable_to": lambda text: codes(text) if text.strip() else defaults.releasable_to,
    }


def _draft(partner: str, values: Mapping[str, Any]) -> CheckpointDraft:
    return CheckpointDraft(
        partner=partner,
        unit=values["unit"],
        name=values["name"],
        latitude=values["lat"],
        longitude=values["lon"],
        valid_from=values["from"],
        valid_to=values["to"],
        hours=values["hours"],
        kind=values["kind"],
        tlp=values["tlp"],
        releasable_to=values["releasable_to"],
    )


def _duplicates(
    rows: Sequence[Row], header: Sequence[str], columns: Mapping[str, int]
) -> list[RowError]:
    """A (name, from) given twice: the later rows are errors, naming the first line."""
    first: dict[tuple[str, object], int] = {}
    errors = []
    for row in rows:
        at = first.setdefault((row.draft.name.strip(), row.draft.valid_from), row.line)
        if at != row.line:
            reason = f"{fields.shown(row.draft.name)} from the same time is also on line {at}"
            errors.append(RowError(row.line, header[columns["name"]], reason))
    return errors


def rejected(path: str, errors: Sequence[RowError], shown: int) -> ImportRejected:
    """ImportRejected naming the first `shown` problems in line order, counting bad rows."""
    ordered = sorted(errors, key=lambda e: e.line)
    return ImportRejected(path, ordered[:shown], len({e.line for e in errors}))
