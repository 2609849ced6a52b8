"""`tansiq geocode` in this process (Typer's CliRunner): one text, and a CSV file in batch."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tansiq.cli import app
from tansiq.errors import InvalidInput

runner = CliRunner()


def test_one_text_prints_the_place() -> None:
    done = runner.invoke(app, ["geocode", "Car bomb in Fallūjah kills 5"])

    assert done.exit_code == 0, done.output
    assert "Fallūjah" in done.stdout
    assert "IQG01 / IQG01Q01" in done.stdout


def test_one_text_as_json_with_options_after_the_text() -> None:
    done = runner.invoke(app, ["geocode", "تەقینەوە لە کەرکووک", "--json"])

    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert set(found) == {
        "latitude",
        "longitude",
        "adm1_pcode",
        "adm2_pcode",
        "matched_name",
        "confidence",
        "matched_name_ar",
    }
    assert found["matched_name_ar"] == "كركوك"
    assert found["adm1_pcode"] == "IQG13"
    assert abs(found["latitude"] - 35.47) < 0.05


def test_no_place_found() -> None:
    plain = runner.invoke(app, ["geocode", "Iraq violence kills 14"])
    as_json = runner.invoke(app, ["geocode", "--json", "Iraq violence kills 14"])

    assert plain.exit_code == 0
    assert plain.stdout.strip() == "no place found"
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) is None


def test_min_confidence_lets_a_governorate_answer() -> None:
    done = runner.invoke(
        app, ["geocode", "Fighting in Diyala province", "--min-confidence", "0", "--json"]
    )

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["adm1_pcode"] == "IQG10"


def test_no_text_is_an_error() -> None:
    done = runner.invoke(app, ["geocode"])

    assert done.exit_code == 1
    assert isinstance(done.exception, InvalidInput)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_batch_keeps_every_column_and_adds_the_place(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.csv",
        "id,headline,source\n"
        '1,"Car bomb in Fallujah, Anbar province",AFP\n'
        "2,Iraq violence kills 14,Reuters\n"
        "3,انفجار في الموصل,local\n",
    )
    out = tmp_path / "out.csv"

    done = runner.invoke(
        app, ["geocode", "batch", str(source), "--text-column", "headline", "--out", str(out)]
    )

    assert done.exit_code == 0, done.output
    assert "3 rows: 2 placed, 1 abstained" in done.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "id",
        "headline",
        "source",
        "latitude",
        "longitude",
        "adm1_pcode",
        "adm2_pcode",
        "matched_name",
        "confidence",
    ]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["source"] == "AFP"
    assert rows[0]["adm2_pcode"] == "IQG01Q01"
    assert float(rows[0]["confidence"]) > 0.9
    assert rows[1]["latitude"] == rows[1]["matched_name"] == rows[1]["adm1_pcode"] == ""
    assert rows[2]["headline"] == "انفجار في الموصل"
    assert rows[2]["adm1_pcode"] == "IQG15"


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        (b"id,headline\n1,Mosul\n", "text", "no column 'text'"),
        (b"", "headline", "empty file"),
        (b"id,headline\n1,\xff\xfe Mosul\n", "headline", "not UTF-8"),
        (b"id,headline,latitude\n1,Mosul,3\n", "headline", "already has column(s) latitude"),
    ],
)
def test_batch_bad_input_is_a_clear_error_and_leaves_no_file(
    tmp_path: Path, content: bytes, column: str, message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"

    done = runner.invoke(
        app, ["geocode", "batch", str(source), "--text-column", column, "--out", str(out)]
    )

    assert done.exit_code == 1
    assert isinstance(done.exception, InvalidInput)
    assert message in str(done.exception)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_batch_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"

    done = runner.invoke(
        app,
        ["geocode", "batch", str(tmp_path / "none.csv"), "--text-column", "x", "--out", str(out)],
    )

    assert done.exit_code == 1
    assert isinstance(done.exception, InvalidInput)
    assert "none.csv" in str(done.exception)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
