"""Properties: whatever a row or a file holds, the importer answers with drafts or errors.

It never raises anything but ImportRejected (for a whole file), and every draft it returns
obeys the invariants the store relies on.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.domain.incidents import IncidentDraft
from tansiq.errors import ImportRejected, RowError
from tansiq.importers import acled, ucdp
from tansiq.importers.pipeline import SourceName, read_batches
from tests.importers.files import ACLED_HEADER, acled_row, shipped_ucdp

# No example database: it would write .hypothesis/ into the working tree.
FAST = settings(max_examples=150, deadline=None, database=None)
FILES = settings(max_examples=60, deadline=None, database=None)

TRICKY = [
    "", " ", "0", "1", "3", "7", "8", "-1", "-0", "+5", "5.0", "5.5", "1e3", "1_000", "٣",
    "²", "0x1f", "nan", "-inf", "1e308", "9" * 40, "95", "-180.0", "2014-01-24", "2014-02-30",
    "20140124", "2014-W04-5", "05 January 2020", "31 April 2020", "5 Jan 2020", "#geo+lat",
]  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
CELL = st.one_of(
    st.sampled_from(TRICKY),
    TEXT,
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)


def rows_for(header: Sequence[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(CELL, min_size=len(header), max_size=len(header))


def check(result: IncidentDraft | list[RowError], line: int, header: Sequence[str]) -> None:
    if isinstance(result, IncidentDraft):
        assert result.line == line
        assert -90 <= result.latitude <= 90
        assert -180 <= result.longitude <= 180
        assert result.date_start <= result.date_end
        assert result.fatalities is None or 0 <= result.fatalities < 2**31
        assert result.precision is None or 1 <= result.precision <= 7
        assert 0 < len(result.source_id) <= 64
        assert 0 < len(result.incident_type) <= 80
        return
    assert result, "a rejected row names at least one reason"
    for error in result:
        assert error.line == line
        assert error.field in header
        assert error.reason


UCDP_HEADER = shipped_ucdp(0)[0]


@FAST
@given(row=rows_for(UCDP_HEADER), line=st.integers(2, 10**7))
def test_any_ucdp_row_parses_or_gives_errors(row: list[str], line: int) -> None:
    check(ucdp.row_parser(UCDP_HEADER)(line, row), line, UCDP_HEADER)


@FAST
@given(row=rows_for(ACLED_HEADER), line=st.integers(2, 10**7))
def test_any_acled_row_parses_or_gives_errors(row: list[str], line: int) -> None:
    check(acled.row_parser(ACLED_HEADER)(line, row), line, ACLED_HEADER)


@FAST
@given(changes=st.dictionaries(st.sampled_from(ACLED_HEADER), CELL, max_size=4))
def test_a_mostly_valid_acled_row_parses_or_names_the_changed_cells(
    changes: dict[str, str],
) -> None:
    result = acled.row_parser(ACLED_HEADER)(2, acled_row(**changes))
    check(result, 2, ACLED_HEADER)
    if isinstance(result, list):
        assert {e.field for e in result} <= set(changes)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties") / "input.csv"


def outcome(path: Path, source: SourceName) -> int:
    """Rows read, or -1 for a file rejected whole; any other exception fails the test."""
    try:
        return sum(b.rows_read for b in read_batches(path, source, batch_rows=7))
    except ImportRejected as rejected:
        errors = rejected.errors
    assert errors
    assert all(e.line >= 1 for e in errors)
    return -1


@FILES
@given(content=st.binary(max_size=400))
def test_any_bytes_are_read_or_rejected_whole(scratch: Path, content: bytes) -> None:
    scratch.write_bytes(content)
    outcome(scratch, "ucdp")


@FILES
@given(tail=st.binary(max_size=400))
def test_any_bytes_after_a_good_header_are_read_or_rejected_whole(
    scratch: Path, tail: bytes
) -> None:
    scratch.write_bytes(",".join(ACLED_HEADER).encode() + b"\n" + tail)
    outcome(scratch, "acled")


@FILES
@given(rows=st.lists(rows_for(ACLED_HEADER), max_size=8))
def test_any_cells_written_as_csv_are_read_back_row_for_row(
    scratch: Path, rows: list[list[str]]
) -> None:
    with scratch.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([ACLED_HEADER, *rows])
    if any("\x00" in cell for row in rows for cell in row):
        assert outcome(scratch, "acled") == -1
        return
    # Skipped: rows of empty cells, and an HXL-looking first row (every filled cell a #tag).
    kept = [row for row in rows if any(row)]
    if rows and kept and kept[0] is rows[0]:
        filled = [c for c in rows[0] if c.strip()]
        kept = kept[1:] if all(c.lstrip().startswith("#") for c in filled) else kept
    assert outcome(scratch, "acled") == len(kept)
