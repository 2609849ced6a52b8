"""`tansiq forecast` on a node's incidents (SQLite and PostgreSQL), and `tansiq forecast
backtest` on event files: output shapes, agreement with the pure forecast, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tansiq.analysis.forecast import predict
from tansiq.analysis.region import region_cells
from tansiq.event_files import read_event_file
from tests.cli.runner import tansiq
from tests.conftest import REPO, SHIPPED_UCDP
from tests.factories import shipped_ucdp_years
from tests.importers.files import ACLED_HEADER, acled_row, write_rows

CELLS_RES_7 = 17_399


@pytest.fixture
def node(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A node holding the shipped UCDP events of 2016-2017, and that slice as a file."""
    events = tmp_path / "ucdp_2016_2017.csv"
    shipped_ucdp_years(events, 2016, 2017)
    tansiq("init", db=db_url)
    tansiq("import", "ucdp", str(events), db=db_url)
    return db_url, events


def test_forecast_json_matches_the_pure_forecast(node: tuple[str, Path]) -> None:
    db, events = node
    shown = json.loads(
        tansiq("forecast", "--month", "2017-06", "--top", "5", "--json", db=db).stdout
    )
    expected = predict(read_event_file(events)[1], "2017-06", 7)
    order = np.argsort(-expected.expected, kind="stable")[:5]
    assert shown["month"] == "2017-06"
    assert shown["cells"] == CELLS_RES_7
    assert [row["cell"] for row in shown["top"]] == [expected.cells[i] for i in order]
    assert [row["expected"] for row in shown["top"]] == pytest.approx(
        expected.expected[order].tolist(), abs=1e-6
    )
    region = {"Ninewa", "Kirkuk", "Diyala", "Salah Al-Din"}
    assert {row["governorate"] for row in shown["top"]} <= region


def test_forecast_defaults_to_the_month_after_the_last_incident(node: tuple[str, Path]) -> None:
    db, _ = node
    shown = json.loads(tansiq("forecast", "--res", "6", "--json", db=db).stdout)
    assert shown["month"] == "2018-01"
    assert shown["res"] == 6
    assert shown["cells"] == len(region_cells(6))


def test_forecast_table_and_csv(node: tuple[str, Path], tmp_path: Path) -> None:
    db, _ = node
    table = tansiq("forecast", "--month", "2017-01", "--top", "3", db=db)
    assert "governorate" in table.stdout
    assert "2017-01" in table.stderr
    out = tmp_path / "risk.csv"
    tansiq("forecast", "--month", "2017-01", "--out", str(out), db=db)
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["month", "cell", "latitude", "longitude", "score"]
    assert [row["cell"] for row in rows] == region_cells(7)
    assert {row["month"] for row in rows} == {"2017-01"}
    assert sum(float(row["score"]) for row in rows) > 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2017-13"], "YYYY-MM"),
        (["--month", "June"], "YYYY-MM"),
        (["--res", "12"], "resolution"),
        (["--top", "0"], "top"),
    ],
)
def test_forecast_bad_input_is_one_line(db_url: str, args: list[str], message: str) -> None:
    tansiq("init", db=db_url)
    done = tansiq("forecast", *args, db=db_url, check=False)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_forecast_on_an_empty_node_says_so(db_url: str) -> None:
    tansiq("init", db=db_url)
    done = tansiq("forecast", db=db_url, check=False)
    assert done.returncode == 1
    assert "no events" in done.stderr


def backtest(*args: str, check: bool = True) -> str:
    done = tansiq("forecast", "backtest", *args, db=None, check=check)
    return done.stdout if check else done.stderr


def test_backtest_json_on_the_shipped_file(tmp_path: Path) -> None:
    out = tmp_path / "predictions.csv"
    summary = json.loads(
        backtest(
            *("--events", str(SHIPPED_UCDP), "--test-from", "2016-10", "--test-to", "2016-12"),
            *("--predictions-out", str(out), "--json"),
        )
    )
    assert summary["source"] == "ucdp"
    assert summary["max_precision"] == 3
    assert summary["months"] == 3
    assert summary["cells"] == CELLS_RES_7
    assert summary["top_1_cells"] == 174
    assert summary["test_events"] > 50
    assert set(summary["models"]) == {"model", "persistence", "mean_12m", "mean_36m", "kde_decay"}
    for scores in summary["models"].values():
        assert 0 <= scores["hit_rate_1"] <= scores["hit_rate_5"] <= 1
        assert scores["pai_1"] == pytest.approx(scores["hit_rate_1"] / (174 / CELLS_RES_7))
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["month", "cell", "score"]
    assert len(rows) == 1 + 3 * CELLS_RES_7
    assert [r[0] for r in rows[1::CELLS_RES_7]] == ["2016-10", "2016-11", "2016-12"]


def test_backtest_reads_acled_keeping_precision_1_and_2(tmp_path: Path) -> None:
    dated = [("2020-01-05", "1"), ("2020-02-05", "2"), ("2020-02-09", "3"), ("2020-03-05", "1")]
    dated.append(("2020-03-07", "3"))  # region or province: as coarse as UCDP 4, left out
    rows = [
        acled_row(event_id_cnty=f"IRQ{i}", event_date=day, geo_precision=precision)
        for i, (day, precision) in enumerate(dated)
    ]
    path = write_rows(tmp_path / "acled.csv", [ACLED_HEADER, *rows])
    summary = json.loads(
        backtest("--events", str(path), "--test-from", "2020-03", "--test-to", "2020-03", "--json")
    )
    assert summary["source"] == "acled"
    assert summary["max_precision"] == 2
    assert summary["events_read"] == 3
    assert summary["test_events"] == 1
    assert summary["models"]["persistence"]["hit_rate_1"] == 1.0  # Al-Hawiga in February too


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--events": "missing.csv"}, "no such file"),
        ({"--events": "README.md"}, "unknown format"),
        ({"--test-from": "2016-1"}, "YYYY-MM"),
        ({"--test-to": "2016-00"}, "YYYY-MM"),
        ({"--test-from": "2016-06", "--test-to": "2016-05"}, "after"),
        ({"--test-from": "1985-01", "--test-to": "1985-02"}, "no events before"),
        ({"--res": "3"}, "resolution"),
    ],
)
def test_backtest_bad_input_is_one_line(change: dict[str, str], message: str) -> None:
    options = {"--events": str(SHIPPED_UCDP), "--test-from": "2016-01", "--test-to": "2016-02"}
    options.update(change)
    error = backtest(*(x for pair in options.items() for x in pair), check=False)
    assert message in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1


# The shared data folder's GED extract, as copied for the geography tests.
SHARED_JOIN = REPO / "tests" / "geo" / "data" / "ucdp_ged_irq_cod2019_join.csv"


def test_backtest_reads_the_shared_ged_extract_like_the_export() -> None:
    months = ("--test-from", "2017-01", "--test-to", "2017-02", "--json")
    extract = json.loads(backtest("--events", str(SHARED_JOIN), *months))
    export = json.loads(backtest("--events", str(SHIPPED_UCDP), *months))
    assert extract["source"] == "ucdp-points"
    assert extract["events_read"] == export["events_read"]
    assert extract["models"] == export["models"]


def test_backtest_rejects_an_extract_with_a_bad_row(tmp_path: Path) -> None:
    header = ["id", "date_start", "latitude", "longitude", "where_prec", "best"]
    good = ["1", "2016-01-05", "35.3148", "43.7601", "1", "2"]
    bad = ["2", "2016-02-30", "35.3148", "43.7601", "9", "2"]
    path = write_rows(tmp_path / "extract.csv", [header, good, bad])
    months = ("--test-from", "2016-02", "--test-to", "2016-02")
    error = backtest("--events", str(path), *months, check=False)
    assert "line 3: date_start" in error
    assert "line 3: where_prec" in error


def test_backtest_rejects_a_file_with_an_invalid_row(tmp_path: Path) -> None:
    rows = [acled_row(event_id_cnty="IRQ1"), acled_row(event_id_cnty="IRQ2", latitude="95")]
    path = write_rows(tmp_path / "acled.csv", [ACLED_HEADER, *rows])
    months = ("--test-from", "2020-03", "--test-to", "2020-03")
    error = backtest("--events", str(path), *months, check=False)
    assert "line 3: latitude" in error
    assert "Traceback" not in error
