"""What routes get from the app: the settings, the engine and a read transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Connection

from tansiq.settings import Settings
from tansiq.store.database import reading


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def root_path(request: Request) -> str:
    """The path prefix the node is served under ("" at the root), for links and redirects."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def read_conn(request: Request) -> Iterator[Connection]:
    """One read transaction per request: the whole answer comes from one snapshot."""
    with reading(request.app.state.engine) as conn:
        yield conn


def now(request: Request) -> datetime:
    """The app's clock if it has one (`app.state.clock`, for tests), else the wall clock."""
    return state_now(request.app.state)


def state_now(state: Any) -> datetime:
    """`now` for work outside a request (the validator's thread), from the app's state."""
    clock: Callable[[], datetime] | None = getattr(state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)
