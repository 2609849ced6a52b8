from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.domain.audit import (
    GENESIS,
    AuditEntry,
    Breach,
    Head,
    StoredEntry,
    check_fields,
    encode_detail,
    entry_hash,
    verify_chain,
)
from tansiq.errors import InvalidInput
from tests.conftest import FROZEN_NOW

# No example database: it would write .hypothesis/ into the working tree.
CHAINS = settings(max_examples=200, deadline=None, database=None)

BAGHDAD = timezone(timedelta(hours=3))


def make_entry(**overrides: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "seq": 1,
        "at": FROZEN_NOW,
        "actor": "alice",
        "action": "report.release",
        "subject": "report--1",
        "detail": {"to": ["UN"], "tlp": "amber"},
    }
    values.update(overrides)
    return AuditEntry(**values)


def make_chain(entries: list[AuditEntry]) -> tuple[list[StoredEntry], Head | None]:
    """Rows and head as `append` stores them."""
    rows: list[StoredEntry] = []
    last = GENESIS
    for entry in entries:
        digest = entry_hash(last, entry)
        rows.append((entry, last, digest))
        last = digest
    return rows, (rows[-1][0].seq, last) if rows else None


def chain_of(n: int) -> tuple[list[StoredEntry], Head | None]:
    return make_chain(
        [make_entry(seq=i, subject=f"report--{i}", detail={"n": i}) for i in range(1, n + 1)]
    )


def test_the_hash_is_sha256_of_the_documented_encoding() -> None:
    # Peers re-check chains with their own code: this encoding is a published format.
    encoded = (
        b'[1,"2026-11-25T12:00:00.000000Z","alice","report.release","report--1",'
        b'{"tlp":"amber","to":["UN"]},"' + GENESIS.encode() + b'"]'
    )
    expected = hashlib.sha256(encoded).hexdigest()
    assert entry_hash(GENESIS, make_entry()) == expected
    assert expected == "a2bedab90c5b21bbcdb30b2e40125e7efc5d5c9e44b53e2624f866d30615921c"


@pytest.mark.parametrize(
    "at",
    [
        FROZEN_NOW.replace(tzinfo=None),  # as SQLite returns it
        FROZEN_NOW.astimezone(BAGHDAD),  # as PostgreSQL may, in another session time zone
    ],
)
def test_the_same_instant_hashes_the_same_however_it_is_written(at: datetime) -> None:
    assert entry_hash(GENESIS, make_entry(at=at)) == entry_hash(GENESIS, make_entry())


def test_detail_key_order_and_mapping_type_do_not_change_the_hash() -> None:
    reordered = make_entry(detail=MappingProxyType({"tlp": "amber", "to": ["UN"]}))
    assert entry_hash(GENESIS, reordered) == entry_hash(GENESIS, make_entry())


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"at": FROZEN_NOW + timedelta(microseconds=1)},
        {"actor": "bob"},
        {"action": "report.withdraw"},
        {"subject": "report--2"},
        {"detail": {"to": ["UN", "EU"], "tlp": "amber"}},
    ],
)
def test_every_field_is_covered_by_the_hash(change: dict[str, Any]) -> None:
    assert entry_hash(GENESIS, make_entry(**change)) != entry_hash(GENESIS, make_entry())


def test_the_previous_hash_is_covered() -> None:
    assert entry_hash("1" * 64, make_entry()) != entry_hash(GENESIS, make_entry())


@pytest.mark.parametrize("n", [0, 1, 5])
def test_an_untouched_chain_is_intact_with_its_count(n: int) -> None:
    verdict = verify_chain(*chain_of(n))
    assert verdict.ok
    assert (verdict.entries, verdict.first_broken, verdict.reason) == (n, None, None)


def test_an_edited_entry_is_named() -> None:
    rows, head = chain_of(5)
    entry, prev, digest = rows[2]
    rows[2] = (replace(entry, detail={"n": 99}), prev, digest)
    verdict = verify_chain(rows, head)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (3, Breach.EDITED, 2)
    assert verdict.entry is not None
    assert verdict.entry.subject == "report--3"
    assert verdict.reason is not None
    assert "edited" in verdict.reason


def test_a_deleted_entry_is_found_at_its_successor() -> None:
    rows, head = chain_of(5)
    del rows[2]
    verdict = verify_chain(rows, head)
    assert (verdict.first_broken, verdict.breach) == (4, Breach.MISSING)
    assert verdict.reason == "deleted: no entry 3 before it"


def test_deleting_the_first_entries_is_found() -> None:
    rows, head = chain_of(5)
    verdict = verify_chain(rows[2:], head)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (3, Breach.MISSING, 0)
    assert verdict.reason == "deleted: no entries 1 to 2 before it"


@pytest.mark.parametrize("kept", [0, 3, 4])
def test_deleting_the_newest_entries_is_found_through_the_head(kept: int) -> None:
    rows, head = chain_of(5)
    verdict = verify_chain(rows[:kept], head)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (kept + 1, Breach.HEAD, kept)


def test_a_replaced_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    rows, head = chain_of(5)
    forged = replace(rows[2][0], actor="mallory")
    rows[2] = (forged, rows[2][1], entry_hash(rows[2][1], forged))
    verdict = verify_chain(rows, head)
    assert (verdict.first_broken, verdict.breach) == (4, Breach.UNLINKED)


def test_deleting_an_entry_and_renumbering_the_rest_is_found() -> None:
    rows, head = chain_of(5)
    renumbered = [(replace(e, seq=e.seq - 1), p, h) for e, p, h in rows[3:]]
    verdict = verify_chain([*rows[:2], *renumbered], head)
    assert (verdict.first_broken, verdict.breach) == (3, Breach.EDITED)


def test_an_entry_before_the_first_is_found() -> None:
    rows, head = chain_of(2)
    stray = make_entry(seq=0)
    verdict = verify_chain([(stray, GENESIS, entry_hash(GENESIS, stray)), *rows], head)
    assert (verdict.first_broken, verdict.breach) == (0, Breach.UNLINKED)


@pytest.mark.parametrize(
    ("head", "first_broken"),
    [((5, "f" * 64), 5), ((3, "f" * 64), 3), (None, 6), ((0, GENESIS), 6)],
    ids=["edited", "edited-behind", "deleted", "reset"],
)
def test_a_tampered_head_is_found(head: Head | None, first_broken: int) -> None:
    rows, _ = chain_of(5)
    verdict = verify_chain(rows, head)
    assert (verdict.first_broken, verdict.breach) == (first_broken, Breach.HEAD)


def test_entries_appended_after_the_head_was_read_are_not_a_break() -> None:
    rows, _ = chain_of(5)
    head_then = (3, rows[2][2])
    verdict = verify_chain(rows, head_then)
    assert verdict.ok
    assert verdict.entries == 5


def test_a_detail_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not JSON"):
        encode_detail({"at": object()})
    with pytest.raises(InvalidInput, match="not JSON"):
        encode_detail({"n": 2**64})


def test_detail_is_stored_as_canonical_json() -> None:
    assert encode_detail({"b": 1, "a": [1.5, None]}) == '{"a":[1.5,null],"b":1}'


@pytest.mark.parametrize(("actor", "action"), [("", "x"), ("a" * 101, "x"), ("a", "x" * 33)])
def test_an_actor_or_action_that_cannot_be_stored_is_refused(actor: str, action: str) -> None:
    with pytest.raises(InvalidInput, match="characters"):
        check_fields(actor, action)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
entries_st = st.builds(
    AuditEntry,
    seq=st.just(0),
    at=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    actor=st.text(min_size=1, max_size=12),
    action=st.text(min_size=1, max_size=12),
    subject=st.text(max_size=20),
    detail=st.dictionaries(st.text(max_size=4), json_values, max_size=4),
)
chains = st.lists(entries_st, min_size=1, max_size=12).map(
    lambda es: make_chain([replace(e, seq=i) for i, e in enumerate(es, start=1)])
)


def _edited(row: StoredEntry, field: str) -> StoredEntry:
    entry, prev, digest = row
    if field == "prev_hash":
        return entry, hashlib.sha256(prev.encode()).hexdigest(), digest
    if field == "hash":
        return entry, prev, hashlib.sha256(digest.encode()).hexdigest()
    if field == "at":
        return replace(entry, at=entry.at + timedelta(microseconds=1)), prev, digest
    if field == "detail":
        return replace(entry, detail={"was": entry.detail}), prev, digest
    return replace(entry, **{field: getattr(entry, field) + "x"}), prev, digest


FIELDS = ["at", "actor", "action", "subject", "detail", "prev_hash", "hash"]


@CHAINS
@given(chains, st.integers(min_value=0), st.sampled_from(FIELDS))
def test_any_single_field_edit_is_found_at_the_edited_entry(
    chain: tuple[list[StoredEntry], Head | None], pick: int, field: str
) -> None:
    rows, head = chain
    k = pick % len(rows)
    rows[k] = _edited(rows[k], field)
    verdict = verify_chain(rows, head)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (k + 1, Breach.EDITED, k)


@CHAINS
@given(chains, st.integers(min_value=0))
def test_any_deletion_is_found_at_its_successor_or_through_the_head(
    chain: tuple[list[StoredEntry], Head | None], pick: int
) -> None:
    rows, head = chain
    k = pick % len(rows)
    last = k == len(rows) - 1
    del rows[k]
    verdict = verify_chain(rows, head)
    expected = (k + 1, Breach.HEAD) if last else (k + 2, Breach.MISSING)
    assert (verdict.first_broken, verdict.breach, verdict.entries) == (*expected, k)
