"""Event files read for the forecast backtest: a UCDP GED or ACLED CSV as `EventArrays`.

Rows are parsed and validated by the importers' own parsers, so a file the backtest reads is a
file `tansiq import` would accept; any invalid row rejects the file (ImportRejected), as a
strict import does. Only events located better than a district are kept: UCDP `where_prec`
1-3 (exact place, near a place, second-order area) and ACLED `geo_precision` 1-2 (town, or
near a town / district); ACLED 3 (a region or province) is as coarse as UCDP 4 and is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from tansiq.analysis.events import EventArrays, day_number
from tansiq.errors import ImportRejected, InvalidInput, RowError
from tansiq.importers import acled, ucdp
from tansiq.importers.csvfile import CsvReader
from tansiq.importers.pipeline import SourceName, read_batches

MAX_PRECISION: Final[dict[SourceName, int]] = {"ucdp": 3, "acled": 2}
_COLUMNS: Final[dict[SourceName, tuple[str, ...]]] = {
    "ucdp": ucdp.REQUIRED_COLUMNS,
    "acled": acled.REQUIRED_COLUMNS,
}
_BATCH_ROWS: Final = 50_000
_SHOWN_ERRORS: Final = 10


def file_format(path: Path) -> SourceName:
    """ "ucdp" or "acled", from the file's header; InvalidInput when it is neither."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with CsvReader(path, ()) as reader:
        header = set(reader.header)
    for source, columns in _COLUMNS.items():
        if header.issuperset(columns):
            return source
    raise InvalidInput(f"{path}: unknown format: neither a UCDP GED nor an ACLED CSV export")


def read_event_file(path: Path) -> tuple[SourceName, EventArrays]:
    """The file's format and its events located better than a district."""
    source = file_format(path)
    latitude: list[float] = []
    longitude: list[float] = []
    day: list[int] = []
    deaths: list[int] = []
    errors: list[RowError] = []
    rejected = 0
    for batch in read_batches(path, source, _BATCH_ROWS):
        rejected += len(batch.rejected)
        errors.extend(e for r in batch.rejected[:_SHOWN_ERRORS] for e in r.errors)
        for draft in batch.drafts:
            if draft.precision is not None and draft.precision <= MAX_PRECISION[source]:
                latitude.append(draft.latitude)
                longitude.append(draft.longitude)
                day.append(day_number(draft.date_start))
                deaths.append(draft.fatalities or 0)
    if rejected:
        raise ImportRejected(str(path), errors[:_SHOWN_ERRORS], rejected)
    events = EventArrays(
        np.asarray(latitude, np.float64),
        np.asarray(longitude, np.float64),
        np.asarray(day, np.int32),
        np.asarray(deaths, np.int32),
    )
    return source, events
