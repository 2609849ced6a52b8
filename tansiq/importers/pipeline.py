"""From an incident file to rows for the store, a batch at a time.

`read_batches` parses and validates; `place_batch` puts a batch's drafts on the map with one
vectorised call to the geo locator and turns them into `incidents` rows. Each draft keeps its
raw cells beside it, so a row rejected late (too far outside Iraq) can still be written to the
rejects file with its original values.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from tansiq.domain.incidents import IncidentDraft, row_digest
from tansiq.errors import InvalidInput, RowError
from tansiq.importers import acled, ucdp
from tansiq.importers.csvfile import CsvReader
from tansiq.importers.fields import RowParser
from tansiq.store.schema import INCIDENT_WRITE_COLUMNS

SourceName = Literal["ucdp", "acled"]

Raw = tuple[str, ...]
"""An input row's cells as read, in header order."""

_FORMATS: dict[str, tuple[Sequence[str], Callable[[Sequence[str]], RowParser]]] = {
    "ucdp": (ucdp.REQUIRED_COLUMNS, ucdp.row_parser),
    "acled": (acled.REQUIRED_COLUMNS, acled.row_parser),
}


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input row that will not be stored: every reason (at least one), and its original cells."""

    errors: list[RowError]
    raw: Sequence[str]

    @property
    def line(self) -> int:
        return self.errors[0].line


@dataclass(slots=True)
class Batch:
    """Consecutive rows of one file: the valid ones as drafts (with their raw cells, same order)
    and the invalid ones as Rejected."""

    header: list[str]
    drafts: list[IncidentDraft] = field(default_factory=list)
    raws: list[Raw] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.drafts) + len(self.rejected)


def read_batches(path: Path, source: SourceName, batch_rows: int) -> Iterator[Batch]:
    """The rows of `path`, parsed and validated, in batches of `batch_rows` input rows.

    Raises ImportRejected when the file as a whole is unusable (not UTF-8 CSV, missing
    columns). The header is checked before the first batch, but a bad byte or broken quoting
    further down is found only when reached, after earlier batches have been yielded: a caller
    that stores batches must be ready to undo them. Rows whose cells are all empty are skipped.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    if source not in _FORMATS:
        raise InvalidInput(f"unknown source {source!r}; expected one of {', '.join(_FORMATS)}")
    required, make_parser = _FORMATS[source]
    with CsvReader(path, required) as reader:
        parse = make_parser(reader.header)
        batch = Batch(reader.header)
        for line, cells in reader:
            result = parse(line, cells)
            # Tuples of str drop out of the garbage collector's sight; lists of a million rows
            # made full collections a third of the import time.
            if isinstance(result, IncidentDraft):
                batch.drafts.append(result)
                batch.raws.append(tuple(cells))
            elif any(cells):  # a spreadsheet's trailing ",,,," row is no event
                batch.rejected.append(Rejected(result, tuple(cells)))
            if len(batch.drafts) + len(batch.rejected) >= batch_rows:
                yield batch
                batch = Batch(reader.header)
        if batch.rows_read:
            yield batch


class LocatedPoints(Protocol):
    """Where the geo locator put each point of a batch."""

    @property
    def subdistrict_index(self) -> npt.NDArray[np.integer[Any]]: ...

    @property
    def outside_km(self) -> npt.NDArray[np.floating[Any]]:
        """Distance outside Iraq; 0 inside."""
        ...


class Locator(Protocol):
    """The part of tansiq.geo.locator the importers use: per-subdistrict arrays and a
    vectorised lookup whose subdistrict_index indexes them."""

    @property
    def adm1_pcode(self) -> npt.NDArray[np.object_]: ...
    @property
    def adm2_pcode(self) -> npt.NDArray[np.object_]: ...
    @property
    def adm3_pcode(self) -> npt.NDArray[np.object_]: ...
    @property
    def disputed(self) -> npt.NDArray[np.bool_]: ...
    @property
    def kurdistan_region(self) -> npt.NDArray[np.bool_]: ...
    @property
    def syria_border_district(self) -> npt.NDArray[np.bool_]: ...

    def locate_many(
        self, latitudes: npt.NDArray[np.float64], longitudes: npt.NDArray[np.float64]
    ) -> LocatedPoints: ...


@dataclass(frozen=True, slots=True)
class PlacedBatch:
    """A batch ready for the store: `rows` are tuples in INCIDENT_WRITE_COLUMNS order (tuples
    because they cross a process pipe and go to executemany by the hundred thousand);
    `rejected` holds the drafts placed too far outside Iraq (not the batch's own rejected)."""

    rows: list[tuple[object, ...]]
    rejected: list[Rejected]

    def records(self) -> list[dict[str, object]]:
        """The rows as dicts keyed by column name, for reading rather than writing."""
        return [dict(zip(INCIDENT_WRITE_COLUMNS, row, strict=True)) for row in self.rows]


_DRAFT_FIELDS = {f.name for f in dataclasses.fields(IncidentDraft)}
_DRAFT_COLUMNS = tuple(c for c in INCIDENT_WRITE_COLUMNS if c in _DRAFT_FIELDS)
_draft_values = operator.attrgetter(*_DRAFT_COLUMNS)
_AREA_COLUMNS = (
    "adm1_pcode",
    "adm2_pcode",
    "adm3_pcode",
    "disputed",
    "kurdistan_region",
    "syria_border_district",
)
# _rows builds each tuple as draft values, area values, outside_km, content_hash:
assert (*_DRAFT_COLUMNS, *_AREA_COLUMNS, "outside_km", "content_hash") == INCIDENT_WRITE_COLUMNS


def place_batch(batch: Batch, locator: Locator, max_outside_km: float) -> PlacedBatch:
    """The batch's drafts as `incidents` rows, placed in their subdistricts by `locator`.

    Points up to `max_outside_km` outside Iraq (border placeholders) keep the nearest
    subdistrict; points further out are rejected.
    """
    drafts = batch.drafts
    if not drafts:
        return PlacedBatch([], [])
    latitudes = np.fromiter((d.latitude for d in drafts), np.float64, len(drafts))
    longitudes = np.fromiter((d.longitude for d in drafts), np.float64, len(drafts))
    located = locator.locate_many(latitudes, longitudes)
    outside_km = np.asarray(located.outside_km, dtype=np.float64)
    near = outside_km <= max_outside_km  # NaN, a geo failure, counts as far
    kept = np.flatnonzero(near)
    rows = _rows(
        [drafts[i] for i in kept.tolist()],
        [batch.raws[i] for i in kept.tolist()],
        np.asarray(located.subdistrict_index)[kept],
        outside_km[kept],
        locator,
    )
    far = [
        _too_far(drafts[i], batch.raws[i], float(outside_km[i]), max_outside_km)
        for i in np.flatnonzero(~near).tolist()
    ]
    return PlacedBatch(rows, far)


def _rows(
    drafts: list[IncidentDraft],
    raws: list[Raw],
    subdistricts: npt.NDArray[np.integer[Any]],
    outside_km: npt.NDArray[np.float64],
    locator: Locator,
) -> list[tuple[object, ...]]:
    # tolist() gives Python str/bool/float: database drivers reject numpy scalars.
    areas = zip(
        *(getattr(locator, name)[subdistricts].tolist() for name in _AREA_COLUMNS), strict=True
    )
    return [
        (*_draft_values(draft), *area, km, row_digest(raw))
        for draft, raw, area, km in zip(drafts, raws, areas, outside_km.tolist(), strict=True)
    ]


def _too_far(draft: IncidentDraft, raw: Sequence[str], km: float, limit: float) -> Rejected:
    reason = f"{km:.1f} km outside Iraq (limit {limit:g} km)"
    return Rejected([RowError(draft.line, "latitude/longitude", reason)], raw)
