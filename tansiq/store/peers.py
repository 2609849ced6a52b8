"""Peer nodes this node pulls from, and how far each collection has been pulled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.errors import InvalidInput, NotFound
from tansiq.store.schema import peers, sync_cursors


@dataclass(frozen=True, slots=True)
class PeerTls:
    """Paths on this node: the CA for the peer's certificate, our client certificate and key."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    token: str
    last_sync_at: datetime | None
    tls: PeerTls = PeerTls()


def add_peer(
    conn: Connection, name: str, url: str, token: str, now: datetime, tls: PeerTls = PeerTls()
) -> bool:
    """Add a peer or change its URL, token and TLS files; True when it was new."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"bad peer URL {url!r}: use http:// or https://")
    if not token:
        raise InvalidInput("a peer needs a token")
    if (tls.cert is None) != (tls.key is None):
        raise InvalidInput("give both a client certificate and its key, or neither")
    values = {
        "url": url,
        "token": token,
        "tls_ca": tls.ca,
        "tls_cert": tls.cert,
        "tls_key": tls.key,
    }
    if find_peer(conn, name) is None:
        conn.execute(peers.insert().values(name=name, added_at=now, **values))
        return True
    conn.execute(peers.update().where(peers.c.name == name).values(**values))
    return False


def find_peer(conn: Connection, name: str) -> Peer | None:
    row = conn.execute(sa.select(peers).where(peers.c.name == name)).first()
    return _peer(row) if row else None


def _peer(row: Any) -> Peer:
    tls = PeerTls(row.tls_ca, row.tls_cert, row.tls_key)
    return Peer(row.name, row.url, row.token, row.last_sync_at, tls)


def require_peer(conn: Connection, name: str) -> Peer:
    found = find_peer(conn, name)
    if found is None:
        raise NotFound(f"unknown peer {name!r}: add it with `tansiq peers add`")
    return found


def list_peers(conn: Connection) -> list[Peer]:
    rows = conn.execute(sa.select(peers).order_by(peers.c.name))
    return [_peer(r) for r in rows]


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
