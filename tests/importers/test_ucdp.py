"""UCDP GED rows into drafts: the shipped file whole, and each bad cell by line and field."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tansiq.domain.incidents import IncidentDraft
from tansiq.importers import ucdp
from tests.conftest import SHIPPED_UCDP
from tests.importers.files import errors_of, read_all, shipped_ucdp, ucdp_file, write_rows


def test_the_shipped_file_parses_without_errors() -> None:
    drafts, rejected = read_all(SHIPPED_UCDP, "ucdp")
    assert rejected == []
    assert len(drafts) == 7219
    assert len({d.source_id for d in drafts}) == 7219
    assert drafts[0] == IncidentDraft(
        source="ucdp",
        source_id="114064",
        line=3,  # the HXL row, line 2, is skipped
        date_start=date(2014, 1, 24),
        date_end=date(2014, 1, 25),
        latitude=33.355813,
        longitude=43.786124,
        precision=1,
        place="Al Fallūjah town",
        incident_type="state-based",
        sub_type="Government of Iraq - IS",
        actor1="Government of Iraq",
        actor2="IS",
        fatalities=8,
        headline="Iraq violence kills 14 as January toll tops 800",
        source_detail="Agence France Presse",
    )


def test_every_shipped_draft_names_the_physical_line_its_row_starts_on() -> None:
    # The file has quoted headlines spanning lines, so line numbers drift if miscounted.
    physical = SHIPPED_UCDP.read_text(encoding="utf-8").split("\n")
    drafts, _ = read_all(SHIPPED_UCDP, "ucdp")
    assert len(physical) - 1 > 7219 + 2
    for draft in drafts:
        assert physical[draft.line - 1].startswith(draft.source_id + ","), draft.line


def test_the_three_types_of_violence_are_named() -> None:
    drafts, _ = read_all(SHIPPED_UCDP, "ucdp")
    assert {d.incident_type for d in drafts} == {"state-based", "non-state", "one-sided"}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("date_start", "2017-02-30", "not a date (YYYY-MM-DD): '2017-02-30'"),
        ("date_start", "24/01/2014", "not a date (YYYY-MM-DD): '24/01/2014'"),
        ("date_start", "20140124", "not a date (YYYY-MM-DD): '20140124'"),
        ("date_end", "2014-01-01", "before the start date 2014-01-24: '2014-01-01'"),
        ("latitude", "abc", "not a number: 'abc'"),
        ("latitude", "95", "out of range [-90, 90]: '95'"),
        ("latitude", "", "missing"),
        ("longitude", "nan", "not a finite number: 'nan'"),
        ("longitude", "-181", "out of range [-180, 180]: '-181'"),
        ("id", "", "missing"),
        ("id", "12a", "not a whole number: '12a'"),
        ("type_of_violence", "4", "not 1, 2 or 3: '4'"),
        ("type_of_violence", "", "missing"),
        ("best", "-3", "negative: '-3'"),
        ("best", "2.5", "not a whole number: '2.5'"),
        ("best", "99999999999", "too large: '99999999999'"),
        ("where_prec", "8", "not between 1 and 7: '8'"),
        ("where_prec", "x", "not a whole number: 'x'"),
    ],
)
def test_a_bad_cell_is_reported_with_its_line_and_field(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    # Row 0 is on line 3 and starts 2014-01-24; the four other rows stay valid.
    drafts, rejected = read_all(ucdp_file(tmp_path / "x.csv", {0: {column: value}}), "ucdp")
    assert len(drafts) == 4
    assert [(e.line, e.field, e.reason) for r in rejected for e in r.errors] == [
        (3, column, reason)
    ]


def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path) -> None:
    bad = {"id": "", "latitude": "95", "type_of_violence": "0", "best": "-1"}
    path = ucdp_file(tmp_path / "x.csv", {2: bad})
    assert errors_of(path, "ucdp") == [
        (5, "id"),
        (5, "latitude"),
        (5, "type_of_violence"),
        (5, "best"),
    ]


def test_an_end_before_the_start_is_reported_beside_other_errors(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "x.csv", {1: {"date_end": "1990-01-01", "latitude": "x"}})
    assert errors_of(path, "ucdp") == [(4, "latitude"), (4, "date_end")]


def test_optional_cells_may_be_empty(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "x.csv", {0: {"date_end": "", "where_prec": "", "best": ""}})
    draft = read_all(path, "ucdp")[0][0]
    assert (draft.date_end, draft.precision, draft.fatalities) == (draft.date_start, None, None)


def test_spreadsheet_style_numbers_are_accepted(tmp_path: Path) -> None:
    path = ucdp_file(
        tmp_path / "x.csv", {0: {"id": "0114064.0", "best": "8.0", "where_prec": " 2 "}}
    )
    draft = read_all(path, "ucdp")[0][0]
    assert (draft.source_id, draft.fatalities, draft.precision) == ("114064", 8, 2)


def test_a_long_bad_value_is_cut_short_in_the_message(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "x.csv", {0: {"latitude": "north " * 200}})
    _, rejected = read_all(path, "ucdp")
    reason = rejected[0].errors[0].reason
    assert reason.startswith("not a number: 'north north")
    assert reason.endswith("…'")
    assert len(reason) < 70


def test_a_row_with_too_few_values_is_rejected(tmp_path: Path) -> None:
    header, hxl, rows = shipped_ucdp(2)
    path = write_rows(tmp_path / "x.csv", [header, hxl, rows[0][:10], rows[1]])
    drafts, rejected = read_all(path, "ucdp")
    assert len(drafts) == 1
    assert [str(e) for e in rejected[0].errors] == [
        f"line 3: row: has 10 values; the header has {len(header)} columns"
    ]


def test_a_file_without_the_hxl_row_parses_from_line_2(tmp_path: Path) -> None:
    header, _, rows = shipped_ucdp(3)
    drafts, _ = read_all(write_rows(tmp_path / "x.csv", [header, *rows]), "ucdp")
    assert [d.line for d in drafts] == [2, 3, 4]


def test_rows_of_empty_cells_are_skipped(tmp_path: Path) -> None:
    header, hxl, rows = shipped_ucdp(1)
    path = write_rows(tmp_path / "x.csv", [header, hxl, rows[0], [""] * len(header)])
    drafts, rejected = read_all(path, "ucdp")
    assert (len(drafts), rejected) == (1, [])


def test_the_parser_needs_the_required_columns() -> None:
    with pytest.raises(ValueError, match="missing required column"):
        ucdp.row_parser(["id", "latitude"])


def test_the_parser_takes_records_in_any_column_order() -> None:
    header, _, rows = shipped_ucdp(1)
    order = list(reversed(range(len(header))))
    parse = ucdp.row_parser([header[i] for i in order])
    draft = parse(7, [rows[0][i] for i in order])
    assert isinstance(draft, IncidentDraft)
    assert (draft.source_id, draft.line, draft.fatalities) == ("114064", 7, 8)


def test_the_shipped_header_is_what_the_importer_requires() -> None:
    with SHIPPED_UCDP.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert set(ucdp.REQUIRED_COLUMNS) <= set(header)
