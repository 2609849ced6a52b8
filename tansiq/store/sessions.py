"""Web page sessions: rows keyed by the SHA-256 of the cookie, each ending at a set time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import sessions


def add_session(
    conn: Connection, token_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> None:
    """Start a session, and sweep the sessions that have ended (no timer needed)."""
    conn.execute(sessions.delete().where(sessions.c.expires_at <= now))
    conn.execute(
        sessions.insert().values(
            token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
        )
    )


def session_user(conn: Connection, token_hash: str, now: datetime) -> int | None:
    """The user of a session that has not ended, else None."""
    query = sa.select(sessions.c.user_id).where(
        sessions.c.token_hash == token_hash, sessions.c.expires_at > now
    )
    found = conn.execute(query).scalar()
    return int(found) if found is not None else None


def end_session(conn: Connection, token_hash: str) -> bool:
    """Delete a session; False if there was none."""
    return conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash)).rowcount > 0


def end_sessions_of(conn: Connection, user_id: int) -> int:
    """Delete every session of a user (their password or role changed); how many."""
    return int(conn.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount)
