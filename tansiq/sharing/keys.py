"""Signing keys: this node's key pair, and the partner nodes' public keys it trusts.

This node's key pair is made by `tansiq init`, or on first need (the TAXII server, `tansiq node
key`) in a database made before tombstones were signed. A partner node's public key is pinned:

- by an administrator: `tansiq peers add NAME ... --public-key KEY` or `tansiq peers key NAME
  KEY`, with the key `tansiq node key` printed on that node and passed on out of band; or
- on first use: the first sync with a peer that has no pinned key asks it (`GET /api/node`)
  and pins the answer. A later answer with another key refuses the sync (PeerKeyChanged) until
  an administrator pins the new one. The first answer is believed as it comes: pin out of band
  to close that window.

A peer is named by its partner's code (sync already records what it pulls as that partner's),
so a peer's key is the pin of its name. Every pin and every refused key is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import httpx
import orjson
from sqlalchemy.engine import Connection, Engine

from tansiq.app_state import per_app
from tansiq.errors import InvalidInput, PeerKeyChanged, PeerUnavailable
from tansiq.sharing.signing import SigningKey, check_public_key
from tansiq.store import audit
from tansiq.store import keys as store
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.partners import load_node_secret, node_secret
from tansiq.store.peers import Peer

ADMIN: Final = "admin"
FIRST_USE: Final = "first-use"
NODE_PATH: Final = "api/node"


def node_key(conn: Connection) -> SigningKey:
    """This node's key pair, made and stored on first use (inside a write transaction)."""
    return SigningKey.from_secret(node_secret(conn, store.NODE_SECRET, _new_secret))


def load_node_key(engine: Engine) -> SigningKey:
    """This node's key pair: read, or made in a write transaction of its own."""
    with reading(engine) as conn:
        require_schema(conn)
    return SigningKey.from_secret(load_node_secret(engine, store.NODE_SECRET, _new_secret))


def app_node_key(state: Any, engine: Engine) -> SigningKey:
    """This node's key pair, loaded (or made) once per app and kept on `state`."""
    return per_app(state, "signing_key", lambda: load_node_key(engine))


def _new_secret() -> str:
    return SigningKey.generate().secret()


def pin(conn: Connection, partner: str, public_key: str, now: datetime, actor: str) -> bool:
    """Pin a partner node's key, an administrator's decision; True if the pin changed."""
    check_public_key(public_key)
    before = store.find_pin(conn, partner)
    if before is not None and before.public_key == public_key:
        return False
    store.set_pin(conn, partner, public_key, ADMIN, now)
    previous = before.public_key if before else None
    detail = {"key": public_key, "previous": previous, "by": ADMIN}
    audit.append(conn, at=now, actor=actor, action="pin-key", subject=partner, detail=detail)
    return True


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What a node says of itself at `GET /api/node`."""

    partner: str
    public_key: str


def learn_peer_key(engine: Engine, peer: Peer, client: httpx.Client, now: datetime) -> None:
    """Ask the peer for its key; pin it on first use, or refuse a key other than the pin."""
    answer = ask_node(client, peer)
    with writing(engine) as conn:
        refusal = _confirm(conn, peer.name, answer, now)
    if refusal is not None:  # raised after the commit, so that the refusal stays audited
        raise PeerKeyChanged(refusal)


def _confirm(conn: Connection, peer: str, answer: NodeInfo, now: datetime) -> str | None:
    """Pin on first use; None if the key is (now) the pinned one, else why it is refused."""
    if answer.partner != peer:
        raise PeerUnavailable(
            f"peer {peer} answers as the node of partner {answer.partner!r}: a peer is named "
            f"by its partner's code (tansiq peers add {answer.partner} ...)"
        )
    before = store.find_pin(conn, peer)
    if before is None:
        store.set_pin(conn, peer, answer.public_key, FIRST_USE, now)
        detail = {"key": answer.public_key, "previous": None, "by": FIRST_USE}
        audit.append(conn, at=now, actor="sync", action="pin-key", subject=peer, detail=detail)
        return None
    if before.public_key == answer.public_key:
        return None
    detail = {"key": answer.public_key, "pinned": before.public_key}
    audit.append(conn, at=now, actor="sync", action="refuse-key", subject=peer, detail=detail)
    return (
        f"peer {peer} now signs with {answer.public_key}, not with the key pinned for it "
        f"({before.public_key}, {before.pinned_by} on {before.pinned_at:%Y-%m-%d}): it may be "
        f"an impostor. If its node was rebuilt, check the new key with its administrator and "
        f"pin it: tansiq peers key {peer} {answer.public_key}"
    )


def ask_node(client: httpx.Client, peer: Peer) -> NodeInfo:
    """`GET /api/node` on the peer.

    Sent with `Connection: close`, so the client keeps no open connection: sync hands the same
    client to a forked reader process, which must not share a connection with this one.
    """
    headers = {"Accept": "application/json", "Connection": "close"}
    try:
        response = client.get(f"{peer.url}{NODE_PATH}", headers=headers)
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"peer {peer.name} at {peer.url}: {exc}") from None
    if response.status_code != 200:
        raise PeerUnavailable(
            f"peer {peer.name} did not say which key it signs with (GET /{NODE_PATH} answered "
            f"{response.status_code}): it needs a tansiq that signs its tombstones"
        )
    return _node_info(peer, response.content)


def _node_info(peer: Peer, content: bytes) -> NodeInfo:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        body = None
    partner = body.get("partner") if isinstance(body, dict) else None
    key = body.get("public_key") if isinstance(body, dict) else None
    if not isinstance(partner, str) or not isinstance(key, str):
        raise PeerUnavailable(f"peer {peer.name} answered /{NODE_PATH} without partner and key")
    try:
        return NodeInfo(partner, check_public_key(key))
    except InvalidInput as exc:
        raise PeerUnavailable(f"peer {peer.name} sent a bad key: {exc}") from None
