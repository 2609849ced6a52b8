"""Importing an incident file: read, validate, place and store it as one batch.

The whole file is one database transaction. In the default strict mode any invalid row
rejects the file (the transaction rolls back and nothing is stored); with `skip_invalid` the
valid rows are stored and the rejected ones, with their reasons, go to a CSV beside the input.
A process killed part-way leaves the previous state, because nothing is committed until the
last row has been checked and written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Connection, Engine

from tansiq.domain.incidents import ImportSummary
from tansiq.errors import ImportRejected, RowError
from tansiq.geo.locator import AreaLocator
from tansiq.importers.pipeline import Batch, Rejected, place_batch, read_batches
from tansiq.importers.rejects import RejectsWriter
from tansiq.settings import Settings
from tansiq.store.database import require_schema, writing
from tansiq.store.import_runs import record_import_run
from tansiq.store.incidents import upsert_incidents

Source = Literal["ucdp", "acled"]
ID_COLUMN: dict[Source, str] = {"ucdp": "id", "acled": "event_id_cnty"}


@dataclass
class _Tally:
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rejected_count: int = 0
    first_line: dict[str, int] = field(default_factory=dict)

    def summary(self) -> ImportSummary:
        return ImportSummary(
            self.read, self.imported, self.updated, self.unchanged, self.rejected_count
        )


@dataclass(frozen=True)
class ImportRequest:
    """One import: which file, which format, and whether invalid rows may be skipped."""

    path: Path
    source: Source
    skip_invalid: bool = False


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
    header: list[str] = []
    with writing(engine) as conn:
        require_schema(conn)
        for batch in read_batches(request.path, request.source, settings.import_batch_rows):
            header = batch.header
            _take_batch(conn, batch, request, settings, locator, tally, now())
            if on_progress:
                on_progress(tally.read)
        if tally.rejected_count and not request.skip_invalid:
            errors = [e for r in tally.rejected for e in r.errors]
            raise ImportRejected(str(request.path), errors, tally.rejected_count)
        record_import_run(
            conn, request.source, request.path, _sha256(request.path), tally.summary(), now()
        )
    if tally.rejected:
        _write_rejects(request.path, header, tally.rejected)
    return tally.summary()


def _take_batch(
    conn: Connection,
    batch: Batch,
    request: ImportRequest,
    settings: Settings,
    locator: AreaLocator,
    tally: _Tally,
    when: datetime,
) -> None:
    tally.read += len(batch.drafts) + len(batch.rejected)
    placed = place_batch(
        _without_duplicates(batch, request.source, tally), locator, settings.max_outside_km
    )
    _reject(tally, [*batch.rejected, *placed.rejected], request, settings)
    if tally.rejected_count and not request.skip_invalid:
        return  # the file will be rejected: keep checking rows, stop writing them
    imported, updated, unchanged = upsert_incidents(conn, request.source, placed.rows, when)
    tally.imported += imported
    tally.updated += updated
    tally.unchanged += unchanged


def _without_duplicates(batch: Batch, source: Source, tally: _Tally) -> Batch:
    """Drop rows whose id appeared earlier in the same file, rejecting them by line."""
    keep = []
    for draft, raw in zip(batch.drafts, batch.raws, strict=True):
        first = tally.first_line.setdefault(draft.source_id, draft.line)
        if first == draft.line:
            keep.append((draft, raw))
            continue
        error = RowError(
            draft.line,
            ID_COLUMN[source],
            f"duplicate id {draft.source_id!r}, first at line {first}",
        )
        batch.rejected.append(Rejected([error], raw))
    return Batch(
        header=batch.header,
        drafts=[d for d, _ in keep],
        raws=[r for _, r in keep],
        rejected=batch.rejected,
    )


def _reject(
    tally: _Tally, rejected: list[Rejected], request: ImportRequest, settings: Settings
) -> None:
    tally.rejected_count += len(rejected)
    # Strict mode only names the first few; skip mode keeps every row for the rejects file.
    room = (
        len(rejected)
        if request.skip_invalid
        else settings.max_reported_errors - len(tally.rejected)
    )
    tally.rejected.extend(sorted(rejected, key=lambda r: r.errors[0].line)[: max(room, 0)])


def _write_rejects(path: Path, header: list[str], rejected: list[Rejected]) -> None:
    with RejectsWriter(path, header) as writer:
        for row in sorted(rejected, key=lambda r: r.errors[0].line):
            writer.write(row)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
