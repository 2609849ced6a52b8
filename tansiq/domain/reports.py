"""Intelligence reports, cells and the comments partners attach to them, before they are STIX.

A report is text in Arabic, Kurdish or English with an Admiralty grade, a time, places and links
to cells and incidents. A cell is an armed group's local unit with names in several scripts.
Each is stored as immutable STIX versions (tansiq.sharing.stix builds them); these drafts are
what a user asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tansiq.domain.grading import Grade
from tansiq.errors import InvalidInput

LANGUAGES = ("ar", "ku", "en")
"""Arabic, Kurdish (Sorani or Kurmanji; ISO 639-1 `ku`), English."""

MAX_TITLE = 300
MAX_TEXT = 100_000


class Role(StrEnum):
    ANALYST = "analyst"
    WATCH = "watch"
    APPROVER = "approver"
    ADMIN = "admin"
    PEER = "peer"
    """A partner node's sync account: reads what is released to its partner, writes the inbox."""


WRITERS = frozenset({Role.ANALYST, Role.APPROVER, Role.ADMIN})
"""Roles that may create, edit, mark and withdraw their own partner's objects."""


@dataclass(frozen=True, slots=True)
class Place:
    latitude: float
    longitude: float
    name: str = ""

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise InvalidInput(f"bad place {self.latitude},{self.longitude}: not a WGS84 point")


@dataclass(frozen=True, slots=True)
class PlacedPlace:
    """A place with the areas it falls in (None outside Iraq's sub-districts)."""

    place: Place
    adm1_pcode: str | None
    adm2_pcode: str | None
    adm3_pcode: str | None
    governorate_en: str | None
    disputed: bool


@dataclass(frozen=True, slots=True)
class ReportDraft:
    title: str
    text: str
    published: datetime
    lang: str = "en"
    grade: Grade | None = None
    places: tuple[PlacedPlace, ...] = ()
    cell_ids: tuple[str, ...] = ()
    incident_ids: tuple[str, ...] = ()
    """Stored incidents the report is about, as SOURCE:ID (e.g. ucdp:12345)."""

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise InvalidInput("a report needs a title")
        if len(self.title) > MAX_TITLE or len(self.text) > MAX_TEXT:
            raise InvalidInput(f"title over {MAX_TITLE} or text over {MAX_TEXT} characters")
        if self.lang not in LANGUAGES:
            raise InvalidInput(f"unknown language {self.lang!r}; use one of {LANGUAGES}")
        if self.published.tzinfo is None:
            raise InvalidInput("a report's time needs a time zone")


@dataclass(frozen=True, slots=True)
class CellDraft:
    name: str
    aliases: tuple[str, ...] = field(default=())
    area_pcode: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a cell needs a name")
