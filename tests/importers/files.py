"""Test input files for the importers, built from the shipped UCDP rows or synthetic ACLED rows."""

from __future__ import annotations

import csv
from pathlib import Path

from tansiq.domain.incidents import IncidentDraft
from tansiq.importers.pipeline import Rejected, SourceName, read_batches
from tests.conftest import SHIPPED_UCDP


def shipped_ucdp(count: int) -> tuple[list[str], list[str], list[list[str]]]:
    """The shipped GED file's header, HXL row and first `count` data rows."""
    with SHIPPED_UCDP.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, hxl = next(reader), next(reader)
        rows = [row for _, row in zip(range(count), reader, strict=False)]
    return header, hxl, rows


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    """`rows` (header first) as a CSV file."""
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def ucdp_file(path: Path, changes: dict[int, dict[str, str]] | None = None, count: int = 5) -> Path:
    """A GED file of `count` shipped rows; `changes[i]` overrides cells of data row i.

    The header is line 1 and the HXL row line 2, so data row i is on line i + 3.
    """
    header, hxl, rows = shipped_ucdp(count)
    for number, cells in (changes or {}).items():
        for column, value in cells.items():
            rows[number][header.index(column)] = value
    return write_rows(path, [header, hxl, *rows])


ACLED_HEADER = [
    "event_id_cnty",
    "event_date",
    "year",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
]


def acled_row(**cells: str) -> list[str]:
    """A synthetic ACLED row (not a real event) at a real place, Hawija; override any cell."""
    values = {
        "event_id_cnty": "IRQ1",
        "event_date": "2020-03-05",
        "year": "2020",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "actor1": "Islamic State (Iraq)",
        "actor2": "Military Forces of Iraq",
        "admin1": "Kirkuk",
        "admin2": "Hawija",
        "location": "Al-Hawiga",
        "latitude": "35.3148",
        "longitude": "43.7601",
        "geo_precision": "1",
        "source": "Synthetic test source",
        "notes": "Synthetic test row.",
        "fatalities": "2",
    }
    values.update(cells)
    return [values[column] for column in ACLED_HEADER]


def read_all(path: Path, source: SourceName) -> tuple[list[IncidentDraft], list[Rejected]]:
    """Every draft and every rejected row of `path`, in file order."""
    drafts: list[IncidentDraft] = []
    rejected: list[Rejected] = []
    for batch in read_batches(path, source, batch_rows=1000):
        drafts.extend(batch.drafts)
        rejected.extend(batch.rejected)
    return drafts, rejected


def errors_of(path: Path, source: SourceName) -> list[tuple[int, str]]:
    """(line, field) of every error in `path`."""
    _, rejected = read_all(path, source)
    return [(e.line, e.field) for r in rejected for e in r.errors]
