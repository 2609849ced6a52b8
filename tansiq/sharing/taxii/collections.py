"""The three TAXII collections of the exchange API root, and what each caller may do with them.

- `intel`: every object version the caller may read. Only the node's own partner (or one of its
  sub-organisations) writes here, and only in a writer role: POST publishes their objects,
  DELETE withdraws one.
- `inbox`: where a partner posts its sightings, notes, opinions and reports for this node.
  Write-only; invisible (404) to roles that may not post.
- `withdrawals`: tombstones, telling a partner that an object was withdrawn or is no longer
  released to it. Read-only.

Collection ids are UUIDv5s of the project namespace, so every node has the same ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.domain.markings import NAMESPACE, person_viewer
from tansiq.domain.reports import WRITERS, Role
from tansiq.sharing.taxii.errors import not_found
from tansiq.sharing.taxii.media import STIX_MEDIA_TYPE
from tansiq.store.objects import OBJECT, TOMBSTONE, Kind
from tansiq.store.partners import node_partner, partner_parents


def collection_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "collection:" + name))


@dataclass(frozen=True, slots=True)
class TaxiiCollection:
    name: str
    title: str
    description: str
    kind: Kind

    @property
    def id(self) -> str:
        return collection_id(self.name)


INTEL: Final = TaxiiCollection(
    "intel", "Intelligence", "Every object version released to you, oldest first.", OBJECT
)
INBOX: Final = TaxiiCollection(
    "inbox", "Inbox", "Post your sightings, notes, opinions and reports for this node.", OBJECT
)
WITHDRAWALS: Final = TaxiiCollection(
    "withdrawals",
    "Withdrawals",
    "Revoked stubs of objects withdrawn or no longer released to you.",
    TOMBSTONE,
)
_ALL: Final = (INTEL, INBOX, WITHDRAWALS)


@dataclass(frozen=True, slots=True)
class Access:
    """A collection as one caller sees it."""

    collection: TaxiiCollection
    can_read: bool
    can_write: bool

    def resource(self) -> dict[str, Any]:
        """The TAXII collection resource."""
        return {
            "id": self.collection.id,
            "title": self.collection.title,
            "description": self.collection.description,
            "alias": self.collection.name,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }


def _is_node_partner(conn: Connection, partner: str) -> bool:
    """Whether `partner` is this node's partner or one of its sub-organisations."""
    return node_partner(conn) in person_viewer(partner, partner_parents(conn)).codes


def _access(conn: Connection, caller: Principal, collection: TaxiiCollection) -> Access | None:
    if collection is INTEL:
        own_writer = caller.role in WRITERS and _is_node_partner(conn, caller.partner)
        return Access(INTEL, can_read=True, can_write=own_writer)
    if collection is INBOX:
        may_post = caller.role is Role.PEER or caller.role in WRITERS
        return Access(INBOX, can_read=False, can_write=True) if may_post else None
    return Access(WITHDRAWALS, can_read=True, can_write=False)


def visible(conn: Connection, caller: Principal) -> list[Access]:
    """The collections this caller can see, sorted by id."""
    found = [_access(conn, caller, c) for c in _ALL]
    return sorted((a for a in found if a is not None), key=lambda a: a.collection.id)


def find(conn: Connection, caller: Principal, cid: str) -> Access:
    """The collection with this id as the caller sees it; 404 if unknown or not visible."""
    for collection in _ALL:
        if collection.id == cid:
            found = _access(conn, caller, collection)
            if found is not None:
                return found
    raise not_found(f"no collection {cid!r} in this API root")
