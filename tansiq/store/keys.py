"""Signing keys as the database keeps them: this node's secret, and partners' pinned public keys.

Values are text (see tansiq.sharing.signing); what they mean and when they may change is
decided in tansiq.sharing.keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import partner_keys

NODE_SECRET = "signing_key"
"""The node_config row holding this node's private key (base64url of its 32 bytes)."""


@dataclass(frozen=True, slots=True)
class Pin:
    """The public key this node trusts for a partner's node, and how it came to trust it."""

    partner: str
    public_key: str
    pinned_at: datetime
    pinned_by: str
    """`admin` (given by an administrator) or `first-use` (learnt at the first sync)."""


def find_pin(conn: Connection, partner: str) -> Pin | None:
    row = conn.execute(sa.select(partner_keys).where(partner_keys.c.partner_code == partner))
    found = row.first()
    return _pin(found) if found else None


def pinned(conn: Connection, partners: Iterable[str]) -> dict[str, str]:
    """The pinned public key of each of these partners that has one."""
    wanted = sorted(set(partners))
    stmt = sa.select(partner_keys.c.partner_code, partner_keys.c.public_key).where(
        partner_keys.c.partner_code.in_(wanted)
    )
    return {str(code): str(key) for code, key in conn.execute(stmt)}


def list_pins(conn: Connection) -> list[Pin]:
    rows = conn.execute(sa.select(partner_keys).order_by(partner_keys.c.partner_code))
    return [_pin(r) for r in rows]


def set_pin(conn: Connection, partner: str, public_key: str, by: str, now: datetime) -> None:
    values = {"public_key": public_key, "pinned_at": now, "pinned_by": by}
    where = partner_keys.c.partner_code == partner
    if conn.execute(partner_keys.update().where(where).values(**values)).rowcount == 0:
        conn.execute(partner_keys.insert().values(partner_code=partner, **values))


def _pin(row: sa.Row[tuple[object, ...]]) -> Pin:
    m = row._mapping
    return Pin(str(m["partner_code"]), str(m["public_key"]), m["pinned_at"], str(m["pinned_by"]))
