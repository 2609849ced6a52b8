"""What routes get from the app: the settings, the engine and a read transaction."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.engine import Connection

from tansiq.settings import Settings
from tansiq.store.database import reading


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def read_conn(request: Request) -> Iterator[Connection]:
    """One read transaction per request: the whole answer comes from one snapshot."""
    with reading(request.app.state.engine) as conn:
        yield conn
