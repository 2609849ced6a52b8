from __future__ import annotations

from pathlib import Path

import pytest

from tansiq.errors import InvalidInput, StoreNotReady
from tansiq.settings import sqlite_url
from tansiq.store.database import create_db_engine, reading, require_schema, writing


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_db_engine(sqlite_url(tmp_path / "n.db"))
    with reading(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_readers_see_the_last_commit_while_a_write_is_open(tmp_path: Path) -> None:
    engine = create_db_engine(sqlite_url(tmp_path / "n.db"))
    with writing(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with writing(engine) as writer:
        writer.exec_driver_sql("INSERT INTO t VALUES (2)")
        with reading(engine) as reader:
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    with reading(engine) as reader:
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
    engine.dispose()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "mysql://x@y/z", "not a url at all"]
)
def test_unsupported_databases_are_refused_clearly(url: str) -> None:
    with pytest.raises(InvalidInput):
        create_db_engine(url)


def test_an_uninitialised_database_says_to_run_init(tmp_path: Path) -> None:
    engine = create_db_engine(sqlite_url(tmp_path / "n.db"))
    with pytest.raises(StoreNotReady, match="tansiq init"), reading(engine) as conn:
        require_schema(conn)
    engine.dispose()
