from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from tansiq.store import migrate
from tansiq.store.database import reading
from tansiq.store.schema import metadata


def test_upgrade_creates_every_table_at_head(bare_engine: Engine) -> None:
    before, after = migrate.upgrade(bare_engine)
    assert before is None
    assert after == migrate.head_revision()
    with reading(bare_engine) as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"partners", "areas", "incidents", "positions", "import_runs"} <= tables


def test_upgrade_is_idempotent(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine)
    before, after = migrate.upgrade(bare_engine)
    assert before == after == migrate.head_revision()


def test_migrations_build_exactly_the_declared_schema(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine)
    with reading(bare_engine) as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
