"""The command line as a user runs it, on a real database: `tansiq.cli.main` in this process (see
tests/cli/runner.py), and `python -m tansiq` itself where the process is the point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.runner import tansiq, tansiq_process  # other modules import tansiq from here too
from tests.conftest import REPO, SHIPPED_UCDP

SHIPPED_ROWS = 7_219


@pytest.fixture
def initialised(db_url: str) -> str:
    tansiq("init", db=db_url)
    return db_url


@pytest.mark.slow
def test_init_is_idempotent(db_url: str) -> None:
    first = json.loads(tansiq("init", "--json", db=db_url).stdout)
    again = json.loads(tansiq("init", "--json", db=db_url).stdout)
    assert first["previous_schema"] is None
    assert again["previous_schema"] == again["schema"] == first["schema"]
    assert first["areas"] == again["areas"] == 18 + 101 + 294
    assert first["public_key"].startswith("ed25519:")
    assert again["public_key"] == first["public_key"], "the node's key is made once"


@pytest.mark.slow
def test_shipped_ucdp_imports_whole_then_unchanged(initialised: str) -> None:
    first = json.loads(tansiq("import", "ucdp", str(SHIPPED_UCDP), "--json", db=initialised).stdout)
    assert first == {
        "read": SHIPPED_ROWS,
        "imported": SHIPPED_ROWS,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    again = json.loads(tansiq("import", "ucdp", str(SHIPPED_UCDP), "--json", db=initialised).stdout)
    assert again == {
        "read": SHIPPED_ROWS,
        "imported": 0,
        "updated": 0,
        "unchanged": SHIPPED_ROWS,
        "rejected": 0,
    }


def _join_disputed_ids() -> set[str]:
    """Events the shipped COD join file places in a UNAMI disputed district (1989-2017)."""
    join = REPO / "tests" / "geo" / "data" / "ucdp_ged_irq_cod2019_join.csv"
    with join.open(encoding="utf-8") as f:
        return {
            r["id"]
            for r in csv.DictReader(f)
            if r["unami_disputed_district"] == "Y" and int(r["year"]) <= 2017
        }


@pytest.mark.slow
def test_incidents_disputed_returns_the_events_in_disputed_districts(initialised: str) -> None:
    tansiq("import", "ucdp", str(SHIPPED_UCDP), db=initialised)
    listed = json.loads(tansiq("incidents", "--disputed", db=initialised).stdout)
    assert listed, "there are UCDP events in the disputed districts"
    assert all(i["disputed"] for i in listed)
    for key in (
        "id",
        "source",
        "source_id",
        "date",
        "latitude",
        "longitude",
        "adm1_pcode",
        "adm2_pcode",
        "adm3_pcode",
        "disputed",
        "fatalities",
    ):
        assert key in listed[0]
    ours = {i["source_id"] for i in listed}
    theirs = _join_disputed_ids()
    # The join snaps points to districts by a 0.05° tolerance and ignores Mandali; we place
    # exactly. The two must agree on all but a handful of border-line events.
    assert len(ours ^ theirs) <= 0.02 * len(theirs), (len(ours), len(theirs), len(ours ^ theirs))


@pytest.mark.slow
def test_incident_formats_agree(initialised: str) -> None:
    tansiq("import", "ucdp", str(SHIPPED_UCDP), db=initialised)
    args = ("incidents", "--area", "IQG13Q04", "--from", "2017-01-01", "--to", "2017-12-31")
    records = json.loads(tansiq(*args, db=initialised).stdout)
    geo = json.loads(tansiq(*args, "--format", "geojson", db=initialised).stdout)
    rows = list(
        csv.DictReader(io.StringIO(tansiq(*args, "--format", "csv", db=initialised).stdout))
    )
    assert len(records) == len(geo["features"]) == len(rows) > 0
    assert all(r["adm2_pcode"] == "IQG13Q04" and r["date"].startswith("2017") for r in records)
    assert [r["source_id"] for r in rows] == [r["source_id"] for r in records]


@pytest.mark.slow
def test_areas_and_locate(initialised: str) -> None:
    disputed = json.loads(
        tansiq("areas", "--level", "2", "--disputed", "--json", db=initialised).stdout
    )
    assert len(disputed) == 14
    assert {a["name_en"] for a in disputed} >= {"Sinjar", "Kirkuk", "Khanaqin", "Makhmour"}
    where = json.loads(tansiq("locate", "35.78", "43.58", "--json", db=None).stdout)
    assert where["adm2_pcode"] == "IQG11Q04"  # Makhmour
    assert where["disputed"]
    assert where["kurdistan_region"]
    assert where["adm2_ar"] == "مخمور"


@pytest.mark.slow
def test_commands_on_an_uninitialised_database_say_so(db_url: str) -> None:
    done = tansiq("incidents", db=db_url, check=False)
    assert done.returncode == 1
    assert "tansiq init" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_bad_options_are_usage_errors(initialised: str) -> None:
    for args in (
        ("incidents", "--from", "yesterday"),
        ("incidents", "--area", "Kirkuk"),
        ("incidents", "--area", "IQG99"),
        ("areas", "--level", "4"),
    ):
        done = tansiq(*args, db=initialised, check=False)
        assert done.returncode in (1, 2), args
        assert "Traceback" not in done.stderr
        assert done.stderr.strip(), args


def test_missing_import_file_is_a_usage_error(tmp_path: Path) -> None:
    done = tansiq("import", "ucdp", str(tmp_path / "nope.csv"), db=None, check=False, cwd=tmp_path)
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_a_bad_setting_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Through `python -m tansiq` itself: the entry point, its environment read at start-up, and
    main's one-line error with exit code 1."""
    done = tansiq_process(
        "areas", db=None, check=False, cwd=tmp_path, env={"TANSIQ_IMPORT_BATCH_ROWS": "zero"}
    )
    assert done.returncode == 1
    assert "TANSIQ_IMPORT_BATCH_ROWS" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_setting_in_process_too(tmp_path: Path) -> None:
    done = tansiq(
        "areas", db=None, check=False, cwd=tmp_path, env={"TANSIQ_IMPORT_BATCH_ROWS": "zero"}
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: bad setting: TANSIQ_IMPORT_BATCH_ROWS"), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("locate", "35.78", "43.58", "--json"),
        ("locate", "35.78", "43.58"),
        ("locate", "95", "43.58"),
        ("incidents", "--db", "sqlite:///{tmp}/none.db"),
    ],
    ids=["json", "table", "usage-error", "typed-error"],
)
def test_in_process_runs_say_what_the_process_says(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The in-process runner gives the exit code, stdout and stderr of a real process. (Click
    names the program as it was started: `python -m tansiq` there, `tansiq` as the installed
    command and in process.)"""
    argv = [a.format(tmp=tmp_path) for a in args]
    process = tansiq_process(*argv, db=None, check=False, cwd=tmp_path)
    in_process = tansiq(*argv, db=None, check=False, cwd=tmp_path)
    assert process.stdout or process.stderr
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        process.returncode,
        process.stdout,
        process.stderr.replace("python -m tansiq", "tansiq"),
    )
