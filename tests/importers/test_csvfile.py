"""The streaming CSV reader: line numbers, and whole-file rejections that name the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tansiq.errors import ImportRejected
from tansiq.importers.csvfile import MAX_LINE_BYTES, CsvReader

REQUIRED = ("id", "name")


def records(path: Path, required: tuple[str, ...] = REQUIRED) -> list[tuple[int, list[str]]]:
    with CsvReader(path, required) as reader:
        return list(reader)


def rejection(path: Path, required: tuple[str, ...] = REQUIRED) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        records(path, required)
    assert caught.value.total == 1
    assert len(caught.value.errors) == 1
    return caught.value


def test_records_carry_the_line_they_start_on_across_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'id,name\r\n1,"two\nline"\r\n2,plain\n\n3,"a\n\nb"\n4,last')
    assert records(path) == [
        (2, ["1", "two\nline"]),
        (4, ["2", "plain"]),
        (6, ["3", "a\n\nb"]),
        (9, ["4", "last"]),
    ]


def test_the_header_is_read_and_extra_columns_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\ufeff extra , id,name\nx,1,a\n", encoding="utf-8")
    with CsvReader(path, REQUIRED) as reader:
        assert reader.header == ["extra", "id", "name"]
        assert list(reader) == [(2, ["x", "1", "a"])]


def test_an_hxl_row_under_the_header_is_skipped_and_lines_still_count(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,name,note\n#id, #name,\n1,a,\n", encoding="utf-8")
    assert records(path) == [(3, ["1", "a", ""])]


def test_a_later_row_that_looks_like_hxl_is_data(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,name\n1,a\n#2,#b\n", encoding="utf-8")
    assert records(path) == [(2, ["1", "a"]), (3, ["#2", "#b"])]


def test_a_file_in_another_encoding_is_rejected_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "arabic.csv"
    text = "id,name\n1,Kirkuk\n2,Mosul\n3,اشتباك قرب كركوك\n"
    path.write_bytes(text.encode("cp1256"))
    error = rejection(path)
    assert (error.errors[0].line, error.errors[0].field) == (4, "file")
    assert "not valid UTF-8 text (byte 0x" in error.errors[0].reason
    assert "at line 4" in str(error)


def test_a_latin1_byte_in_the_header_names_line_1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id,namé\n1,a\n".encode("latin-1"))
    assert "(byte 0xe9 at line 1)" in rejection(path).errors[0].reason


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data (a PNG image)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"id,name\n1,\x00\x01\x02\n", "binary data (NUL bytes)"),
        (json.dumps([{"id": 1, "name": "a"}]).encode(), "looks like JSON"),
        (b'  {"id": 1}', "looks like JSON"),
        (b"<html><body>id,name</body></html>", "looks like HTML"),
    ],
)
def test_files_that_are_not_csv_are_rejected(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    error = rejection(path)
    assert error.errors[0].line == 1
    assert "not a CSV file" in error.errors[0].reason
    assert expected in error.errors[0].reason


def test_a_nul_byte_further_down_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,name\n" + b"1,a\n" * 5000 + b"2,b\x00\n")
    error = rejection(path)
    assert error.errors[0].line == 5002
    assert "NUL byte at line 5002" in error.errors[0].reason


def test_broken_quoting_is_rejected_at_the_record_where_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,name\n1,a\n2,"never closed\n3,c\n', encoding="utf-8")
    error = rejection(path)
    assert error.errors[0].line == 3
    assert "not valid CSV" in error.errors[0].reason


def test_a_quote_inside_a_field_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,name\n1,"a"b\n', encoding="utf-8")
    assert rejection(path).errors[0].line == 2


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \r\n"])
def test_an_empty_file_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    error = rejection(path)
    assert (error.errors[0].line, error.errors[0].reason) == (1, "empty file")


def test_a_blank_first_line_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\nid,name\n1,a\n", encoding="utf-8")
    assert "header must be on line 1" in rejection(path).errors[0].reason


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("identifier,title\n1,a\n", encoding="utf-8")
    error = rejection(path)
    assert (error.errors[0].line, error.errors[0].field) == (1, "header")
    assert error.errors[0].reason == "missing required column(s): id, name"
    assert "nothing was stored" in str(error)


def test_a_semicolon_separated_file_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id;name\n1;a\n", encoding="utf-8")
    assert "must be comma-separated" in rejection(path).errors[0].reason


def test_a_required_column_given_twice_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,name,id\n1,a,2\n", encoding="utf-8")
    assert rejection(path).errors[0].reason == "column(s) appear twice: id"


def test_an_endless_line_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,name\n1," + b"a" * MAX_LINE_BYTES + b"\n")
    error = rejection(path)
    assert error.errors[0].line == 2
    assert "longer than 4 MiB" in error.errors[0].reason
