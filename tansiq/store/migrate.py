"""Creating and upgrading the schema with Alembic, programmatically (no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from tansiq.store.database import writing

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of tansiq."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "tansiq ships at least one migration"
    return head


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision in one transaction; returns (before, after)."""
    config = _config()
    with writing(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, head_revision()
