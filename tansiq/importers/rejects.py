"""The rejects file: every row an import did not store, with why, beside the input file.

`events.csv` gets `events.csv.rejected.csv` with the columns `line, field, reason` followed by
the input's own columns holding the original values, so a user can fix the rows in place and
import the fixed file again (importers allow extra columns). A row with several problems is one
output row, its fields and reasons joined with "; ".
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from tansiq.importers.pipeline import Rejected

if TYPE_CHECKING:
    from _csv import Writer

REJECT_COLUMNS = ("line", "field", "reason")


def rejects_path(input_path: Path) -> Path:
    """Where the rejects of `input_path` go: `<input name>.rejected.csv` in the same folder."""
    return input_path.with_name(input_path.name + ".rejected.csv")


class RejectsWriter:
    """Writes Rejected rows to rejects_path(input_path); use as a context manager.

    The file (UTF-8, no BOM, like the input) is created at the first write. If nothing was
    written, closing removes a rejects file left by an earlier import of the same input: it
    would describe rows that this import accepted.
    """

    def __init__(self, input_path: Path, header: Sequence[str]) -> None:
        self.path = rejects_path(input_path)
        self.header = list(header)
        self.written = 0
        self._file: TextIO | None = None
        self._writer: Writer | None = None

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, row: Rejected) -> None:
        """Append one rejected input row: its line, fields and reasons, then its cells."""
        writer = self._writer or self._open()
        fields = "; ".join(e.field for e in row.errors)
        reasons = "; ".join(e.reason for e in row.errors)
        writer.writerow([str(row.line), fields, reasons, *row.raw])
        self.written += 1

    def write_all(self, rows: Iterable[Rejected]) -> None:
        """Append every row of `rows`, in order."""
        for row in rows:
            self.write(row)

    def _open(self) -> Writer:
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow([*REJECT_COLUMNS, *self.header])
        return self._writer

    def close(self) -> None:
        """Flush and close the file; remove a stale one if this writer wrote nothing."""
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self.written == 0:
            self.path.unlink(missing_ok=True)
