"""UCDP Georeferenced Event Dataset (GED) rows, as exported by HDX, into incident drafts.

Codebook: Högbladh (2019), "UCDP GED Codebook version 19.1". Fatalities are `best`; actors are
`side_a`/`side_b`; `where_prec` runs from 1 (exact place) to 7 (country).
"""

from __future__ import annotations

from collections.abc import Sequence

from tansiq.domain.incidents import IncidentDraft
from tansiq.errors import RowError
from tansiq.importers import fields
from tansiq.importers.fields import (
    RowParser,
    integer_id,
    iso_date,
    latitude,
    longitude,
    optional_count,
    optional_iso_date,
)

SOURCE = "ucdp"

REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "date_start",
    "date_end",
    "latitude",
    "longitude",
    "where_prec",
    "where_coordinates",
    "type_of_violence",
    "dyad_name",
    "side_a",
    "side_b",
    "best",
    "source_headline",
    "source_office",
)

_VIOLENCE = {"1": "state-based", "2": "non-state", "3": "one-sided"}


def type_of_violence(text: str) -> str:
    """The UCDP type of violence (1, 2 or 3) as its name."""
    try:
        return _VIOLENCE[text.strip()]
    except KeyError:
        reason = f"not 1, 2 or 3: {fields.shown(text)}" if text.strip() else "missing"
        raise ValueError(reason) from None


where_prec = fields.small_code(1, 7)

CHECKS: tuple[fields.Check, ...] = (
    ("id", fields.integer_id),
    ("date_start", fields.iso_date),
    ("date_end", fields.optional_iso_date),
    ("latitude", fields.latitude),
    ("longitude", fields.longitude),
    ("where_prec", where_prec),
    ("type_of_violence", type_of_violence),
    ("best", fields.optional_count),
)
"""Every validated column; the other required columns are free text."""


def row_parser(header: Sequence[str]) -> RowParser:
    """A function turning one GED record (cells in `header` order) into a draft or its errors.

    Column indexes are looked up once here, so each row costs only the validators and the
    draft's construction. Raises ValueError if `header` lacks a required column.
    """
    (i_id, i_start, i_end, i_lat, i_lon, i_prec, i_place, i_type, i_dyad, i_a, i_b, i_best,
     i_headline, i_office) = fields.column_indexes(header, REQUIRED_COLUMNS)  # fmt: skip
    checks = fields.bind(header, CHECKS)
    width = len(header)

    def parse(line: int, row: Sequence[str]) -> IncidentDraft | list[RowError]:
        if len(row) != width:
            return [fields.wrong_width(line, len(row), width)]
        try:
            start = iso_date(row[i_start])
            end = optional_iso_date(row[i_end]) or start
            # Positional, in IncidentDraft's field order: keywords make it a third slower.
            draft = IncidentDraft(
                SOURCE,
                integer_id(row[i_id]),  # source_id
                line,
                start,
                end,
                latitude(row[i_lat]),
                longitude(row[i_lon]),
                where_prec(row[i_prec]),  # precision
                row[i_place],
                type_of_violence(row[i_type]),  # incident_type
                row[i_dyad],  # sub_type
                row[i_a],  # actor1
                row[i_b],  # actor2
                optional_count(row[i_best]),  # fatalities
                row[i_headline],
                row[i_office],  # source_detail
            )
        except ValueError:
            return _errors(line, row, checks, i_start, i_end)
        if end < start:
            return [fields.end_before_start(line, "date_end", end, start)]
        return draft

    return parse


def _errors(
    line: int, row: Sequence[str], checks: list[fields.BoundCheck], i_start: int, i_end: int
) -> list[RowError]:
    errors = fields.row_errors(line, row, checks)
    if not any(e.field in ("date_start", "date_end") for e in errors):
        start, end = fields.iso_date(row[i_start]), fields.optional_iso_date(row[i_end])
        if end is not None and end < start:
            errors.append(fields.end_before_start(line, "date_end", end, start))
    return errors
