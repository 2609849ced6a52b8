"""The audit log: an append-only chain of entries, each hash covering the one before it.

Entry n stores `prev_hash`, the hash of entry n-1 (GENESIS for entry 1), and `hash`, the
SHA-256 of its own fields and `prev_hash`. The head records the newest entry's seq and hash.
Editing an entry breaks its own hash; deleting or inserting one breaks the seq run or the
next entry's link; deleting the newest entries leaves the head pointing past the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from tansiq.errors import InvalidInput

GENESIS = "0" * 64
"""The `prev_hash` of the first entry."""

ACTOR_MAX = 100
ACTION_MAX = 32


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing that happened: who did what to which object, and when."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]


StoredEntry = tuple[AuditEntry, str, str]
"""An entry as stored: (entry, prev_hash, hash)."""

Head = tuple[int, str]
"""The stored head: (seq, hash) of the newest entry."""


def utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime (as SQLite returns them) is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """SHA-256 (hex) of the entry's canonical encoding followed by `prev_hash`."""
    fields = [
        entry.seq,
        utc(entry.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        prev_hash,
    ]
    # `default=dict` encodes any other Mapping type as the dict it holds.
    encoded = orjson.dumps(fields, default=dict, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(encoded).hexdigest()


def encode_detail(detail: Mapping[str, Any]) -> str:
    """The detail as stored: canonical JSON text. Raises InvalidInput if it is not JSON."""
    try:
        return orjson.dumps(dict(detail), option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"audit detail is not JSON: {exc}") from None


def check_fields(actor: str, action: str) -> None:
    """Refuse an actor or action that is empty or too long to store."""
    for name, value, most in (("actor", actor, ACTOR_MAX), ("action", action, ACTION_MAX)):
        if not value or len(value) > most:
            raise InvalidInput(f"audit {name} must be 1 to {most} characters, got {value!r}")


class Breach(StrEnum):
    """Why the chain is broken at an entry."""

    EDITED = "edited"
    """The entry's hash does not match its contents."""
    MISSING = "missing"
    """The seq run has a gap before the entry: entries were deleted."""
    UNLINKED = "unlinked"
    """The entry's prev_hash is not the previous entry's hash: an entry was inserted or replaced."""
    HEAD = "head"
    """The head does not match the newest entry: entries or the head were deleted or edited."""


@dataclass(frozen=True, slots=True)
class AuditVerdict:
    """What a walk of the chain found.

    `entries` counts the entries verified before the first broken one (all of them if the
    chain is intact). `entry` is the first broken entry, when it still exists.
    """

    entries: int
    first_broken: int | None = None
    breach: Breach | None = None
    reason: str | None = None
    entry: AuditEntry | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify_chain(rows: Iterable[StoredEntry], head: Head | None) -> AuditVerdict:
    """Walk stored entries in seq order and return the first break, or intact and the count.

    Read the head before the entries: an entry appended meanwhile is then a valid
    continuation past the head, not a break.
    """
    seq, last_hash, count = 0, GENESIS, 0
    for entry, prev_hash, stored_hash in rows:
        why = _check_entry(entry, prev_hash, stored_hash, seq, last_hash)
        if why is None and head is not None and entry.seq == head[0] and stored_hash != head[1]:
            why = Breach.HEAD, f"head edited: its hash for entry {entry.seq} differs"
        if why is not None:
            return AuditVerdict(count, entry.seq, *why, entry)
        seq, last_hash, count = entry.seq, stored_hash, count + 1
    why = _check_end(seq, last_hash, count, head)
    return AuditVerdict(count) if why is None else AuditVerdict(count, seq + 1, *why)


def _check_entry(
    entry: AuditEntry, prev_hash: str, stored_hash: str, last_seq: int, last_hash: str
) -> tuple[Breach, str] | None:
    if entry.seq > last_seq + 1:
        return Breach.MISSING, f"deleted: {_entries(last_seq + 1, entry.seq - 1)} before it"
    if entry.seq != last_seq + 1:
        return Breach.UNLINKED, f"inserted: seq {entry.seq} does not follow {last_seq}"
    if entry_hash(prev_hash, entry) != stored_hash:
        return Breach.EDITED, "edited: its hash does not match its contents"
    if prev_hash != last_hash:
        return Breach.UNLINKED, (
            f"inserted or replaced: its prev_hash is not the hash of entry {last_seq}"
        )
    return None


def _check_end(
    last_seq: int, last_hash: str, count: int, head: Head | None
) -> tuple[Breach, str] | None:
    """The head must name the last entry walked, or one before it (appended meanwhile)."""
    if head is None:
        return (Breach.HEAD, "head deleted: there are entries but no head") if count else None
    if head[0] > last_seq:
        return Breach.HEAD, f"deleted: {_entries(last_seq + 1, head[0])} (the newest)"
    if head[0] == 0 and count:
        return Breach.HEAD, "head edited: it was reset to before the first entry"
    return None


def _entries(first: int, last: int) -> str:
    return f"no entry {first}" if first == last else f"no entries {first} to {last}"
