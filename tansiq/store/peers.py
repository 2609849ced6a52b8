"""Peer nodes this node pulls from, and how far each collection has been pulled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.errors import InvalidInput, NotFound
from tansiq.store.schema import peers, sync_cursors


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    token: str
    last_sync_at: datetime | None


def add_peer(conn: Connection, name: str, url: str, token: str, now: datetime) -> bool:
    """Add a peer or change its URL and token; True when it was new."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"bad peer URL {url!r}: use http:// or https://")
    if not token:
        raise InvalidInput("a peer needs a token")
    if find_peer(conn, name) is None:
        conn.execute(peers.insert().values(name=name, url=url, token=token, added_at=now))
        return True
    conn.execute(peers.update().where(peers.c.name == name).values(url=url, token=token))
    return False


def find_peer(conn: Connection, name: str) -> Peer | None:
    row = conn.execute(sa.select(peers).where(peers.c.name == name)).first()
    return Peer(row.name, row.url, row.token, row.last_sync_at) if row else None


def require_peer(conn: Connection, name: str) -> Peer:
    found = find_peer(conn, name)
    if found is None:
        raise NotFound(f"unknown peer {name!r}: add it with `tansiq peers add`")
    return found


def list_peers(conn: Connection) -> list[Peer]:
    rows = conn.execute(sa.select(peers).order_by(peers.c.name))
    return [Peer(r.name, r.url, r.token, r.last_sync_at) for r in rows]


def cursor(conn: Connection, peer: str, collection: str) -> int | None:
    stmt = sa.select(sync_cursors.c.added_after).where(
        sync_cursors.c.peer == peer, sync_cursors.c.collection == collection
    )
    value = conn.execute(stmt).scalar()
    return int(value) if value is not None else None


def set_cursor(conn: Connection, peer: str, collection: str, value: int, now: datetime) -> None:
    where = (sync_cursors.c.peer == peer) & (sync_cursors.c.collection == collection)
    values = {"added_after": value, "updated_at": now}
    done = conn.execute(sync_cursors.update().where(where).values(**values))
    if done.rowcount == 0:
        conn.execute(
            sync_cursors.insert().values(
                peer=peer, collection=collection, added_after=value, updated_at=now
            )
        )


def mark_synced(conn: Connection, name: str, now: datetime) -> None:
    conn.execute(peers.update().where(peers.c.name == name).values(last_sync_at=now))
