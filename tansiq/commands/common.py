"""What every command shares: options, settings from the environment, output helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from tansiq.errors import InvalidInput
from tansiq.settings import Settings
from tansiq.store.database import create_db_engine

err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: TANSIQ_DB or ./tansiq.db).", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")]


def settings_from(db: str | None) -> Settings:
    """The node's settings from TANSIQ_* variables, with a `--db` option on top."""
    try:
        return Settings().with_db(db)
    except ValidationError as exc:
        problems = "; ".join(
            f"TANSIQ_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"bad setting: {problems}") from None


@contextmanager
def engine_for(db: str | None) -> Iterator[Engine]:
    """An engine on the node's database for the length of one command."""
    with engine_at(settings_from(db).db) as engine:
        yield engine


@contextmanager
def engine_at(url: str) -> Iterator[Engine]:
    """An engine on the database at `url`, disposed of when the block ends, failing or not."""
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


@contextmanager
def progress(label: str, unit: str) -> Iterator[Callable[[int], None]]:
    """A things-so-far spinner on a terminal's stderr; silent otherwise (rich would still print
    a blank line, which would come before an error message)."""
    if not err.is_terminal:
        yield lambda _: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}: {task.completed:,} " + unit))
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done: bar.update(task, completed=done)
