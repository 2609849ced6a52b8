"""Incidents: something that happened at a place and time, from a dataset, report or partner."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from datetime import date


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

    def content_hash(self) -> str:
        """A digest of everything upstream said about the event (not of where it was read).

        Re-importing a row with the same digest changes nothing; a changed digest means the
        upstream row changed and the incident is updated.
        """
        fields = astuple(self)[:2] + astuple(self)[3:]
        return hashlib.blake2b(repr(fields).encode(), digest_size=16).hexdigest()


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
