"""Cell validators shared by the importers, and the helpers that turn their failures into RowErrors.

A validator takes one cell's text and returns the value, or raises ValueError whose message is
the reason the user sees (plain, naming the bad value briefly). They run a million times per
big import, so the common case is a few C calls and no allocation beyond the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeAlias

from tansiq.domain.incidents import IncidentDraft
from tansiq.errors import RowError

Convert: TypeAlias = Callable[[str], object]
"""A validator: cell text -> value, or ValueError(reason)."""

Check: TypeAlias = tuple[str, Convert]
"""A column name and the validator its cells must pass."""

BoundCheck: TypeAlias = tuple[str, int, Convert]
"""A Check with the column's index in one file's header."""

RowParser: TypeAlias = Callable[[int, Sequence[str]], IncidentDraft | list[RowError]]
"""(line, cells in header order) -> the draft, or every reason the row is bad."""

SHOWN_CHARS = 40
INT32_MAX = 2**31 - 1  # incidents.fatalities is a 32-bit INTEGER on PostgreSQL
SOURCE_ID_CHARS = 64  # incidents.source_id is VARCHAR(64)


def shown(value: str) -> str:
    """`value` quoted for an error message, cut to SHOWN_CHARS so a bad row cannot flood it."""
    if len(value) > SHOWN_CHARS:
        value = value[:SHOWN_CHARS] + "…"
    return repr(value)


def _reason(text: str, problem: str) -> str:
    return f"{problem}: {shown(text)}" if text.strip() else "missing"


def column_indexes(header: Sequence[str], columns: Sequence[str]) -> list[int]:
    """The index of each of `columns` in `header` (its first occurrence)."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"missing required column(s): {', '.join(missing)}")
    return [header.index(c) for c in columns]


def bind(header: Sequence[str], checks: Sequence[Check]) -> list[BoundCheck]:
    """`checks` with each column's index in `header`."""
    indexes = column_indexes(header, [column for column, _ in checks])
    return [(c, i, convert) for (c, convert), i in zip(checks, indexes, strict=True)]


def row_errors(line: int, row: Sequence[str], checks: Sequence[BoundCheck]) -> list[RowError]:
    """Every check the row fails; the slow path, run only for rows already known to be bad."""
    errors = []
    for column, index, convert in checks:
        try:
            convert(row[index])
        except ValueError as error:
            errors.append(RowError(line, column, str(error)))
    return errors


def wrong_width(line: int, cells: int, width: int) -> RowError:
    """The error for a row whose cell count differs from the header's (its columns shifted)."""
    return RowError(line, "row", f"has {cells} values; the header has {width} columns")


def end_before_start(line: int, column: str, end: date, start: date) -> RowError:
    return RowError(line, column, f"before the start date {start.isoformat()}: '{end.isoformat()}'")


def _digits(text: str) -> str | None:
    """The integer part of '8', ' 8 ' or '8.0' (spreadsheets write whole numbers so), else None."""
    whole, dot, fraction = text.strip().partition(".")
    if dot and fraction.strip("0"):
        return None
    # isdigit alone accepts '²' and Arabic-Indic digits; ids and counts are ASCII.
    return whole if whole.isdigit() and whole.isascii() else None


def integer_id(text: str) -> str:
    """A required integer id, normalised ('0114064.0' -> '114064') so one event has one id."""
    if text.isdigit() and text.isascii() and text[0] != "0" and len(text) <= SOURCE_ID_CHARS:
        return text  # already normal: the common case, without the int round trip
    digits = _digits(text)
    if digits is None or len(digits) > SOURCE_ID_CHARS:
        raise ValueError(_reason(text, "not a whole number"))
    return str(int(digits))


def text_id(text: str) -> str:
    """A required id of up to SOURCE_ID_CHARS characters, without surrounding spaces."""
    value = text.strip()
    if not value:
        raise ValueError("missing")
    if len(value) > SOURCE_ID_CHARS:
        raise ValueError(_reason(text, f"longer than {SOURCE_ID_CHARS} characters"))
    return value


def required_text(limit: int) -> Callable[[str], str]:
    """A validator for a required label of at most `limit` characters, spaces stripped."""

    def convert(text: str) -> str:
        value = text.strip()
        if not value:
            raise ValueError("missing")
        if len(value) > limit:
            raise ValueError(_reason(text, f"longer than {limit} characters"))
        return value

    return convert


def count(text: str) -> int:
    """A required non-negative whole number that fits the database's INTEGER."""
    if len(text) < 10 and text.isdigit() and text.isascii():
        return int(text)  # the common case; under 10 digits always fits
    digits = _digits(text)
    if digits is not None and len(digits) <= 10 and int(digits) <= INT32_MAX:
        return int(digits)
    raise ValueError(_count_reason(text))


def optional_count(text: str) -> int | None:
    """A non-negative whole number, or None for an empty cell."""
    if len(text) < 10 and text.isdigit() and text.isascii():
        return int(text)
    return count(text) if text.strip() else None


def _count_reason(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("-") and _digits(stripped[1:]) is not None:
        return f"negative: {shown(text)}"
    if _digits(text) is not None:
        return f"too large: {shown(text)}"
    return _reason(text, "not a whole number")


def small_code(low: int, high: int) -> Callable[[str], int | None]:
    """A validator for an optional whole number in [low, high] (a precision code)."""
    codes: dict[str, int | None] = {str(n): n for n in range(low, high + 1)}
    codes[""] = None

    def convert(text: str) -> int | None:
        try:
            return codes[text]  # the common case: '1' ... '7' or ''
        except KeyError:
            pass
        if not text.strip():
            return None
        digits = _digits(text)
        if digits is None:
            raise ValueError(_reason(text, "not a whole number"))
        if len(digits) <= 10 and low <= int(digits) <= high:
            return int(digits)
        raise ValueError(f"not between {low} and {high}: {shown(text)}")

    return convert


def iso_date(text: str) -> date:
    """A required date written YYYY-MM-DD (fromisoformat alone also takes '20140124')."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # '2014-02-30': same message as any other bad date
    stripped = text.strip()
    if stripped != text and stripped:
        return iso_date(stripped)
    raise ValueError(_reason(text, "not a date (YYYY-MM-DD)"))


def optional_iso_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None for an empty cell."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return iso_date(text) if text.strip() else None


def latitude(text: str) -> float:
    """A required latitude in degrees, in [-90, 90]."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(_reason(text, "not a number")) from None
    if -90.0 <= value <= 90.0:  # also False for NaN
        return value
    raise ValueError(_range_reason(text, value, 90))


def longitude(text: str) -> float:
    """A required longitude in degrees, in [-180, 180]."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(_reason(text, "not a number")) from None
    if -180.0 <= value <= 180.0:
        return value
    raise ValueError(_range_reason(text, value, 180))


def _range_reason(text: str, value: float, limit: int) -> str:
    if value != value:  # NaN
        return f"not a finite number: {shown(text)}"
    return f"out of range [-{limit}, {limit}]: {shown(text)}"
