"""The quarantine table: partner objects held until stix2-validator has passed them.

Nothing but the validator reads this table, so a held object is visible nowhere (TAXII, API,
search, counts) until it has passed and been stored in `stix_objects`.

Claims make it safe for several validators to share one database. A worker claims the oldest
free rows with a token and a lease (`LEASE`) in one short write transaction, validates them with
no transaction open, then takes back what still carries its token, in the write transaction that
applies them, and deletes it there. On PostgreSQL the claim's UPDATE re-checks `free` on rows
another worker claimed meanwhile and skips them; SQLite has one writer at a time. A worker that
dies leaves its claim, which lapses after the lease: its rows are validated again, never applied
twice (the taker must still hold the token, and a row is deleted as it is applied).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import quarantine

LEASE: Final = timedelta(minutes=1)
"""How long a claim lasts; a batch takes well under a second, a dead worker's claim lapses."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One object to hold: its place in the envelope, its label and its body."""

    position: int
    stix_id: str
    version: str
    body: Any


@dataclass(frozen=True, slots=True)
class Poster:
    """Who posted a held object, and the TAXII status that lists it as pending."""

    status_id: str
    partner: str
    actor: str


@dataclass(frozen=True, slots=True)
class Held:
    """A held object as a validator claims it."""

    seq: int
    poster: Poster
    position: int
    stix_id: str
    version: str
    body: str


def hold(conn: Connection, poster: Poster, entries: Sequence[Entry], now: datetime) -> None:
    """Hold these objects, in this order, for the validator (inside the poster's transaction)."""
    if not entries:
        return
    rows = [
        {
            "status_id": poster.status_id,
            "position": e.position,
            "partner_code": poster.partner,
            "actor": poster.actor,
            "stix_id": e.stix_id,
            "version": e.version,
            "body": orjson.dumps(e.body).decode(),
            "held_at": _utc(now),
        }
        for e in entries
    ]
    conn.execute(quarantine.insert(), rows)


def claim(conn: Connection, token: str, now: datetime, limit: int) -> list[Held]:
    """Claim up to `limit` of the oldest free rows for `token`, for `LEASE`; returns them."""
    q = quarantine
    free = sa.or_(q.c.claim.is_(None), q.c.claimed_until < _utc(now))
    oldest = sa.select(q.c.seq).where(free).order_by(q.c.seq).limit(limit)
    conn.execute(
        q.update()
        .where(q.c.seq.in_(oldest), free)
        .values(claim=token, claimed_until=_utc(now) + LEASE)
    )
    stmt = sa.select(q).where(q.c.claim == token).order_by(q.c.seq)
    return [_held(row) for row in conn.execute(stmt)]


def release(conn: Connection, token: str) -> None:
    """Give back what `token` claimed, unvalidated (a worker stopping mid-batch)."""
    q = quarantine
    conn.execute(q.update().where(q.c.claim == token).values(claim=None, claimed_until=None))


def take(conn: Connection, token: str, seqs: Iterable[int]) -> set[int]:
    """Delete and return those of `seqs` that `token` still holds, in the transaction that
    applies them (locked first on PostgreSQL, so a late claimer waits and then finds none)."""
    q = quarantine
    wanted = sorted(set(seqs))
    stmt = sa.select(q.c.seq).where(q.c.claim == token, q.c.seq.in_(wanted)).with_for_update()
    found = {int(seq) for seq in conn.execute(stmt).scalars()}
    if found:
        conn.execute(q.delete().where(q.c.seq.in_(sorted(found))))
    return found


def count(conn: Connection) -> int:
    """How many objects are held."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar_one())


def _held(row: Any) -> Held:
    return Held(
        seq=int(row.seq),
        poster=Poster(str(row.status_id), str(row.partner_code), str(row.actor)),
        position=int(row.position),
        stix_id=str(row.stix_id),
        version=str(row.version),
        body=str(row.body),
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
