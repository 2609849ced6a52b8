"""Importing an incident file: read, validate, place and store it as one batch.

The whole file is one database transaction. In the default strict mode any invalid row
rejects the file (the transaction rolls back and nothing is stored); with `skip_invalid` the
valid rows are stored and the rejected ones, with their reasons, go to a CSV beside the input.
A process killed part-way leaves the previous state, because nothing is committed until the
last row has been checked and written.

Reading and placing rows runs in a forked reader process one batch ahead of the writer, so
on a two-core machine parsing and writing overlap instead of taking turns on one core.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Connection, Engine

from tansiq.ahead import read_ahead
from tansiq.domain.incidents import ImportSummary
from tansiq.errors import ImportRejected, RowError
from tansiq.geo.locator import AreaLocator
from tansiq.importers.pipeline import Batch, Rejected, place_batch, read_batches
from tansiq.importers.rejects import RejectsWriter
from tansiq.settings import Settings
from tansiq.store.database import require_schema, writing
from tansiq.store.import_runs import record_import_run
from tansiq.store.incident_grid import GridChanges
from tansiq.store.incidents import upsert_incidents

Source = Literal["ucdp", "acled"]
ID_COLUMN: dict[Source, str] = {"ucdp": "id", "acled": "event_id_cnty"}


@dataclass(frozen=True)
class ImportRequest:
    """One import: which file, which format, and whether invalid rows may be skipped."""

    path: Path
    source: Source
    skip_invalid: bool = False


@dataclass
class _Tally:
    """What the writer has seen so far."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)  # all, or the first few (strict)
    header: list[str] = field(default_factory=list)

    def summary(self) -> ImportSummary:
        return ImportSummary(
            self.read, self.imported, self.updated, self.unchanged, self.rejected_count
        )


def import_file(
    engine: Engine,
    request: ImportRequest,
    settings: Settings,
    locator: AreaLocator,
    now: Callable[[], datetime],
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one file as one all-or-nothing batch; raise ImportRejected in strict mode."""
    tally = _Tally()
    # The grid moves of incidents corrected by the file are written once, at the end.
    grid = GridChanges()
    # The reader starts first, so that it does not inherit the database connection.
    with read_ahead(_placed_batches(request, settings, locator)) as ready, writing(engine) as conn:
        require_schema(conn)
        for batch in ready:
            _take(conn, batch, request, settings, tally, now(), grid)
            if on_progress:
                on_progress(tally.read)
        if tally.rejected_count and not request.skip_invalid:
            errors = [e for r in tally.rejected for e in r.errors]
            raise ImportRejected(str(request.path), errors, tally.rejected_count)
        grid.write(conn)
        summary = tally.summary()
        record_import_run(conn, request.source, request.path, _sha256(request.path), summary, now())
    if request.skip_invalid:
        _write_rejects(request.path, tally.header, tally.rejected)
    return summary


@dataclass(frozen=True, slots=True)
class _Placed:
    """What the writer needs of one batch: no drafts or raw cells of the stored rows, which
    would only cost pickling on their way from the reader process."""

    header: list[str]
    rows_read: int
    rows: list[tuple[object, ...]]
    rejected: list[Rejected]


def _placed_batches(
    request: ImportRequest, settings: Settings, locator: AreaLocator
) -> Iterator[_Placed]:
    """Each batch of the file with its rows placed on the map (runs in the reader process)."""
    first_line: dict[str, int] = {}
    for batch in read_batches(request.path, request.source, settings.import_batch_rows):
        unique = _without_duplicates(batch, ID_COLUMN[request.source], first_line)
        placed = place_batch(unique, locator, settings.max_outside_km)
        rejected = [*unique.rejected, *placed.rejected]
        yield _Placed(batch.header, batch.rows_read, placed.rows, rejected)


def _take(
    conn: Connection,
    batch: _Placed,
    request: ImportRequest,
    settings: Settings,
    tally: _Tally,
    when: datetime,
    grid: GridChanges,
) -> None:
    """Count one placed batch and write it, unless the file is already known to be rejected."""
    tally.header = batch.header
    tally.read += batch.rows_read
    _reject(tally, batch.rejected, request.skip_invalid, settings.max_reported_errors)
    if tally.rejected_count and not request.skip_invalid:
        return  # the file will be rejected: keep checking rows, stop writing them
    imported, updated, unchanged = upsert_incidents(conn, request.source, batch.rows, when, grid)
    tally.imported += imported
    tally.updated += updated
    tally.unchanged += unchanged


def _without_duplicates(batch: Batch, id_column: str, first_line: dict[str, int]) -> Batch:
    """The batch without rows whose id appeared earlier in the file; those become rejects."""
    keep = Batch(header=batch.header, rejected=batch.rejected)
    for draft, raw in zip(batch.drafts, batch.raws, strict=True):
        first = first_line.setdefault(draft.source_id, draft.line)
        if first == draft.line:
            keep.drafts.append(draft)
            keep.raws.append(raw)
        else:
            reason = f"duplicate id {draft.source_id!r}, first at line {first}"
            keep.rejected.append(Rejected([RowError(draft.line, id_column, reason)], raw))
    return keep


def _reject(tally: _Tally, rejected: list[Rejected], skip_invalid: bool, shown: int) -> None:
    """Count rejected rows; keep all of them for the rejects file, or the first few to name."""
    tally.rejected_count += len(rejected)
    room = len(rejected) if skip_invalid else shown - len(tally.rejected)
    tally.rejected.extend(sorted(rejected, key=lambda r: r.line)[: max(room, 0)])


def _write_rejects(path: Path, header: list[str], rejected: list[Rejected]) -> None:
    """Write the rejects file, or remove a stale one when nothing was rejected."""
    with RejectsWriter(path, header) as writer:
        writer.write_all(sorted(rejected, key=lambda r: r.line))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
