"""TAXII reads: envelopes, manifests and version lists, one page at a time.

The store filters by releasability in SQL before the limit (objects.page), and render_rows cuts
links to what the caller may not read; X-TAXII-Date-Added-First/Last cover what is returned.
The envelope is built by joining the stored JSON bodies: no object is decoded and re-encoded
unless a link had to be cut, which is what keeps a page fast. Tombstones are the exception:
each is decoded and signed by this node as it is served (tansiq.sharing.tombstones).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy.engine import Connection, Engine

from tansiq.accounts import Principal
from tansiq.sharing import exchange, stix, tombstones
from tansiq.sharing.reads import record_read
from tansiq.sharing.signing import SigningKey
from tansiq.sharing.taxii import paging
from tansiq.sharing.taxii.collections import Access
from tansiq.sharing.taxii.errors import not_found
from tansiq.sharing.taxii.filters import Filters, taxii_time
from tansiq.sharing.taxii.media import STIX_MEDIA_TYPE
from tansiq.store import objects
from tansiq.store.objects import TOMBSTONE

Rendered = list[tuple[objects.StoredRow, bytes]]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One read: who asks, in which collection, through which endpoint, with what filters."""

    caller: Principal
    access: Access
    filters: Filters
    key: bytes
    endpoint: str
    signing_key: SigningKey
    """This node's key, which signs every tombstone served."""
    object_id: str | None = None

    def selection(self) -> str:
        return paging.selection_hash(
            self.endpoint,
            self.access.collection.id,
            self.object_id,
            self.caller.name,
            self.filters.selection(),
        )


@dataclass(frozen=True, slots=True)
class Served:
    """A page ready to send, and the ids it reveals (for the audit entry)."""

    body: bytes
    headers: dict[str, str]
    ids: list[str]


@dataclass(frozen=True, slots=True)
class _Fetched:
    rows: Rendered
    more: bool
    next: str | None


def _fetch(conn: Connection, request: PageRequest) -> _Fetched:
    selection = request.selection()
    after = request.filters.added_after
    if request.filters.next:
        resumed = paging.resume(request.key, selection, request.filters.next)
        after = resumed if after is None else max(after, resumed)
    viewer = request.caller.viewer
    query = request.filters.query(request.access.collection.kind, after)
    found = objects.page(conn, viewer, query)
    rendered = exchange.render_rows(conn, viewer, found.rows)
    token = None
    if found.more:
        # The last row fetched, not the last shown: a row cut by render_rows is not re-read.
        last = found.rows[-1]
        token = paging.issue(request.key, selection, last.date_added)
    return _Fetched(rendered, found.more, token)


def _body(fetched: _Fetched, member: bytes, items: list[bytes]) -> bytes:
    """`{"more":..,"next":..,member:[..]}` with `next` only when more, no empty list."""
    parts = [b'{"more":', b"true" if fetched.more else b"false"]
    if fetched.next is not None:
        parts += [b',"next":"', fetched.next.encode(), b'"']
    if items:
        parts += [b',"', member, b'":[', b",".join(items), b"]"]
    parts.append(b"}")
    return b"".join(parts)


def _served(fetched: _Fetched, member: bytes, items: list[bytes]) -> Served:
    headers = {}
    if fetched.rows:
        headers["X-TAXII-Date-Added-First"] = taxii_time(fetched.rows[0][0].date_added)
        headers["X-TAXII-Date-Added-Last"] = taxii_time(fetched.rows[-1][0].date_added)
    ids = list(dict.fromkeys(row.stix_id for row, _ in fetched.rows))
    return Served(_body(fetched, member, items), headers, ids)


def _version(row: objects.StoredRow) -> str:
    return stix.stix_time(stix.from_micros(row.version))


def objects_page(conn: Connection, request: PageRequest) -> Served:
    """An envelope of the objects selected (Get Objects); tombstones signed by this node."""
    fetched = _fetch(conn, request)
    rows = fetched.rows
    if request.access.collection.kind == TOMBSTONE:
        rows = tombstones.seal(conn, request.signing_key, rows)
    return _served(fetched, b"objects", [body for _, body in rows])


def object_page(conn: Connection, request: PageRequest) -> Served:
    """An envelope of one object's versions (Get an Object); 404 when none is shown."""
    return _require_some(objects_page(conn, request), request)


def manifest_page(conn: Connection, request: PageRequest) -> Served:
    """The manifest entries of the objects selected (Get Object Manifests)."""
    fetched = _fetch(conn, request)
    entries = [_manifest_entry(row) for row, _ in fetched.rows]
    return _served(fetched, b"objects", entries)


def _manifest_entry(row: objects.StoredRow) -> bytes:
    return orjson.dumps(
        {
            "id": row.stix_id,
            "date_added": taxii_time(row.date_added),
            "version": _version(row),
            "media_type": STIX_MEDIA_TYPE,
        }
    )


def versions_page(conn: Connection, request: PageRequest) -> Served:
    """One object's versions (Get Object Versions); 404 when none is shown."""
    fetched = _fetch(conn, request)
    items = [orjson.dumps(_version(row)) for row, _ in fetched.rows]
    return _require_some(_served(fetched, b"versions", items), request)


def _require_some(served: Served, request: PageRequest) -> Served:
    if not served.ids:
        raise not_found(f"no object {request.object_id!r} matching these filters")
    return served


def record(engine: Engine, request: PageRequest, served: Served) -> None:
    """One audit entry per page served (`share` to a partner node, `read` to a person)."""
    record_read(engine, request.caller, served.ids, request.access.collection.id)
