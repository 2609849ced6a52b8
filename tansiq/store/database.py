"""Opening the database: one engine per node, reads and writes as separate transactions.

SQLite (the default) runs in WAL mode with one writer: every write transaction starts with
`BEGIN IMMEDIATE`, so a writer takes the write lock up front instead of failing half-way
through a batch, and readers keep reading the last committed state meanwhile. PostgreSQL
runs the same statements in ordinary transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from tansiq.errors import InvalidInput, StoreNotReady

_WRITE = "tansiq_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin listener decide how transactions start (DEFERRED or IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # 16 KiB pages for a new database (no effect on an existing one): a stored STIX object is
    # one to three KiB, which 4 KiB pages hold one per page with the rest wasted; larger pages
    # pack them, so writing a synced batch costs about a third less.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is crash-safe in WAL mode (a killed process loses nothing committed).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 128 MiB of page cache: big imports update indexes in random order, and with SQLite's
    # 2 MiB default they spend most of their time re-reading index pages.
    cursor.execute("PRAGMA cache_size=-131072")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(url: str) -> Engine:
    """An engine for a SQLite file or a PostgreSQL URL; other databases are refused."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInput(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise InvalidInput(
        f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL"
    )


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database in (None, "", ":memory:"):
        raise InvalidInput("tansiq needs a SQLite file, not an in-memory database")
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction: sees one consistent snapshot."""
    with engine.connect() as conn, conn.begin():
        yield conn


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: all or nothing, and the only writer while it lasts (on SQLite)."""
    with engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
        yield conn


def require_schema(conn: Connection) -> None:
    """Raise StoreNotReady unless `tansiq init` has created the tables."""
    if not sa.inspect(conn).has_table("alembic_version"):
        raise StoreNotReady("the database has no tansiq tables yet: run `tansiq init` first")
