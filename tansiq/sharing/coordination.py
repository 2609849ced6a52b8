"""The coordination feed between tansiq nodes: deconfliction pointers, operations, decisions.

TAXII carries intelligence, which people read. Coordination is different: each node must know
*where and when* the other side's operations, posts and tracks are, to find conflicts on both
nodes, without its people learning the other side's plan (INTEROP 5.1, the RISSafe pointer
model). So this is a feed between nodes only: `GET /api/coordination/feed`, readable by a peer
node's account (Role.PEER) and by nobody else, and `tansiq sync` pulls it from each peer after
the TAXII collections.

- Topics: `footprint` (the deconfliction registry's pointers, for every peer: tansiq.domain.feed)
  and the topics registered by the modules that own them (operations and their decisions go
  only where the operation is released).
- Order: rows are numbered by the node's clock, so a reader never skips a row committed late;
  each page is applied with the cursor that follows it, in one transaction, so a pull killed
  at any moment resumes where it stopped and re-applying a page changes nothing.
- Untrusted: every record is checked (tansiq.domain.feed); a bad one is rejected with its reason,
  counted and audited, and the pull goes on past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import httpx
import orjson
from sqlalchemy.engine import Connection, Engine

from tansiq import conflicts
from tansiq.accounts import Principal
from tansiq.domain import feed
from tansiq.domain.deconfliction import FootprintKind
from tansiq.domain.markings import node_viewer
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput, NotFound, PeerUnavailable
from tansiq.store import audit, footprints
from tansiq.store import coordination as outbox
from tansiq.store import peers as peer_store
from tansiq.store.database import writing
from tansiq.store.partners import partner_parents

FEED_PATH: Final = "api/coordination/feed"
CURSOR: Final = "coordination"
"""The feed's cursor in sync_cursors, beside the TAXII collections'."""
MAX_PAGE: Final = 1000


@dataclass(frozen=True, slots=True)
class Received:
    """Where a received row is applied: the transaction, the peer it came from (its partner
    code), the time, and whom to call about a partner's footprint (the node's policy)."""

    conn: Connection
    origin: str
    now: datetime
    contact_of: Callable[[str], str]


Apply = Callable[[Received, str, dict[str, Any] | None], None]
"""Apply one received row: (where, key, body or None for a removal)."""

_TOPICS: dict[str, Apply] = {}


def register_topic(topic: str, apply: Apply) -> None:
    """Let the module that owns a topic apply what peers send of it."""
    _TOPICS[topic] = apply


def serve_page(conn: Connection, caller: Principal, after: int, limit: int) -> dict[str, Any]:
    """A page of the feed for a peer node's account; anyone else gets a 404 (no such feed)."""
    if caller.role is not Role.PEER:
        raise NotFound("no such resource")
    if after < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"after must be >= 0 and limit 1 to {MAX_PAGE}")
    rows = outbox.page(conn, caller.viewer, after, limit + 1)
    shown = rows[:limit]
    return {
        "entries": [{"seq": r.seq, "topic": r.topic, "key": r.key, "body": r.body} for r in shown],
        "more": len(rows) > limit,
    }


@dataclass
class PullSummary:
    peer: str
    applied: int = 0
    rejected: int = 0
    missing: bool = False
    """The peer has no coordination feed (a tansiq older than issue 6): nothing was pulled."""
    rejections: list[dict[str, str]] = field(default_factory=list)


def pull(
    engine: Engine,
    peer: peer_store.Peer,
    client: httpx.Client,
    now: Callable[[], datetime],
    contact_of: Callable[[str], str] = conflicts.duty_contact,
    limit: int = 500,
) -> PullSummary:
    """Every feed row of `peer` after the stored cursor, applied page by page."""
    summary = PullSummary(peer.name)
    while True:
        with writing(engine) as conn:
            after = peer_store.cursor(conn, peer.name, CURSOR) or 0
        page = _fetch(client, peer, after, limit)
        summary.missing = bool(page.get("missing"))
        entries = page["entries"]
        if entries:
            with writing(engine) as conn:
                for entry in entries:
                    _apply(Received(conn, peer.name, now(), contact_of), entry, summary)
                last = int(entries[-1]["seq"])
                peer_store.set_cursor(conn, peer.name, CURSOR, last, now())
        if not page["more"] or not entries:
            return summary


def _fetch(client: httpx.Client, peer: peer_store.Peer, after: int, limit: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {peer.token}", "Accept": "application/json"}
    params = {"after": after, "limit": limit}
    try:
        response = client.get(f"{peer.url}{FEED_PATH}", params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"peer {peer.name} at {peer.url}: {exc}") from None
    if response.status_code == 404:
        return {"entries": [], "more": False, "missing": True}
    if response.status_code != 200:
        raise PeerUnavailable(
            f"peer {peer.name}'s coordination feed answered {response.status_code}"
        )
    return _page(peer, response.content, after)


def _page(peer: peer_store.Peer, content: bytes, after: int) -> dict[str, Any]:
    """The page's shape checked: entries in increasing seq after `after`, and `more`."""
    try:
        page = orjson.loads(content)
    except orjson.JSONDecodeError:
        page = None
    entries = page.get("entries") if isinstance(page, dict) else None
    more = page.get("more") if isinstance(page, dict) else None
    if not isinstance(entries, list) or not isinstance(more, bool):
        raise PeerUnavailable(f"peer {peer.name} sent a coordination page without entries/more")
    last = after
    for entry in entries:
        seq = entry.get("seq") if isinstance(entry, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= last:
            raise PeerUnavailable(f"peer {peer.name} sent coordination rows out of order")
        last = seq
    return {"entries": entries, "more": more}


def _apply(at: Received, entry: dict[str, Any], summary: PullSummary) -> None:
    topic, key, body = entry.get("topic"), entry.get("key"), entry.get("body")
    try:
        if not isinstance(topic, str) or topic not in _TOPICS:
            raise InvalidInput(f"unknown topic {topic!r}")
        if not isinstance(key, str) or not key:
            raise InvalidInput("a row needs a key")
        if body is not None and not isinstance(body, dict):
            raise InvalidInput("a row's body must be an object or null")
        with at.conn.begin_nested():
            _TOPICS[topic](at, key, body)
    except InvalidInput as exc:
        summary.rejected += 1
        reason = {"seq": str(entry.get("seq")), "topic": str(topic), "reason": str(exc)}
        summary.rejections.append(reason)
        audit.append(
            at.conn,
            at=at.now,
            actor="sync",
            action="reject-coordination",
            subject=at.origin,
            detail=reason,
        )
        return
    summary.applied += 1


def _apply_footprint(at: Received, key: str, body: dict[str, Any] | None) -> None:
    """A peer's footprint into the registry under its origin (or out of it), and its
    conflicts with what this node holds found (or resolved) here too."""
    conn, origin = at.conn, at.origin
    kind_text, _, ref = key.partition(":")
    try:
        kind = FootprintKind(kind_text)
    except ValueError:
        raise InvalidInput(f"unknown footprint kind in key {key!r}") from None
    if body is None:
        footprints.remove(conn, kind, ref, origin)
        conflicts.withdrawn(conn, kind, ref, origin, "sync", at.now)
        return
    fp = feed.read_footprint(body, origin)
    if (fp.kind, fp.ref) != (kind, ref):
        raise InvalidInput(f"footprint {key!r} carries another key")
    require_speaks_for(conn, origin, fp.owner)
    footprints.put(conn, fp)
    conflicts.recheck(conn, fp, at.contact_of, at.now, "sync")


def require_speaks_for(conn: Connection, origin: str, owner: str) -> None:
    """A peer node speaks for its own partner and that partner's sub-organisations only: a
    node cannot plant another partner's operation or post in this node's registry."""
    if owner not in node_viewer(origin, partner_parents(conn)).red_codes:
        raise InvalidInput(f"peer {origin} sent a record owned by {owner!r}, not by {origin}")


register_topic(feed.FOOTPRINT, _apply_footprint)
