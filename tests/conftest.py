"""Shared fixtures: a fresh database per test (SQLite file or PostgreSQL database), a frozen clock.

PostgreSQL tests run against the server `scripts/test` starts (TANSIQ_TEST_PG); each test gets
its own database, dropped afterwards. With TANSIQ_REQUIRE_PG=1 (as in CI) a missing server is an
error, not a skip.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine, make_url

from tansiq import accounts
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import areas
from tansiq.settings import Settings, sqlite_url
from tansiq.store import migrate
from tansiq.store.areas import load_areas
from tansiq.store.database import create_db_engine, writing

REPO = Path(__file__).resolve().parents[1]
SHIPPED_UCDP = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
FROZEN_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_server() -> str | None:
    url = os.environ.get("TANSIQ_TEST_PG")
    if not url and os.environ.get("TANSIQ_REQUIRE_PG") == "1":
        pytest.fail("TANSIQ_REQUIRE_PG=1 but TANSIQ_TEST_PG is not set")
    return url


@contextmanager
def _admin(server: str) -> Iterator[sa.Connection]:
    """An autocommit connection to the server's `postgres` database (CREATE and DROP DATABASE
    cannot run inside a transaction)."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _pg_schema_url(server: str, schema: str) -> str:
    """A new empty schema in the server's `postgres` database, and a URL that works in it
    (for the multi-node tests, whose servers migrate their own database with `tansiq init`)."""
    with _admin(server) as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    return f"{server}?options=-csearch_path%3D{schema}"


def _pg_drop(server: str, schema: str) -> None:
    with _admin(server) as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def _pg_database_url(server: str, database: str, template: str | None = None) -> str:
    """A new database on the server (a copy of `template`, or empty), and its URL."""
    copy = f' TEMPLATE "{template}"' if template else ""
    with _admin(server) as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"{copy}')
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def _pg_drop_database(server: str, database: str) -> None:
    """Drop a test's database, ending any session a test left open on it (a server process
    that was killed, a connection never closed) instead of failing on it."""
    with _admin(server) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of each backend, made for this test alone: empty, unless the test
    also uses `engine` (see there).

    On PostgreSQL the test's database is a database of its own on the server, dropped
    afterwards. A test that uses `engine` gets a copy of `_pg_template` (made here, before any
    connection to it, because PostgreSQL copies a database only as it creates it); every other
    test gets an empty one."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "node.db")
        return
    server = _pg_server()
    if server is None:
        pytest.skip("no PostgreSQL server: run the suite with scripts/test")
    template = request.getfixturevalue("_pg_template") if "engine" in request.fixturenames else None
    database = f"t_{uuid.uuid4().hex[:12]}"
    yield _pg_database_url(server, database, template)
    _pg_drop_database(server, database)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db=db_url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the shipped areas, made once per test process: a test's
    own database is a copy of it (a file copy takes a millisecond; migrating, a tenth of a
    second, which over a thousand SQLite tests was a minute of the suite)."""
    path = tmp_path_factory.mktemp("template") / "node.db"
    eng = create_db_engine(sqlite_url(path))
    _migrate(eng)
    eng.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """The name of a migrated PostgreSQL database with the shipped areas, made once per test
    process (so the two xdist workers never share one): a test's `engine` database is created
    from it with CREATE DATABASE ... TEMPLATE, a file-level copy of its tables, indexes,
    constraints, sequences, rows and alembic_version. A copy takes 0.02 s on the server
    scripts/test starts (in memory: see there; 0.4 s on this machine's disk); migrating and
    loading the areas, 0.25 s, which over eight hundred PostgreSQL tests was most of their
    setup.

    The areas are ANALYZEd once built. Autovacuum would do it anyway (the template lives for
    the whole run), at a moment of its choosing: copies made before and after would plan their
    queries over the areas differently. Analysed at once, every copy is the same, and like a
    node's database a minute after `tansiq init`. Nothing connects to the template after that
    (ALLOW_CONNECTIONS false, which a copy does not inherit): PostgreSQL refuses to copy a
    database someone is connected to."""
    server = _pg_server()
    assert server is not None, "only PostgreSQL tests ask for the template"
    name = f"template_{uuid.uuid4().hex[:12]}"
    eng = create_db_engine(_pg_database_url(server, name))
    try:
        _migrate(eng)
        with writing(eng) as conn:
            conn.exec_driver_sql("ANALYZE areas")
    finally:
        eng.dispose()
    with _admin(server) as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    yield name
    _pg_drop_database(server, name)


def _migrate(eng: Engine) -> None:
    migrate.upgrade(eng)
    with writing(eng) as conn:
        load_areas(conn, areas())


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database with the shipped areas loaded: a copy of the test process's
    template (`_sqlite_template`, `_pg_template`), identical to a database migrated for the
    test, at a fraction of the cost."""
    if db_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, str(make_url(db_url).database))
    # on PostgreSQL, `db_url` already made the database as a copy of `_pg_template`
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def bare_engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on an empty database (no tables)."""
    assert "engine" not in request.fixturenames, "a test has either `engine` or `bare_engine`"
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


class _HashOnce(PasswordHasher):
    """tansiq's password hasher (argon2id, the same parameters) that hashes a password, and
    verifies a (hash, password) pair, once per test process and then repeats the answer."""

    def __init__(self, real: PasswordHasher) -> None:
        super().__init__(
            time_cost=real.time_cost,
            memory_cost=real.memory_cost,
            parallelism=real.parallelism,
            hash_len=real.hash_len,
            salt_len=real.salt_len,
            type=real.type,
        )
        self._hashes: dict[str | bytes, str] = {}
        self._verdicts: dict[
            tuple[str | bytes, str | bytes], VerificationError | InvalidHashError | None
        ] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        if salt is not None:
            return super().hash(password, salt=salt)
        if password not in self._hashes:
            self._hashes[password] = super().hash(password)
        return self._hashes[password]

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        key = (hash, password)
        if key not in self._verdicts:
            try:
                super().verify(hash, password)
                self._verdicts[key] = None
            except (VerificationError, InvalidHashError) as exc:
                self._verdicts[key] = exc
        refused = self._verdicts[key]
        if refused is not None:
            raise type(refused)(*refused.args)
        return True


@pytest.fixture(scope="session", autouse=True)
def _passwords_hashed_once() -> Iterator[None]:
    """Every password hashed and checked in this process goes through `_HashOnce`.

    argon2id with tansiq's parameters (64 MiB, three passes) costs about 0.1 s on the CI
    machine, twice that with the other worker busy, and the fixtures give users the same few
    passwords hundreds of times over: in tests/web, tests/taxii and tests/api, 615 hashes and
    341 checks took 200 of the 600 seconds the two workers spent. A test still gets a real
    argon2id hash of its password and a real check of what a person typed against it (the
    first time in the process, the later times the same answer); what it no longer gets is a
    new salt for each user with the same password, which no test looks at. Servers and
    commands the tests start in processes of their own hash as tansiq does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", _HashOnce(accounts._hasher))
        yield


@pytest.fixture(scope="session")
def locator() -> AreaLocator:
    """The shipped-geography locator, built once for the whole run (it is immutable)."""
    return AreaLocator.from_shipped()


def frozen_clock() -> datetime:
    return FROZEN_NOW


def pytest_configure(config: pytest.Config) -> None:
    """Python's garbage collector runs a young collection every 10,000 allocations, not 700.

    Most tests build a FastAPI app (tens of thousands of objects in reference cycles) that lives
    through many young collections, reaches the oldest generation and is freed only by a full
    collection, which walks the whole heap of the test process (600,000-750,000 objects, about
    0.5 s). At the default thresholds (700, 10, 10) a worker ran one every five or six tests:
    in tests/taxii and the admin pages, 59 full collections took 31-33 s of a 138-154 s run;
    at (10,000, 10, 10), 22 took 6 s, and all collections together 18 s instead of 36.
    Everything is still collected, a little later (an unclosed resource found by a collection
    still fails the test that is running then)."""
    gc.set_threshold(10_000, 10, 10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with slow or browser tests first, each in its own order.

    scripts/test gives each xdist worker whole files (`--dist loadfile`) in collection order: a
    slow file collected last (tests/web and tests/multinode sort late) kept one worker busy for
    minutes after the other had run out of work. Started first, they run beside the many quick
    files instead. The order is the same in every worker, as xdist requires."""
    slow = {
        item.path
        for item in items
        if any(item.iter_markers("slow")) or any(item.iter_markers("browser"))
    }
    items.sort(key=lambda item: item.path not in slow)
