"""Incidents: something that happened at a place and time, from a dataset, report or partner."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tansiq.domain.areas import AreaLevel
from tansiq.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class IncidentDraft:
    """An incident as read from a source row, before it is placed on the map.

    `line` is the row's line number in its file, kept so that every later rejection (for
    example a point far outside Iraq) can still name the line.
    """

    source: str
    source_id: str
    line: int
    date_start: date
    date_end: date
    latitude: float
    longitude: float
    precision: int | None
    place: str
    incident_type: str
    sub_type: str
    actor1: str
    actor2: str
    fatalities: int | None
    headline: str
    source_detail: str


def row_digest(cells: Sequence[str]) -> str:
    """A digest of an upstream row's cells: what an incident's `content_hash` holds.

    Re-importing a row with the same cells changes nothing; any changed cell means upstream
    corrected the event, and the incident is updated. (Cells, not parsed fields: hashing the
    text is five times cheaper, and a million-row import does it a million times.)
    """
    return hashlib.blake2b("\x1f".join(cells).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, in the keys the CLI's `--json` prints."""

    read: int
    imported: int
    updated: int
    unchanged: int
    rejected: int

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which incidents a viewer asks for. Dates are inclusive; `area` is a COD pcode."""

    area: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    disputed_only: bool = False

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput(
                f"the date range is empty: from {self.date_from} is after to {self.date_to}"
            )
        if self.area is not None:
            pcode_level(self.area)


_PCODE = re.compile(r"IQG\d{2}(?:Q\d{2}(?:N\d{2})?)?")


def pcode_level(pcode: str) -> AreaLevel:
    """The COD level of a pcode from its shape (IQG13, IQG13Q04, IQG13Q04N01)."""
    if not _PCODE.fullmatch(pcode):
        raise InvalidInput(f"not an area pcode: {pcode!r} (expected e.g. IQG13 or IQG13Q04)")
    return AreaLevel(1 + pcode[3:].count("Q") + pcode[3:].count("N"))
