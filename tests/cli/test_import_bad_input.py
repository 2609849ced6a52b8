"""Bad input to `tansiq import`: a clear error, the right exit code, and nothing changed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tansiq.store.database import create_db_engine
from tests.cli.runner import tansiq
from tests.conftest import REPO, SHIPPED_UCDP
from tests.importers.files import ACLED_HEADER

CAIRO = ("30.0444", "31.2357")


def shipped_rows(count: int, skip: int = 0) -> tuple[list[str], list[str], list[list[str]]]:
    """The shipped file's header, HXL row and `count` data rows."""
    with SHIPPED_UCDP.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, hxl = next(reader), next(reader)
        rows = [row for _, row in zip(range(skip + count), reader, strict=False)][skip:]
    return header, hxl, rows


def write_ucdp(path: Path, header: list[str], hxl: list[str] | None, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        if hxl:
            writer.writerow(hxl)
        writer.writerows(rows)
    return path


def snapshot(db_url: str) -> tuple[int, str]:
    """How many incidents are stored, and a digest of all of them (small enough to diff)."""
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT source, source_id, content_hash, fatalities, adm3_pcode FROM incidents "
                "ORDER BY source, source_id"
            )
        ).all()
    engine.dispose()
    return len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


@pytest.fixture
def populated(db_url: str, tmp_path: Path) -> str:
    """A database holding 5 shipped events (the state a bad import must not change)."""
    tansiq("init", db=db_url)
    header, hxl, rows = shipped_rows(5)
    tansiq("import", "ucdp", str(write_ucdp(tmp_path / "first.csv", header, hxl, rows)), db=db_url)
    return db_url


def _bad_file(tmp_path: Path) -> Path:
    header, hxl, rows = shipped_rows(6, skip=5)
    col = {name: i for i, name in enumerate(header)}
    rows[1][col["date_start"]] = "2017-02-30"  # line 4
    rows[2][col["latitude"]] = "abc"  # line 5
    rows[4][col["latitude"]], rows[4][col["longitude"]] = CAIRO  # line 7
    return write_ucdp(tmp_path / "bad.csv", header, hxl, rows)


@pytest.mark.slow
def test_a_file_with_invalid_rows_is_rejected_whole(populated: str, tmp_path: Path) -> None:
    before = snapshot(populated)
    done = tansiq("import", "ucdp", str(_bad_file(tmp_path)), db=populated, check=False)
    assert done.returncode == 1
    assert "3 invalid row(s); nothing was stored" in done.stderr
    for expected in (
        "line 4: date_start",
        "line 5: latitude",
        "line 7: latitude/longitude",
        "outside Iraq",
    ):
        assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(populated) == before
    assert not (tmp_path / "bad.csv.rejected.csv").exists()


@pytest.mark.slow
def test_skip_invalid_keeps_the_valid_rows_and_files_the_rest(
    populated: str, tmp_path: Path
) -> None:
    bad = _bad_file(tmp_path)
    done = tansiq("import", "ucdp", str(bad), "--skip-invalid", "--json", db=populated)
    assert json.loads(done.stdout) == {
        "read": 6,
        "imported": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 3,
    }
    assert snapshot(populated)[0] == 5 + 3
    with (tmp_path / "bad.csv.rejected.csv").open(encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [r["line"] for r in rejected] == ["4", "5", "7"]
    assert rejected[1]["latitude"] == "abc"
    assert "outside Iraq" in rejected[2]["reason"]
    _, _, originals = shipped_rows(6, skip=5)
    assert rejected[0]["source_headline"] == originals[1][20]  # the original text is kept


@pytest.mark.slow
def test_a_changed_upstream_row_is_updated(populated: str, tmp_path: Path) -> None:
    header, hxl, rows = shipped_rows(5)
    rows[2][header.index("best")] = str(int(rows[2][header.index("best")]) + 10)
    done = tansiq(
        "import",
        "ucdp",
        str(write_ucdp(tmp_path / "fix.csv", header, hxl, rows)),
        "--json",
        db=populated,
    )
    assert json.loads(done.stdout) == {
        "read": 5,
        "imported": 0,
        "updated": 1,
        "unchanged": 4,
        "rejected": 0,
    }


@pytest.mark.slow
def test_an_id_repeated_in_one_file_is_rejected(populated: str, tmp_path: Path) -> None:
    header, hxl, rows = shipped_rows(3, skip=10)
    path = write_ucdp(tmp_path / "dup.csv", header, hxl, [*rows, rows[0]])
    done = tansiq("import", "ucdp", str(path), db=populated, check=False)
    assert done.returncode == 1
    assert "line 6: id: duplicate id" in done.stderr
    assert "first at line 3" in done.stderr


def _files(tmp_path: Path) -> dict[str, Path]:
    header, hxl, rows = shipped_rows(3)
    good_text = tmp_path / "x.csv"
    write_ucdp(good_text, header, hxl, rows)
    arabic = [list(r) for r in rows]
    arabic[0][header.index("source_headline")] = "اشتباك قرب كركوك"
    cp1256 = tmp_path / "cp1256.csv"
    with cp1256.open("w", newline="", encoding="cp1256", errors="replace") as f:
        csv.writer(f).writerows([header, hxl, *arabic])
    latin = tmp_path / "latin.csv"
    latin.write_bytes(good_text.read_bytes() + "99,é\n".encode("latin-1"))
    columns = write_ucdp(
        tmp_path / "columns.csv",
        [h for h in header if h != "latitude"],
        None,
        [r[:26] + r[27:] for r in rows],
    )
    png = tmp_path / "map.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    as_json = tmp_path / "events.csv"
    as_json.write_text(json.dumps([{"id": 1, "latitude": 35.4}]), encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    return {
        "not valid UTF-8": latin,
        "missing": columns,
        "PNG": png,
        "JSON": as_json,
        "empty": empty,
        "cp1256": cp1256,
    }


@pytest.mark.slow
def test_files_that_are_not_ucdp_csv_are_rejected_clearly(populated: str, tmp_path: Path) -> None:
    before = snapshot(populated)
    for name, path in _files(tmp_path).items():
        for mode in ((), ("--skip-invalid",)):
            done = tansiq("import", "ucdp", str(path), *mode, db=populated, check=False)
            assert done.returncode == 1, (name, done.stdout)
            assert "Traceback" not in done.stderr, name
            assert "line" in done.stderr, (name, done.stderr)
    assert snapshot(populated) == before


@pytest.mark.slow
def test_acled_files_import_with_both_date_formats(db_url: str, tmp_path: Path) -> None:
    tansiq("init", db=db_url)
    header = ACLED_HEADER
    # Synthetic test rows (not real events) at real places.
    rows = [
        [
            "IRQ1",
            "2020-03-05",
            "2020",
            "Explosions/Remote violence",
            "Remote explosive/landmine/IED",
            "Islamic State (Iraq)",
            "Military Forces of Iraq",
            "Kirkuk",
            "Hawija",
            "Al-Hawiga",
            "35.3148",
            "43.7601",
            "1",
            "Synthetic test source",
            "Synthetic test row.",
            "2",
        ],
        [
            "IRQ2",
            "06 March 2020",
            "2020",
            "Battles",
            "Armed clash",
            "Islamic State (Iraq)",
            "Peshmerga",
            "Diyala",
            "Khanaqin",
            "Khanaqin",
            "34.3480",
            "45.3850",
            "2",
            "Synthetic test source",
            "Synthetic test row.",
            "0",
        ],
    ]
    path = tmp_path / "acled.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    done = tansiq("import", "acled", str(path), "--json", db=db_url)
    assert json.loads(done.stdout)["imported"] == 2
    listed = json.loads(tansiq("incidents", "--disputed", db=db_url).stdout)
    assert {(i["source_id"], i["date"], i["adm2_pcode"]) for i in listed} == {
        ("IRQ1", "2020-03-05", "IQG13Q01"),
        ("IRQ2", "2020-03-06", "IQG10Q05"),
    }


def _big_file(tmp_path: Path, rows: int) -> Path:
    header, hxl, templates = shipped_rows(1000)
    out = []
    for i in range(rows):
        row = list(templates[i % len(templates)])
        row[0] = str(50_000_000 + i)
        out.append(row)
    return write_ucdp(tmp_path / "big.csv", header, hxl, out)


def _wait_for_writes(db_url: str, proc: subprocess.Popen[bytes]) -> None:
    """Block until the import has written rows into its open transaction.

    On SQLite the rows stay in the connection's page cache until the commit, which writes them
    all to the WAL at once, so the WAL cannot tell: the import's write lock can. Once it is
    held, a second lets several batches in; the import needs seconds more before it commits.
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db_url.startswith("sqlite"):
            if _sqlite_write_locked(db_url):
                time.sleep(1.0)
                if proc.poll() is None and _sqlite_write_locked(db_url):
                    return
        elif _pg_inserting(db_url):
            return
        time.sleep(0.05)
    raise AssertionError("the import finished or stalled before it could be killed mid-batch")


def _sqlite_write_locked(db_url: str) -> bool:
    """Whether another connection holds the database's write lock."""
    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _pg_inserting(db_url: str) -> bool:
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        busy = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'INSERT INTO incidents%' "
                "AND pid <> pg_backend_pid() AND datname = current_database()"
            )
        ).scalar_one()
    engine.dispose()
    return bool(busy)


@pytest.mark.slow
def test_kill_9_during_an_import_leaves_the_previous_state(populated: str, tmp_path: Path) -> None:
    before = snapshot(populated)
    big = _big_file(tmp_path, 150_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tansiq", "import", "ucdp", str(big), "--db", populated],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TANSIQ_IMPORT_BATCH_ROWS": "5000"},
    )
    _wait_for_writes(populated, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(populated) == before
    again = json.loads(tansiq("import", "ucdp", str(big), "--json", db=populated).stdout)
    assert again["imported"] == 150_000
    assert snapshot(populated)[0] == before[0] + 150_000
