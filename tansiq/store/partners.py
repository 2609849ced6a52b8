"""Partner organisations (with sub-organisations) and the partner this node belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tansiq.errors import InvalidInput, NotFound, StoreNotReady
from tansiq.store.database import reading, writing
from tansiq.store.schema import node_config, partners

_CODE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_NODE_PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Partner:
    code: str
    name: str
    parent_code: str | None


def check_code(code: str) -> str:
    if not _CODE.match(code):
        raise InvalidInput(
            f"bad partner code {code!r}: 2-32 characters, lower-case letters, digits and '-', "
            "starting with a letter"
        )
    return code


def add_partner(
    conn: Connection, code: str, name: str, parent_code: str | None, now: datetime
) -> bool:
    """Add a partner, or rename it / move it under a parent; True when it was new."""
    check_code(code)
    if not name.strip():
        raise InvalidInput("a partner needs a name")
    if parent_code is not None:
        _check_parent(conn, code, parent_code)
    existing = find_partner(conn, code)
    if existing is None:
        values = {"code": code, "name": name, "parent_code": parent_code, "created_at": now}
        conn.execute(partners.insert().values(**values))
        return True
    update = partners.update().where(partners.c.code == code)
    conn.execute(update.values(name=name, parent_code=parent_code))
    return False


def _check_parent(conn: Connection, code: str, parent_code: str) -> None:
    parents = partner_parents(conn)
    if parent_code not in parents:
        raise InvalidInput(f"unknown parent partner {parent_code!r}")
    walk: str | None = parent_code
    while walk is not None:
        if walk == code:
            raise InvalidInput(f"{code!r} cannot be under {parent_code!r}: that makes a loop")
        walk = parents.get(walk)


def find_partner(conn: Connection, code: str) -> Partner | None:
    row = conn.execute(sa.select(partners).where(partners.c.code == code)).first()
    return Partner(row.code, row.name, row.parent_code) if row else None


def require_partner(conn: Connection, code: str) -> Partner:
    found = find_partner(conn, code)
    if found is None:
        raise NotFound(f"unknown partner {code!r}: add it with `tansiq partners add`")
    return found


def list_partners(conn: Connection) -> list[Partner]:
    rows = conn.execute(sa.select(partners).order_by(partners.c.code))
    return [Partner(r.code, r.name, r.parent_code) for r in rows]


def partner_parents(conn: Connection) -> dict[str, str | None]:
    rows = conn.execute(sa.select(partners.c.code, partners.c.parent_code))
    return {str(code): parent for code, parent in rows}


def set_node_partner(conn: Connection, code: str) -> None:
    """Record which partner owns this node; a node never changes hands."""
    current = node_partner_or_none(conn)
    if current is not None and current != code:
        raise InvalidInput(f"this node belongs to {current!r}; it cannot become {code!r}")
    if current is None:
        conn.execute(node_config.insert().values(key=_NODE_PARTNER, value=code))


def node_partner_or_none(conn: Connection) -> str | None:
    stmt = sa.select(node_config.c.value).where(node_config.c.key == _NODE_PARTNER)
    value = conn.execute(stmt).scalar()
    return str(value) if value is not None else None


def node_partner(conn: Connection) -> str:
    code = node_partner_or_none(conn)
    if code is None:
        raise StoreNotReady(
            "this node has no partner yet: run `tansiq init --partner CODE --partner-name NAME`"
        )
    return code


def node_secret(conn: Connection, key: str, make: Callable[[], str]) -> str:
    """A per-node secret, made by `make` on first use (call inside a write transaction)."""
    value = _stored_secret(conn, key)
    if value is None:
        value = make()
        conn.execute(node_config.insert().values(key=key, value=value))
    return value


def load_node_secret(engine: Engine, key: str, make: Callable[[], str]) -> str:
    """A per-node secret: read, or made in a write transaction of its own."""
    with reading(engine) as conn:
        value = _stored_secret(conn, key)
    if value is not None:
        return value
    for attempt in range(2):
        try:
            with writing(engine) as conn:
                return node_secret(conn, key, make)
        except IntegrityError:
            # Another process made it between our read and our insert: read theirs.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _stored_secret(conn: Connection, key: str) -> str | None:
    value = conn.execute(sa.select(node_config.c.value).where(node_config.c.key == key)).scalar()
    return str(value) if value is not None else None
