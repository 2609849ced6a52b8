"""People and partner-node accounts: a partner, a role, a password hash and a token hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput
from tansiq.store.schema import users


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    partner_code: str
    role: Role
    password_hash: str | None
    language: str | None = None


def add_user(
    conn: Connection,
    *,
    name: str,
    partner_code: str,
    role: Role,
    password_hash: str | None,
    token_hash: str,
    now: datetime,
) -> User:
    values = {
        "name": name,
        "partner_code": partner_code,
        "role": role.value,
        "password_hash": password_hash,
        "token_hash": token_hash,
        "created_at": now,
    }
    try:
        with conn.begin_nested():
            result = conn.execute(users.insert().values(**values))
    except IntegrityError:
        raise InvalidInput(f"a user named {name!r} already exists") from None
    key = result.inserted_primary_key
    assert key is not None
    return User(int(key[0]), name, partner_code, role, password_hash)


def _user(row: Any) -> User | None:
    if row is None:
        return None
    return User(row[0], row[1], row[2], Role(row[3]), row[4], row[5])


_FIELDS = (
    users.c.id,
    users.c.name,
    users.c.partner_code,
    users.c.role,
    users.c.password_hash,
    users.c.language,
)


def by_token_hash(conn: Connection, token_hash: str) -> User | None:
    return _user(conn.execute(sa.select(*_FIELDS).where(users.c.token_hash == token_hash)).first())


def by_name(conn: Connection, name: str) -> User | None:
    if "\x00" in name:  # no name holds NUL, and PostgreSQL's text refuses even to compare one
        return None
    return _user(conn.execute(sa.select(*_FIELDS).where(users.c.name == name)).first())


def by_id(conn: Connection, user_id: int) -> User | None:
    return _user(conn.execute(sa.select(*_FIELDS).where(users.c.id == user_id)).first())


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(sa.select(*_FIELDS).order_by(users.c.name))
    return [User(r[0], r[1], r[2], Role(r[3]), r[4], r[5]) for r in rows]


def set_language(conn: Connection, name: str, language: str) -> bool:
    """Store a user's interface language; False if there is no such user."""
    done = conn.execute(users.update().where(users.c.name == name).values(language=language))
    return done.rowcount > 0


def token_hash_of(conn: Connection, user_id: int) -> str | None:
    stmt = sa.select(users.c.token_hash).where(users.c.id == user_id)
    value = conn.execute(stmt).scalar()
    return str(value) if value is not None else None


def set_token_hash(conn: Connection, user_id: int, token_hash: str) -> None:
    """Replace a user's token hash: the old token stops working when this commits."""
    conn.execute(users.update().where(users.c.id == user_id).values(token_hash=token_hash))


def inbox_after(conn: Connection, name: str) -> int | None:
    """Where a user's reports inbox starts: the date_added of the last report shown there."""
    value = conn.execute(sa.select(users.c.inbox_after).where(users.c.name == name)).scalar()
    return int(value) if value is not None else None


def set_inbox_after(conn: Connection, name: str, date_added: int) -> None:
    """Move a user's inbox on (never back: two tabs may show it at once)."""
    current = sa.func.coalesce(users.c.inbox_after, -1)
    conn.execute(
        users.update()
        .where(users.c.name == name, current < date_added)
        .values(inbox_after=date_added)
    )
