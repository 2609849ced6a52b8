"""Pull from a peer node over TAXII 2.1: what changed since the stored cursor, page by page.

Each page is applied together with the cursor that follows it, in transactions of a few
pages, so a sync killed at any moment resumes where the last committed page ended, and
re-applying a page is harmless (a version already held is left as it is). Three processes
share the work (tansiq.ahead): a fetcher asks the peer for pages, a reader checks and prepares
their objects, and this one, the writer, stores them, each a page or two ahead of the next. The
peer serves only what is released to this node's partner; withdrawals and narrowed
releasability arrive as tombstones in their own collection and are applied like any other
change.
"""

from __future__ import annotations

import gc
import ssl
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.engine import Engine

from tansiq import conflicts
from tansiq.ahead import Ahead, read_ahead
from tansiq.domain.markings import NAMESPACE
from tansiq.errors import InvalidInput, PeerUnavailable
from tansiq.sharing import arrivals, coordination, exchange, operation_feed, stix
from tansiq.sharing.keys import learn_peer_key
from tansiq.store import audit, objects
from tansiq.store import peers as peer_store
from tansiq.store.database import writing

ROOT = "taxii2/exchange/"
TOPICS = (operation_feed.OPERATION, operation_feed.DECISION)
"""Imported for their coordination topics (footprints are tansiq.sharing.coordination's own)."""
COLLECTIONS = ("intel", "withdrawals")
"""Pulled in this order; versions decide when a tombstone and an object cross."""
MEDIA = "application/taxii+json;version=2.1"


def client_for(peer: peer_store.Peer, timeout: float) -> httpx.Client:
    """An HTTP client for one peer: TLS 1.2 or later, the peer's CA if given, and this node's
    client certificate for mutual TLS if given."""
    context = ssl.create_default_context(cafile=peer.tls.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if peer.tls.cert and peer.tls.key:
        context.load_cert_chain(peer.tls.cert, peer.tls.key)
    return httpx.Client(timeout=timeout, verify=context)


def collection_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "collection:" + name))


@dataclass
class SyncSummary:
    peer: str
    pages: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("received", "created", "updated", "withdrawn", "rejected"), 0
        )
    )
    rejections: list[dict[str, str]] = field(default_factory=list)
    coordination: coordination.PullSummary | None = None

    def add(self, received: exchange.ReceiveSummary, pages: int) -> None:
        self.pages += pages
        for key, value in received.counts().items():
            self.counts[key] += value
        self.rejections += [
            {"id": r.stix_id, "version": r.version, "reason": r.message or ""}
            for r in received.results
            if not r.ok
        ][:100]

    def as_dict(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            **self.counts,
            "pages": self.pages,
            "rejections": self.rejections,
            "coordination": _coordination(self.coordination),
        }


def _coordination(pulled: coordination.PullSummary | None) -> dict[str, Any] | None:
    if pulled is None:
        return None
    return {
        "applied": pulled.applied,
        "rejected": pulled.rejected,
        "missing": pulled.missing,
        "rejections": pulled.rejections[:100],
    }


@dataclass(frozen=True, slots=True)
class Page:
    last_added: int | None
    """The date_added of the last object shown (X-TAXII-Date-Added-Last), if any was."""
    envelope: bytes = b""
    """The page as the peer sent it, until its objects are checked."""
    arrivals: list[arrivals.Arrival] = field(default_factory=list)
    """The page's objects, checked and prepared in the reader process."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for the pipes between processes with its arrivals as plain tuples: a named
        tuple pickles and unpickles through Python-level calls, at three times the cost."""
        plain = [tuple(a) for a in self.arrivals]
        return (_unpickle_page, (self.last_added, self.envelope, plain))


def _unpickle_page(last_added: int | None, envelope: bytes, plain: list[tuple[Any, ...]]) -> Page:
    make = arrivals.Arrival._make
    return Page(last_added, envelope, [make(a) for a in plain])


def sync_peer(
    engine: Engine,
    peer: peer_store.Peer,
    client: httpx.Client,
    now: Callable[[], datetime],
    page_size: int,
    on_page: Callable[[int], None] = lambda _: None,
    contact_of: Callable[[str], str] = conflicts.duty_contact,
) -> SyncSummary:
    """Pull every collection of one peer until it has nothing newer, then its coordination
    feed (tansiq.sharing.coordination: deconfliction pointers, operations, decisions).

    First the peer's signing key is checked against the one pinned for it, or pinned if none
    is yet (trust on first use; tansiq.sharing.keys): a peer whose key changed is refused
    (PeerKeyChanged) before anything is pulled, and the tombstones pulled are checked with it.

    `client` is used in a forked reader process: give one that has not connected yet (the key
    check leaves no connection open in it).
    """
    learn_peer_key(engine, peer, client, now())
    summary = SyncSummary(peer.name)
    for name in COLLECTIONS:
        _pull_collection(engine, peer, name, client, now, page_size, summary, on_page)
    summary.coordination = coordination.pull(engine, peer, client, now, contact_of)
    with writing(engine) as conn:
        if summary.counts["created"] >= ANALYZE_AFTER:
            objects.analyze(conn)
        peer_store.mark_synced(conn, peer.name, now())
        audit.append(
            conn, at=now(), actor="sync", action="sync", subject=peer.name, detail=summary.counts
        )
    return summary


ANALYZE_AFTER = 10_000
"""A sync that brought this many new objects refreshes the planner's statistics."""
COMMIT_OBJECTS = 5000
"""Pages already fetched are applied in one transaction up to about this many objects: fewer
commits (each may run a WAL checkpoint), and a resumed sync still starts exactly after the last
committed page."""


HOLD_S = 0.1
"""How long a sync holding the write lock waits for the next page before it commits (the
reader needs about a tenth of a second for a page of 1,000 on a busy two-core machine)."""


def _pull_collection(
    engine: Engine,
    peer: peer_store.Peer,
    name: str,
    client: httpx.Client,
    now: Callable[[], datetime],
    page_size: int,
    summary: SyncSummary,
    on_page: Callable[[int], None],
) -> None:
    """Fetch and check pages in a reader process while this one stores the previous page."""
    with writing(engine) as conn:
        after = peer_store.cursor(conn, peer.name, name)
    with read_ahead(_pages(client, peer, name, after, page_size)) as pages, _no_cycle_collector():
        for page in pages:
            _apply_ready(engine, peer, name, page, pages, now, summary)
            on_page(summary.counts["received"])


@contextmanager
def _no_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector while pages are applied: they make about a hundred
    thousand short-lived tuples and dicts per 100,000 objects, with no cycles among them, and
    the collector's passes over the growing heap cost about a tenth of the writer's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _pages(
    client: httpx.Client, peer: peer_store.Peer, name: str, after: int | None, page_size: int
) -> Iterator[Page]:
    """Every page of a collection after `after` that shows something, in order, checked (runs
    in the reader process).

    Pages are fetched in a process of their own, ahead of this one: the peer serves the next
    page while this one is checked, and fetching does not take turns with checking under one
    interpreter lock.
    """
    with read_ahead(_fetched(client, peer, name, after, page_size)) as fetched:
        for page in fetched:
            found = _objects(peer, page.envelope)
            if found:
                yield Page(page.last_added, b"", [arrivals.arrive(o) for o in found])


def _fetched(
    client: httpx.Client, peer: peer_store.Peer, name: str, after: int | None, page_size: int
) -> Iterator[Page]:
    """Every page of a collection after `after`, as the peer sends them (runs in the fetcher).

    A page that shows objects says in its X-TAXII-Date-Added-Last header where the next one
    starts: that one is asked for at once, on a thread, so the peer serves it while this
    process and the reader work, and this page is passed on unparsed (the reader parses it).
    Only a page that shows nothing is parsed here: it says whether there is more (rows this
    node may not read, skipped by the peer's `next` token) or not. So the last page with
    objects is followed by one request more, which shows nothing, or what was added since.
    """
    with ThreadPoolExecutor(max_workers=1) as asking:
        pending = asking.submit(_get, client, peer, name, after, page_size, None)
        while True:
            response = pending.result()
            last_added = _last_added(peer, response)
            if last_added is not None:
                if after is not None and last_added <= after:
                    raise PeerUnavailable(f"peer {peer.name} sent a page that does not move on")
                after = last_added
                pending = asking.submit(_get, client, peer, name, after, page_size, None)
                yield Page(last_added, response.content)
                continue
            more, token = _more(peer, response.content)
            if not more:
                return
            if token is None:
                raise PeerUnavailable(
                    f"peer {peer.name} says there is more in {name} but gave no way to page on"
                )
            pending = asking.submit(_get, client, peer, name, after, page_size, token)


def _apply_ready(
    engine: Engine,
    peer: peer_store.Peer,
    name: str,
    page: Page,
    pages: Ahead[Page],
    now: Callable[[], datetime],
    summary: SyncSummary,
) -> None:
    """Apply a page, and those after it that are already fetched, each with the cursor after
    it, in one transaction of about COMMIT_OBJECTS objects at most.

    It waits at most HOLD_S for the next page while it holds the write lock: two nodes syncing
    from each other would otherwise each hold theirs while the other's server waits for it to
    record the read.
    """
    source = exchange.Source(
        partner=peer.name, peer=peer.name, actor=f"sync:{peer.name}", relay=True
    )
    with writing(engine) as conn:
        applied = 0
        while True:
            received = exchange.receive_arrivals(conn, source, page.arrivals, now())
            summary.add(received, 1)
            if page.last_added is not None:
                peer_store.set_cursor(conn, peer.name, name, page.last_added, now())
            applied += len(page.arrivals)
            if applied >= COMMIT_OBJECTS or not pages.ready(HOLD_S):
                return
            following = next(pages, None)
            if following is None:
                return
            page = following


def _get(
    client: httpx.Client,
    peer: peer_store.Peer,
    name: str,
    after: int | None,
    limit: int,
    next_token: str | None,
) -> httpx.Response:
    """One page of a peer's collection after a date_added (epoch µs), or after a `next` token."""
    url = f"{peer.url}{ROOT}collections/{collection_id(name)}/objects/"
    params: dict[str, str | int] = {"limit": limit}
    if after is not None:
        params["added_after"] = stix.stix_time(stix.from_micros(after))
    if next_token is not None:
        params["next"] = next_token
    headers = {"Accept": MEDIA, "Authorization": f"Bearer {peer.token}"}
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise PeerUnavailable(f"peer {peer.name} at {peer.url}: {exc}") from None
    if response.status_code != 200:
        raise PeerUnavailable(_why(peer, response))
    return response


def _last_added(peer: peer_store.Peer, response: httpx.Response) -> int | None:
    """The date_added of the last object on a page, from its header (None if it shows none)."""
    last = response.headers.get("X-TAXII-Date-Added-Last")
    try:
        return stix.to_micros(stix.parse_stix_time(last)) if last else None
    except InvalidInput:
        raise PeerUnavailable(
            f"peer {peer.name} sent a bad X-TAXII-Date-Added-Last: {str(last)[:40]!r}"
        ) from None


def _envelope(peer: peer_store.Peer, content: bytes) -> dict[str, Any]:
    try:
        envelope = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise PeerUnavailable(f"peer {peer.name} answered, but not with JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
        raise PeerUnavailable(f"peer {peer.name} answered with something that is not an envelope")
    return envelope


def _objects(peer: peer_store.Peer, content: bytes) -> list[Any]:
    """The objects of an envelope as the peer sent them."""
    found: list[Any] = _envelope(peer, content).get("objects", [])
    return found


def _more(peer: peer_store.Peer, content: bytes) -> tuple[bool, str | None]:
    """Whether an envelope says there is more, and its `next` token if it gives one."""
    envelope = _envelope(peer, content)
    token = envelope.get("next")
    return bool(envelope.get("more")), token if isinstance(token, str) else None


def _why(peer: peer_store.Peer, response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
        detail = body.get("title", "") + ": " + body.get("description", "")
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        detail = response.text[:200]
    hint = " (check the token)" if response.status_code in (401, 403) else ""
    return f"peer {peer.name} answered {response.status_code}{hint}: {detail}"
