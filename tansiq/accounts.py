"""Users, passwords and API tokens: who is asking, and what they may see.

Passwords are hashed with argon2id (argon2-cffi). API tokens are 256 random bits, shown once;
only their SHA-256 is stored: a token is not guessable, so a slow hash buys nothing and would
cost every request tens of milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from tansiq.domain.languages import Language
from tansiq.domain.markings import Viewer, node_viewer, person_viewer
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput, NotFound, Unauthorized
from tansiq.store import sessions, users
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
    language: Language | None = None
    """The interface language the user chose, if they chose one."""


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


def new_token_for(conn: Connection, name: str) -> str:
    """Give a user a new API token in place of the old one, which stops working, and end their
    web sessions: a token is reissued because the old one may be in the wrong hands, and so
    may a session. The new token is returned once; only its hash is stored."""
    user = users.by_name(conn, name)
    if user is None:
        raise NotFound(f"no such user: {name}")
    token = new_token()
    users.set_token_hash(conn, user.id, token_hash(token))
    sessions.end_sessions_of(conn, user.id)
    return token


def principal(conn: Connection, user: users.User) -> Principal:
    parents = partner_parents(conn)
    see = node_viewer if user.role is Role.PEER else person_viewer
    viewer = see(user.partner_code, parents)
    chosen = Language(user.language) if user.language in _LANGUAGE_CODES else None
    return Principal(user.name, user.partner_code, user.role, viewer, chosen)


_LANGUAGE_CODES = frozenset(x.value for x in Language)


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


SESSION_HOURS = 12
"""How long a web session lasts: a watch shift. Then the page asks for the password again."""


@functools.cache
def _no_user_hash() -> str:
    """A hash to verify when there is no user's, so that a wrong name takes as long as a
    wrong password (made on first need: hashing costs start-up time of every command)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def log_in(
    conn: Connection, name: str, password: str, now: datetime, hours: float = SESSION_HOURS
) -> tuple[Principal, str]:
    """Check a person's password and start a web session: the principal and the session's
    cookie value (shown to no one else; only its hash is stored).

    Unauthorized, with the same message and about the same time, whether the name is unknown,
    has no password (a partner node's account) or the password is wrong.
    """
    user = users.by_name(conn, name) if name else None
    stored = user.password_hash if user is not None and user.role is not Role.PEER else None
    if not _password_ok(stored or _no_user_hash(), password) or user is None or stored is None:
        raise Unauthorized("wrong user name or password")
    token = "tqs_" + secrets.token_urlsafe(32)
    sessions.add_session(conn, token_hash(token), user.id, now, now + timedelta(hours=hours))
    return principal(conn, user), token


def by_session(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The principal of a web session that has not ended."""
    user_id = sessions.session_user(conn, token_hash(token), now)
    user = users.by_id(conn, user_id) if user_id is not None else None
    return principal(conn, user) if user is not None else None


def log_out(conn: Connection, token: str) -> bool:
    """End a web session; False if it had already ended."""
    return sessions.end_session(conn, token_hash(token))


def choose_language(conn: Connection, name: str, chosen: Language) -> None:
    """Remember the interface language a user chose."""
    if not users.set_language(conn, name, chosen.value):
        raise NotFound(f"no such user: {name}")


def _token_hash_of(conn: Connection, user: users.User) -> str:
    found = users.token_hash_of(conn, user.id)
    return found or ""


def _password_ok(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
