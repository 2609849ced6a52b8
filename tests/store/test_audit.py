"""The audit chain as stored, tampered with through plain SQL, and checked by `tansiq audit`."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from threading import Barrier
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from tansiq.commands.audit import audit_app
from tansiq.domain.audit import GENESIS, Breach
from tansiq.errors import InvalidInput, TansiqError
from tansiq.store.audit import append, entries, latest, verify
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW

BAGHDAD = timezone(timedelta(hours=3))


def record(engine: Engine, n: int, **overrides: Any) -> list[int]:
    """Append n entries, one transaction each, as the node's actions would."""
    seqs = []
    for i in range(n):
        values: dict[str, Any] = {
            "at": FROZEN_NOW + timedelta(minutes=i),
            "actor": "alice",
            "action": "report.release",
            "subject": f"report--{i + 1}",
            "detail": {"to": ["UN"], "tlp": "amber", "i": i},
        }
        values.update(overrides)
        with writing(engine) as conn:
            seqs.append(append(conn, **values))
    return seqs


def tamper(engine: Engine, sql: str) -> None:
    with writing(engine) as conn:
        conn.exec_driver_sql(sql)


def audit(*args: str, db: str) -> Any:
    """`tansiq audit ARGS --db DB`, in-process."""
    return CliRunner().invoke(audit_app, [*args, "--db", db])


def test_appends_chain_up_and_verify_intact(engine: Engine) -> None:
    assert record(engine, 4) == [1, 2, 3, 4]
    with reading(engine) as conn:
        verdict = verify(conn)
        head = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
        first = conn.exec_driver_sql("SELECT prev_hash FROM audit_log WHERE seq = 1").scalar()
        last = conn.exec_driver_sql("SELECT hash FROM audit_log WHERE seq = 4").scalar()
    assert verdict.ok
    assert verdict.entries == 4
    assert tuple(head) == (4, last)
    assert first == GENESIS


def test_an_empty_log_is_intact(engine: Engine) -> None:
    with reading(engine) as conn:
        verdict = verify(conn)
    assert (verdict.ok, verdict.entries) == (True, 0)


def test_entries_read_back_as_appended_in_utc(engine: Engine) -> None:
    at = FROZEN_NOW.astimezone(BAGHDAD) + timedelta(microseconds=7)
    record(engine, 1, at=at, subject="ريبورت--1", detail={"z": 1, "a": [1.5, None]})
    with reading(engine) as conn:
        (entry,) = entries(conn)
    assert entry.at == at
    assert entry.at.utcoffset() == timedelta(0)
    assert (entry.subject, entry.detail) == ("ريبورت--1", {"a": [1.5, None], "z": 1})


def test_entries_page_by_seq_and_latest_keeps_the_newest(engine: Engine) -> None:
    record(engine, 6)
    with reading(engine) as conn:
        assert [e.seq for e in entries(conn, after=2, limit=3)] == [3, 4, 5]
        assert [e.seq for e in entries(conn, after=4)] == [5, 6]
        assert [e.seq for e in latest(conn, 2)] == [5, 6]


def test_a_detail_that_is_not_json_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    record(engine, 1)
    with pytest.raises(InvalidInput, match="not JSON"), writing(engine) as conn:
        append(conn, at=FROZEN_NOW, actor="a", action="x", subject="s", detail={"o": object()})
    with reading(engine) as conn:
        assert [e.seq for e in entries(conn)] == [1]
        assert verify(conn).ok


def test_an_edited_detail_is_named(engine: Engine, db_url: str) -> None:
    record(engine, 4)
    tamper(engine, """UPDATE audit_log SET detail = '{"to": ["everyone"]}' WHERE seq = 3""")
    with reading(engine) as conn:
        verdict = verify(conn)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (3, Breach.EDITED, 2)
    done = audit("verify", db=db_url)
    assert done.exit_code == 1
    assert "entry 3 (report.release report--3)" in done.stderr
    assert "edited" in done.stderr


def test_a_detail_that_no_longer_parses_is_reported_as_edited(engine: Engine) -> None:
    record(engine, 2)
    tamper(engine, "UPDATE audit_log SET detail = 'not json' WHERE seq = 1")
    with reading(engine) as conn:
        assert (verify(conn).first_broken, verify(conn).breach) == (1, Breach.EDITED)


def test_a_time_that_no_longer_parses_is_reported_as_edited(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's timestamptz column refuses such a value")
    record(engine, 2)
    tamper(engine, "UPDATE audit_log SET at = 'yesterday' WHERE seq = 2")
    with reading(engine) as conn:
        assert (verify(conn).first_broken, verify(conn).breach) == (2, Breach.EDITED)


def test_a_deleted_middle_entry_is_named(engine: Engine, db_url: str) -> None:
    record(engine, 5)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    with reading(engine) as conn:
        verdict = verify(conn)
    assert (verdict.first_broken, verdict.breach) == (4, Breach.MISSING)
    done = audit("verify", "--json", db=db_url)
    assert done.exit_code == 1
    assert json.loads(done.stdout) == {
        "ok": False,
        "entries": 2,
        "first_broken": 4,
        "reason": "deleted: no entry 3 before it",
    }


def test_a_deleted_last_entry_is_found_through_the_head(engine: Engine, db_url: str) -> None:
    record(engine, 3)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    with reading(engine) as conn:
        verdict = verify(conn)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (3, Breach.HEAD, 2)
    done = audit("verify", db=db_url)
    assert done.exit_code == 1
    assert "audit chain broken at entry 3: deleted: no entry 3 (the newest)" in done.stderr


def test_appending_after_a_deletion_keeps_the_evidence(engine: Engine) -> None:
    record(engine, 3)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    assert record(engine, 1) == [4]
    with reading(engine) as conn:
        assert (verify(conn).first_broken, verify(conn).breach) == (4, Breach.MISSING)


def test_a_deleted_head_is_found_and_appends_refuse_to_restart_the_chain(engine: Engine) -> None:
    record(engine, 2)
    tamper(engine, "DELETE FROM audit_head")
    with reading(engine) as conn:
        assert verify(conn).breach is Breach.HEAD
    with pytest.raises(TansiqError, match="head is missing"):
        record(engine, 1)


def test_concurrent_appends_stay_one_chain(engine: Engine) -> None:
    # Both threads start on an empty log, so they also race to create the head.
    threads, each = 4, 15
    start = Barrier(threads)

    def appender(worker: int) -> list[int]:
        start.wait()
        return record(engine, each, actor=f"worker-{worker}")

    with ThreadPoolExecutor(threads) as pool:
        seqs = [s for done in pool.map(appender, range(threads)) for s in done]
    with reading(engine) as conn:
        verdict = verify(conn)
    assert sorted(seqs) == list(range(1, threads * each + 1))
    assert (verdict.ok, verdict.entries) == (True, threads * each)


def test_cli_verify_says_intact(engine: Engine, db_url: str) -> None:
    record(engine, 3)
    done = audit("verify", db=db_url)
    assert done.exit_code == 0
    assert done.stdout == "audit chain intact: 3 entries\n"
    done = audit("verify", "--json", db=db_url)
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {
        "ok": True,
        "entries": 3,
        "first_broken": None,
        "reason": None,
    }


def test_cli_list_shows_the_newest_last(engine: Engine, db_url: str) -> None:
    record(engine, 5)
    listed = json.loads(audit("list", "--limit", "2", "--json", db=db_url).stdout)
    assert [e["seq"] for e in listed] == [4, 5]
    assert listed[-1]["subject"] == "report--5"
    assert listed[-1]["at"] == "2026-11-25T12:04:00+00:00"
    table = audit("list", db=db_url)
    assert table.exit_code == 0
    assert table.stdout.index("report--1") < table.stdout.index("report--5")


def test_cli_refuses_a_database_without_tables(bare_engine: Engine, db_url: str) -> None:
    done = audit("verify", db=db_url)
    assert done.exit_code == 1
    assert "tansiq init" in str(done.exception)
    with reading(bare_engine) as conn:
        assert not sa.inspect(conn).has_table("audit_log")
