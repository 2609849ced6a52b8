"""Signed decisions on operations: whether each approval or veto still counts.

Each decision is signed by a node's Ed25519 key (tansiq.sharing.keys) over
tansiq.domain.operations.statement. It counts only if the signature checks by this node's own
key or a pinned partner key (never a key taken from the row itself), over the hash recomputed
now from the stored content: a changed row or content stops verifying. Made by
tansiq.operations.decide here, or received from a partner's node (tansiq.sharing.operation_feed).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Connection

from tansiq.domain import operations as ops
from tansiq.domain.operations import Decision, IllegalTransition, Validity
from tansiq.sharing import signing
from tansiq.sharing.keys import node_key
from tansiq.store import keys as key_store
from tansiq.store import operations as store
from tansiq.store.operations import OperationRecord, StoredDecision


def trusted_keys(conn: Connection) -> set[str]:
    """The keys a decision may be signed by: this node's and the pinned partners'."""
    own = node_key(conn).public()
    return {own, *key_store.pinned(conn, [p.partner for p in key_store.list_pins(conn)]).values()}


def version_hashes(conn: Connection, record: OperationRecord) -> dict[int, str]:
    """Each version's hash recomputed from its stored content; the current one from the
    operation's own columns (so a changed column is a changed hash)."""
    found = {
        v: ops.content_hash(content)
        for v, (content, _) in store.version_contents(conn, record.id).items()
    }
    found[record.version] = record.content().digest()
    return found


def validity(
    d: StoredDecision, record: OperationRecord, hashes: Mapping[int, str], trusted: set[str]
) -> Validity:
    """Valid: the signature checks, by a trusted key, over this row, for the hash recomputed
    now. Void: of an older version. Invalid: anything else (the row or content changed)."""
    message = ops.statement(
        d.operation_id, d.version, d.content_hash, d.decision, d.approver, d.side, d.at
    )
    signed = d.key_id in trusted and signing.verifies(
        message, signing.Signature(d.key_id, d.signature), d.key_id
    )
    if not signed or hashes.get(d.version) != d.content_hash:
        return Validity.INVALID
    return Validity.VALID if d.version == record.version else Validity.VOID


def valid_sides(
    conn: Connection, record: OperationRecord, decision: Decision = Decision.APPROVE
) -> set[str]:
    """The sides with a decision of this kind that counts on the current version."""
    hashes, trusted = version_hashes(conn, record), trusted_keys(conn)
    return {
        d.side
        for d in store.decisions(conn, record.id)
        if d.decision is decision and validity(d, record, hashes, trusted) is Validity.VALID
    }


def require_intact(conn: Connection, record: OperationRecord) -> str:
    """The current content hash, or IllegalTransition if the row or its stored version no
    longer match it (nothing is signed over a tampered operation)."""
    digest = record.content().digest()
    stored = store.version_contents(conn, record.id).get(record.version)
    if digest != record.content_hash or stored is None or stored[1] != digest:
        raise IllegalTransition(
            f"hash: operation {record.id} does not match its stored hash; nothing was signed"
        )
    return digest
