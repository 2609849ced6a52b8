"""ACLED rows into drafts: both date formats, and each kind of bad cell by line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tansiq.domain.incidents import IncidentDraft
from tansiq.errors import ImportRejected
from tansiq.importers import acled
from tests.importers.files import ACLED_HEADER, acled_row, read_all, write_rows


def acled_file(path: Path, *rows: list[str]) -> Path:
    return write_rows(path, [ACLED_HEADER, *rows])


def test_a_row_becomes_a_one_day_draft(tmp_path: Path) -> None:
    drafts, rejected = read_all(acled_file(tmp_path / "a.csv", acled_row()), "acled")
    assert rejected == []
    assert drafts == [
        IncidentDraft(
            source="acled",
            source_id="IRQ1",
            line=2,
            date_start=date(2020, 3, 5),
            date_end=date(2020, 3, 5),
            latitude=35.3148,
            longitude=43.7601,
            precision=1,
            place="Al-Hawiga",
            incident_type="Explosions/Remote violence",
            sub_type="Remote explosive/landmine/IED",
            actor1="Islamic State (Iraq)",
            actor2="Military Forces of Iraq",
            fatalities=2,
            headline="Synthetic test row.",
            source_detail="Synthetic test source",
        )
    ]


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2020-03-05", date(2020, 3, 5)),
        ("05 March 2020", date(2020, 3, 5)),
        ("5 March 2020", date(2020, 3, 5)),
        ("29 february 2020", date(2020, 2, 29)),
        ("05-January-2020", date(2020, 1, 5)),
    ],
)
def test_both_date_formats_are_read(tmp_path: Path, written: str, day: date) -> None:
    drafts, _ = read_all(acled_file(tmp_path / "a.csv", acled_row(event_date=written)), "acled")
    assert (drafts[0].date_start, drafts[0].date_end) == (day, day)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("event_date", "31 February 2020", "not a date (YYYY-MM-DD or DD Month YYYY)"),
        ("event_date", "05 Mars 2020", "not a date (YYYY-MM-DD or DD Month YYYY)"),
        ("event_date", "03/05/2020", "not a date (YYYY-MM-DD or DD Month YYYY)"),
        ("event_date", "", "missing"),
        ("event_id_cnty", " ", "missing"),
        ("event_id_cnty", "IRQ" + "9" * 70, "longer than 64 characters"),
        ("latitude", "35,3", "not a number: '35,3'"),
        ("longitude", "543.7", "out of range [-180, 180]: '543.7'"),
        ("geo_precision", "4", "not between 1 and 3: '4'"),
        ("event_type", "", "missing"),
        ("event_type", "x" * 81, "longer than 80 characters"),
        ("fatalities", "", "missing"),
        ("fatalities", "-2", "negative: '-2'"),
    ],
)
def test_a_bad_cell_is_reported_with_its_line_and_field(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    bad = acled_row(**{"event_id_cnty": "IRQ2", column: value})
    path = acled_file(tmp_path / "a.csv", acled_row(), bad)
    drafts, rejected = read_all(path, "acled")
    assert [d.source_id for d in drafts] == ["IRQ1"]
    assert [(e.line, e.field) for r in rejected for e in r.errors] == [(3, column)]
    assert reason in rejected[0].errors[0].reason


def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path) -> None:
    row = acled_row(event_date="soon", latitude="", fatalities="some")
    _, rejected = read_all(acled_file(tmp_path / "a.csv", row), "acled")
    assert [e.field for e in rejected[0].errors] == ["event_date", "latitude", "fatalities"]


def test_an_empty_geo_precision_is_unknown(tmp_path: Path) -> None:
    drafts, _ = read_all(acled_file(tmp_path / "a.csv", acled_row(geo_precision="")), "acled")
    assert drafts[0].precision is None


def test_admin_columns_are_not_required_but_the_rest_are_named(tmp_path: Path) -> None:
    keep = [c for c in ACLED_HEADER if c not in ("admin1", "admin2", "notes", "fatalities")]
    path = write_rows(tmp_path / "a.csv", [keep])
    with pytest.raises(ImportRejected) as caught:
        read_all(path, "acled")
    assert caught.value.errors[0].reason == "missing required column(s): fatalities, notes"


def test_the_acled_month_names_cover_the_year() -> None:
    days = [acled.event_date(f"1 {m} 2021") for m in ("January", "June", "December")]
    assert [d.month for d in days] == [1, 6, 12]
