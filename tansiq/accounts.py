"""Users, passwords and API tokens: who is asking, and what they may see.

Passwords are hashed with argon2id (argon2-cffi). API tokens are 256 random bits, shown once;
only their SHA-256 is stored: a token is not guessable, so a slow hash buys nothing and would
cost every request tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Viewer, node_viewer, person_viewer
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput
from tansiq.store import users
from tansiq.store.partners import partner_parents, require_partner

TOKEN_PREFIX = "tq_"
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the user and what they may read."""

    name: str
    partner: str
    role: Role
    viewer: Viewer


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    conn: Connection, name: str, partner: str, role: Role, password: str | None, now: datetime
) -> tuple[users.User, str]:
    """Add a user and return it with its API token, which is never shown again."""
    if not name.strip() or len(name) > 100:
        raise InvalidInput("a user name is 1-100 characters")
    if password is not None and len(password) < 12:
        raise InvalidInput("a password needs at least 12 characters")
    require_partner(conn, partner)
    token = new_token()
    user = users.add_user(
        conn,
        name=name,
        partner_code=partner,
        role=role,
        password_hash=_hasher.hash(password) if password else None,
        token_hash=token_hash(token),
        now=now,
    )
    return user, token


def principal(conn: Connection, user: users.User) -> Principal:
    parents = partner_parents(conn)
    see = node_viewer if user.role is Role.PEER else person_viewer
    return Principal(user.name, user.partner_code, user.role, see(user.partner_code, parents))


def by_token(conn: Connection, token: str) -> Principal | None:
    user = users.by_token_hash(conn, token_hash(token))
    return principal(conn, user) if user else None


def by_password(conn: Connection, name: str, secret: str) -> Principal | None:
    """HTTP Basic: the user's name with their password or their API token."""
    user = users.by_name(conn, name)
    if user is None:
        return None
    if secrets.compare_digest(token_hash(secret), _token_hash_of(conn, user)):
        return principal(conn, user)
    if user.password_hash and _password_ok(user.password_hash, secret):
        return principal(conn, user)
    return None


def _token_hash_of(conn: Connection, user: users.User) -> str:
    found = users.token_hash_of(conn, user.id)
    return found or ""


def _password_ok(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
