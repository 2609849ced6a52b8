"""Friendly tracks taken in as Cursor-on-Target, and what each CoT push sent where.

A track is keyed by its CoT uid, the sender's identity for it: a newer event replaces the row.
A uid belongs to the partner that first sent it while it lives; another partner's event with
the same uid is refused, so that one side cannot move or delete the other's tracks. A track is
dead once its `stale` has passed (the sender's claim of how long it holds) and is swept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.positions import utc
from tansiq.store.schema_tracks import cot_sent, tracks


@dataclass(frozen=True, slots=True)
class Track:
    uid: str
    partner: str
    callsign: str
    cot_type: str
    how: str
    latitude: float
    longitude: float
    ce: float
    time: datetime
    stale: datetime
    received_at: datetime
    peer: str


class UidTaken(ValueError):
    """The uid is a live track of another partner."""


def put_track(conn: Connection, track: Track) -> bool:
    """Insert or replace the track of this uid; True when it was new. UidTaken when a live
    track of another partner has the uid (a dead one is taken over)."""
    stored = conn.execute(
        sa.select(tracks.c.partner_code, tracks.c.stale).where(tracks.c.uid == track.uid)
    ).first()
    values = _values(track)
    if stored is None:
        conn.execute(tracks.insert().values(**values))
        return True
    if stored.partner_code != track.partner and utc(stored.stale) > track.received_at:
        raise UidTaken(f"uid {track.uid!r} is a live track of partner {stored.partner_code}")
    conn.execute(tracks.update().where(tracks.c.uid == track.uid).values(**values))
    return False


def _values(track: Track) -> dict[str, Any]:
    return {
        "uid": track.uid,
        "partner_code": track.partner,
        "callsign": track.callsign,
        "cot_type": track.cot_type,
        "how": track.how,
        "latitude": track.latitude,
        "longitude": track.longitude,
        "ce": track.ce,
        "time": utc(track.time),
        "stale": utc(track.stale),
        "received_at": utc(track.received_at),
        "peer": track.peer[:80],
    }


def remove_track(conn: Connection, uid: str, partner: str) -> bool:
    """Delete the partner's track of this uid (its own t-x-d-d); False if it has none."""
    query = tracks.delete().where(tracks.c.uid == uid, tracks.c.partner_code == partner)
    return conn.execute(query).rowcount > 0


def live_tracks(conn: Connection, now: datetime, partner: str | None = None) -> list[Track]:
    """Tracks not yet stale, by uid."""
    query = sa.select(tracks).where(tracks.c.stale > utc(now)).order_by(tracks.c.uid)
    if partner is not None:
        query = query.where(tracks.c.partner_code == partner)
    return [_track(row) for row in conn.execute(query).mappings()]


def sweep_stale(conn: Connection, now: datetime) -> list[str]:
    """Delete the tracks whose stale has passed; their uids."""
    query = sa.select(tracks.c.uid).where(tracks.c.stale <= utc(now)).order_by(tracks.c.uid)
    gone = list(conn.execute(query).scalars())
    if gone:
        conn.execute(tracks.delete().where(tracks.c.uid.in_(gone)))
    return gone


def _track(row: sa.RowMapping) -> Track:
    return Track(
        uid=row["uid"],
        partner=row["partner_code"],
        callsign=row["callsign"],
        cot_type=row["cot_type"],
        how=row["how"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        ce=row["ce"],
        time=utc(row["time"]),
        stale=utc(row["stale"]),
        received_at=utc(row["received_at"]),
        peer=row["peer"],
    )


# --- what a push sent --------------------------------------------------------------------------


def sent_to(conn: Connection, destination: str) -> dict[str, str]:
    """uid -> CoT type of everything last sent to this destination and not since deleted."""
    query = sa.select(cot_sent.c.uid, cot_sent.c.cot_type).where(
        cot_sent.c.destination == destination
    )
    return {str(uid): str(cot_type) for uid, cot_type in conn.execute(query)}


def record_sent(
    conn: Connection,
    destination: str,
    before: Mapping[str, str],
    after: Mapping[str, str],
    now: datetime,
) -> None:
    """After a push: the destination held `before` (uid -> type) and now holds `after`; only
    the difference is written, so a steady picture costs no writes."""
    changed = {uid for uid, cot_type in after.items() if before.get(uid) != cot_type}
    gone = sorted((set(before) - set(after)) | (changed & set(before)))
    c = cot_sent.c
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        conn.execute(cot_sent.delete().where(c.destination == destination, c.uid.in_(chunk)))
    rows = [
        {"destination": destination, "uid": uid, "cot_type": after[uid], "sent_at": utc(now)}
        for uid in sorted(changed)
    ]
    if rows:
        conn.execute(cot_sent.insert(), rows)
