"""Event files read for the forecast backtest: UCDP GED or ACLED CSVs as `EventArrays`.

Rows are parsed and validated by the importers' own parsers, so a file the backtest reads is a
file `tansiq import` would accept; any invalid row rejects the file (ImportRejected), as a
strict import does. A third format, `ucdp-points`, is a GED extract with only the columns the
forecast needs (id, date_start, latitude, longitude, where_prec, best; the shared COD join
table is one), checked by the same GED validators.

Only events located better than a district are kept: UCDP `where_prec` 1-3 (exact place, near
a place, second-order area) and ACLED `geo_precision` 1-2 (town, or near a town / district);
ACLED 3 (a region or province) is as coarse as UCDP 4 and is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

import numpy as np

from tansiq.analysis.events import EventArrays, day_number
from tansiq.errors import ImportRejected, InvalidInput, RowError
from tansiq.importers import acled, fields, ucdp
from tansiq.importers.csvfile import CsvReader
from tansiq.importers.pipeline import read_batches

EventFormat = Literal["ucdp", "acled", "ucdp-points"]

MAX_PRECISION: Final[dict[EventFormat, int]] = {"ucdp": 3, "acled": 2, "ucdp-points": 3}
_POINT_COLUMNS: Final = ("id", "date_start", "latitude", "longitude", "where_prec", "best")
_COLUMNS: Final[dict[EventFormat, tuple[str, ...]]] = {
    "ucdp": ucdp.REQUIRED_COLUMNS,
    "acled": acled.REQUIRED_COLUMNS,
    "ucdp-points": _POINT_COLUMNS,
}
_BATCH_ROWS: Final = 50_000
_SHOWN_ERRORS: Final = 10

Point = tuple[float, float, int, int, int | None]
"""latitude, longitude, day number, deaths, precision code."""


def file_format(path: Path) -> EventFormat:
    """The file's format, from its header; InvalidInput when it is none of them."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with CsvReader(path, ()) as reader:
        header = set(reader.header)
    for source, columns in _COLUMNS.items():
        if header.issuperset(columns):
            return source
    raise InvalidInput(
        f"{path}: unknown format: not a UCDP GED export, a GED extract with "
        f"{', '.join(_POINT_COLUMNS)}, or an ACLED export"
    )


def read_event_file(path: Path) -> tuple[EventFormat, EventArrays]:
    """The file's format and its events located better than a district."""
    source = file_format(path)
    errors: list[RowError] = []
    rejected = 0
    kept: list[Point] = []
    points = _ucdp_points(path) if source == "ucdp-points" else _drafts(path, source)
    for point in points:
        if isinstance(point, list):
            rejected += 1
            if len(errors) < _SHOWN_ERRORS:
                errors.extend(point)
        elif point[4] is not None and point[4] <= MAX_PRECISION[source]:
            kept.append(point)
    if rejected:
        raise ImportRejected(str(path), errors[:_SHOWN_ERRORS], rejected)
    lat, lon, day, deaths, _ = zip(*kept, strict=True) if kept else ((),) * 5
    return source, EventArrays(
        np.asarray(lat, np.float64),
        np.asarray(lon, np.float64),
        np.asarray(day, np.int32),
        np.asarray(deaths, np.int32),
    )


def _drafts(path: Path, source: Literal["ucdp", "acled"]) -> Iterator[Point | list[RowError]]:
    """A GED or ACLED export through the importer's parser: each row's point or its errors."""
    for batch in read_batches(path, source, _BATCH_ROWS):
        for bad in batch.rejected:
            yield bad.errors
        for d in batch.drafts:
            yield d.latitude, d.longitude, day_number(d.date_start), d.fatalities or 0, d.precision


def _ucdp_points(path: Path) -> Iterator[Point | list[RowError]]:
    """A slim GED extract, each cell checked by the GED importer's validator for its column."""
    checks = [(c, check) for c, check in ucdp.CHECKS if c in _POINT_COLUMNS]
    with CsvReader(path, _POINT_COLUMNS) as reader:
        i_id, i_start, i_lat, i_lon, i_prec, i_best = fields.column_indexes(
            reader.header, _POINT_COLUMNS
        )
        bound = fields.bind(reader.header, checks)
        width = len(reader.header)
        for line, row in reader:
            if len(row) != width:
                yield [fields.wrong_width(line, len(row), width)]
                continue
            try:
                fields.integer_id(row[i_id])
                yield (
                    fields.latitude(row[i_lat]),
                    fields.longitude(row[i_lon]),
                    day_number(fields.iso_date(row[i_start])),
                    fields.optional_count(row[i_best]) or 0,
                    ucdp.where_prec(row[i_prec]),
                )
            except ValueError:
                yield fields.row_errors(line, row, bound)
