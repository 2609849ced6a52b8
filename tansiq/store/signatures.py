"""Originators' signatures of tombstones, kept by a relay to pass them on.

A relay builds the tombstones it serves from its own copy of an object, so the originator's
signature is not in any stored body. It is kept here, by object, version and the SHA-256 of
the canonical form it signs: the relay passes it on only with a body that hashes the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import tombstone_signatures

Key = tuple[str, int, str]
"""(stix_id, version, digest)"""


def keep(conn: Connection, key: Key, signer: str, signature: str) -> None:
    """Remember a verified signature (once: the same key always has the same signer's)."""
    t = tombstone_signatures
    stix_id, version, digest = key
    where = sa.and_(t.c.stix_id == stix_id, t.c.version == version, t.c.digest == digest)
    if conn.execute(sa.select(t.c.stix_id).where(where)).first() is None:
        values = {"stix_id": stix_id, "version": version, "digest": digest}
        conn.execute(t.insert().values(**values, signer=signer, signature=signature))


def kept(conn: Connection, objects: Iterable[tuple[str, int]]) -> dict[Key, tuple[str, str]]:
    """The (signer, signature) kept for these (stix_id, version) pairs, by full key."""
    wanted = set(objects)
    ids = sorted({stix_id for stix_id, _ in wanted})
    t = tombstone_signatures
    found: dict[Key, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        for row in conn.execute(sa.select(t).where(t.c.stix_id.in_(ids[start : start + 500]))):
            if (row.stix_id, row.version) in wanted:
                key = (str(row.stix_id), int(row.version), str(row.digest))
                found[key] = (str(row.signer), str(row.signature))
    return found
