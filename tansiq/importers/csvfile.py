"""Stream the records of a CSV file, each with the physical line it starts on.

The file is read in binary and decoded one physical line at a time, strictly as UTF-8, so that a
wrong encoding is reported with its line and memory stays bounded however big the file is.
Problems with the file as a whole (not UTF-8, not CSV, empty, missing columns) raise
ImportRejected at once: no row of such a file can be trusted, even when skipping invalid rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from tansiq.errors import ImportRejected, RowError

if TYPE_CHECKING:
    from _csv import Reader

MAX_LINE_BYTES = 4 * 1024 * 1024
"""A longer physical line is not event data; refusing it keeps memory bounded."""

SNIFF_BYTES = 8192

# Files people pick by mistake instead of the CSV export.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive or Excel workbook; export the sheet as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook; export the sheet as CSV UTF-8"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
)

Record = tuple[int, list[str]]
"""(line the record starts on, its cells)."""


class CsvReader:
    """The header and the data records of one CSV file.

    Use as a context manager; entering opens the file and validates the header:

        with CsvReader(path, REQUIRED_COLUMNS) as reader:
            for line, cells in reader: ...

    Blank lines and an HXL hashtag row right after the header are skipped.
    """

    def __init__(self, path: Path, required_columns: Sequence[str]) -> None:
        self.path = path
        self.required_columns = tuple(required_columns)
        self.header: list[str] = []
        self._file: BinaryIO | None = None
        self._records: Iterator[Record] = iter(())

    def __enter__(self) -> CsvReader:
        self._file = self.path.open("rb")
        try:
            self._start(self._file)
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()

    def __iter__(self) -> Iterator[Record]:
        return self._records

    def _reject(self, line: int, field: str, reason: str) -> ImportRejected:
        return ImportRejected(str(self.path), [RowError(line, field, reason)], 1)

    def _start(self, file: BinaryIO) -> None:
        self._sniff(file)
        reader = csv.reader(self._lines(file), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise self._reject(1, "file", f"not valid CSV: {error}") from None
        if not header:
            raise self._reject(1, "header", "line 1 is blank; the header must be on line 1")
        self.header = [name.strip() for name in header]
        self._check_header()
        self._records = self._data(reader)

    def _sniff(self, file: BinaryIO) -> None:
        head = file.read(SNIFF_BYTES)
        file.seek(0)
        if len(head) < SNIFF_BYTES and not head.removeprefix(b"\xef\xbb\xbf").strip():
            raise self._reject(1, "file", "empty file")
        for signature, kind in _SIGNATURES:
            if head.startswith(signature):
                raise self._reject(1, "file", f"not a CSV file: binary data ({kind})")
        if b"\x00" in head:
            raise self._reject(1, "file", "not a CSV file: binary data (NUL bytes)")
        first = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
        if first in (b"{", b"["):
            raise self._reject(1, "file", "not a CSV file: it looks like JSON")
        if first == b"<":
            raise self._reject(1, "file", "not a CSV file: it looks like HTML or XML")

    def _lines(self, file: BinaryIO) -> Iterator[str]:
        """The physical lines, decoded; counting them here names the line of a bad byte."""
        read_line = partial(file.readline, MAX_LINE_BYTES)
        for number, raw in enumerate(iter(read_line, b""), start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if b"\x00" in raw:  # csv accepts NUL since 3.11, PostgreSQL text never does
                raise self._reject(number, "file", f"not a CSV file: NUL byte at line {number}")
            if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise self._reject(number, "file", f"line {number} is longer than 4 MiB")
            try:
                yield raw.decode()
            except UnicodeDecodeError as error:
                raise self._reject(number, "file", _decode_reason(raw, error, number)) from None

    def _check_header(self) -> None:
        missing = [c for c in self.required_columns if c not in self.header]
        if missing:
            reason = f"missing required column(s): {', '.join(missing)}"
            if len(self.header) == 1 and any(s in self.header[0] for s in ";\t|"):
                reason += " (the file must be comma-separated)"
            raise self._reject(1, "header", reason)
        twice = [c for c in self.required_columns if self.header.count(c) > 1]
        if twice:
            raise self._reject(1, "header", f"column(s) appear twice: {', '.join(twice)}")

    def _data(self, reader: Reader) -> Iterator[Record]:
        """Data records; each starts on the line after the previous one ended."""
        header_end = previous = reader.line_num
        try:
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if cells and not (start == header_end + 1 and _looks_like_hxl(cells)):
                    yield start, cells
        except csv.Error as error:
            start = previous + 1
            reason = f"not valid CSV: {error} (record starting at line {start})"
            raise self._reject(start, "file", reason) from None


def _looks_like_hxl(cells: list[str]) -> bool:
    """An HXL hashtag row (HDX exports have one under the header): every filled cell is a tag."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(c.lstrip().startswith("#") for c in filled)


def _decode_reason(raw: bytes, error: UnicodeDecodeError, number: int) -> str:
    byte = raw[error.start]
    return f"not valid UTF-8 text (byte 0x{byte:02x} at line {number}); save the file as CSV UTF-8"
