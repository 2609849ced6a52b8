"""Shared fixtures: a fresh database per test (SQLite file or PostgreSQL schema), a frozen clock.

PostgreSQL tests run against the server `scripts/test` starts (TANSIQ_TEST_PG); each test gets
its own schema, dropped afterwards. With TANSIQ_REQUIRE_PG=1 (as in CI) a missing server is an
error, not a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

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


def _pg_schema_url(server: str, schema: str) -> str:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    return f"{server}?options=-csearch_path%3D{schema}"


def _pg_drop(server: str, schema: str) -> None:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each backend, made for this test alone."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "node.db")
        return
    server = _pg_server()
    if server is None:
        pytest.skip("no PostgreSQL server: run the suite with scripts/test")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield _pg_schema_url(server, schema)
    _pg_drop(server, schema)


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


def _migrate(eng: Engine) -> None:
    migrate.upgrade(eng)
    with writing(eng) as conn:
        load_areas(conn, areas())


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database with the shipped areas loaded."""
    if db_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, str(make_url(db_url).database))
        eng = create_db_engine(db_url)
    else:
        eng = create_db_engine(db_url)
        _migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def bare_engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no tables)."""
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def locator() -> AreaLocator:
    """The shipped-geography locator, built once for the whole run (it is immutable)."""
    return AreaLocator.from_shipped()


def frozen_clock() -> datetime:
    return FROZEN_NOW


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
