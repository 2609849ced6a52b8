"""ACLED (Armed Conflict Location & Event Data) rows, from its standard export, into drafts.

ACLED events are one-day events, so date_end is event_date. Older exports write the date as
"05 January 2020"; newer ones as "2020-01-05". geo_precision runs from 1 (exact) to 3 (region).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from tansiq.domain.incidents import IncidentDraft
from tansiq.errors import RowError
from tansiq.importers import fields
from tansiq.importers.fields import RowParser

SOURCE = "acled"

REQUIRED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "latitude",
    "longitude",
    "geo_precision",
    "location",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities",
    "notes",
    "source",
)
"""The columns read; admin1/admin2 and the rest of the export are allowed but not needed."""

_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES.split(), start=1)}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})", re.ASCII)

INCIDENT_TYPE_CHARS = 80  # incidents.incident_type is VARCHAR(80)


def event_date(text: str) -> date:
    """A required date, as YYYY-MM-DD or as ACLED's older "05 January 2020"."""
    if len(text) == 10 and text[4] == "-":
        try:
            return fields.iso_date(text)
        except ValueError:
            pass
    match = _DAY_MONTH_YEAR.fullmatch(text.strip())
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match and month:
        try:
            return date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            pass  # 31 February: same message as any other bad date
    problem = "not a date (YYYY-MM-DD or DD Month YYYY)"
    raise ValueError(f"{problem}: {fields.shown(text)}" if text.strip() else "missing")


geo_precision = fields.small_code(1, 3)
event_type = fields.required_text(INCIDENT_TYPE_CHARS)

CHECKS: tuple[fields.Check, ...] = (
    ("event_id_cnty", fields.text_id),
    ("event_date", event_date),
    ("latitude", fields.latitude),
    ("longitude", fields.longitude),
    ("geo_precision", geo_precision),
    ("event_type", event_type),
    ("fatalities", fields.count),
)
"""Every validated column; the other required columns are free text."""


def row_parser(header: Sequence[str]) -> RowParser:
    """A function turning one ACLED record (cells in `header` order) into a draft or its errors.

    Raises ValueError if `header` lacks a required column.
    """
    (i_id, i_date, i_lat, i_lon, i_prec, i_place, i_type, i_sub, i_a1, i_a2, i_dead, i_notes,
     i_source) = fields.column_indexes(header, REQUIRED_COLUMNS)  # fmt: skip
    checks = fields.bind(header, CHECKS)
    width = len(header)

    def parse(line: int, row: Sequence[str]) -> IncidentDraft | list[RowError]:
        if len(row) != width:
            return [fields.wrong_width(line, len(row), width)]
        try:
            day = event_date(row[i_date])
            return IncidentDraft(
                source=SOURCE,
                source_id=fields.text_id(row[i_id]),
                line=line,
                date_start=day,
                date_end=day,
                latitude=fields.latitude(row[i_lat]),
                longitude=fields.longitude(row[i_lon]),
                precision=geo_precision(row[i_prec]),
                place=row[i_place],
                incident_type=event_type(row[i_type]),
                sub_type=row[i_sub],
                actor1=row[i_a1],
                actor2=row[i_a2],
                fatalities=fields.count(row[i_dead]),
                headline=row[i_notes],
                source_detail=row[i_source],
            )
        except ValueError:
            return fields.row_errors(line, row, checks)

    return parse
