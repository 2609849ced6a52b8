"""Tables for operations, their versions and decisions, escalations, notices and conflicts.

tansiq.store.schema imports this module so the tables join its metadata. An operation's row
holds its current version (what `visible_operations` and the map read); `operation_versions`
keeps every version's canonical content and hash, so an approval of an old version can still
be checked (and shown void). Decisions (approvals and vetoes) are never changed or deleted.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("owner", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("op_type", sa.String(24), nullable=False),
    sa.Column("area_kind", sa.String(16), nullable=False),
    sa.Column("area_wkt", sa.Text, nullable=False),
    sa.Column("extent_m", sa.Float, nullable=False),
    sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("units", sa.Text, nullable=False),
    sa.Column("subjects", sa.Text, nullable=False),
    sa.Column("links", sa.Text, nullable=False),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Column("releasable_to", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("disputed_areas", sa.Text, nullable=False),
    sa.Column("sides_needed", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("escalation_level", sa.Integer, nullable=False),
    sa.Column("break_glass", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("origin", sa.String(32), nullable=False, server_default=""),
    sa.Index("ix_operations_state", "state"),
    sa.Index("ix_operations_owner", "owner"),
)
"""Each operation as its current version (tansiq.domain.operations.Content in columns: JSON
lists as text), with its workflow: state, sides needed, deadline, escalation, break-glass."""

operation_audience = sa.Table(
    "operation_audience",
    metadata,
    sa.Column(
        "operation_id",
        sa.String(100),
        sa.ForeignKey("operations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("partner_code", sa.String(32), primary_key=True),
)
"""Who an operation is released to (its owner always among them): read like positions'."""

operation_versions = sa.Table(
    "operation_versions",
    metadata,
    sa.Column(
        "operation_id",
        sa.String(100),
        sa.ForeignKey("operations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
"""Every version's canonical content (RFC 8785 JSON) and its SHA-256."""

operation_decisions = sa.Table(
    "operation_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation_id", sa.String(100), sa.ForeignKey("operations.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("approver", sa.String(100), nullable=False),
    sa.Column("side", sa.String(32), nullable=False),
    sa.Column("partner", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(100), nullable=False),
    sa.Column("signature", sa.String(100), nullable=False),
    sa.Index("ix_operation_decisions_operation_id_version", "operation_id", "version"),
)
"""Approvals and vetoes: each an Ed25519 signature (key_id: the signing public key) over the
statement tansiq.domain.operations.statement builds from this row's fields."""

operation_escalations = sa.Table(
    "operation_escalations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation_id", sa.String(100), sa.ForeignKey("operations.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("side", sa.String(32), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("escalated_to", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_operation_escalations_operation_id", "operation_id"),
)
"""Deadlines passed: to whom each waiting side's decision went, level by level."""

operation_notices = sa.Table(
    "operation_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation_id", sa.String(100), sa.ForeignKey("operations.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(32), nullable=False),
    sa.Column("to_side", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("contact", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_operation_notices_to_side", "to_side"),
)
"""What the other side is told without being asked to decide: an own-zone operation submitted,
a break-glass activation, an edit in flight (whom to call, never the plan)."""

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("a_kind", sa.String(16), nullable=False),
    sa.Column("a_ref", sa.String(100), nullable=False),
    sa.Column("a_origin", sa.String(32), nullable=False),
    sa.Column("a_owner", sa.String(32), nullable=False),
    sa.Column("a_contact", sa.Text, nullable=False),
    sa.Column("b_kind", sa.String(16), nullable=False),
    sa.Column("b_ref", sa.String(100), nullable=False),
    sa.Column("b_origin", sa.String(32), nullable=False),
    sa.Column("b_owner", sa.String(32), nullable=False),
    sa.Column("b_contact", sa.Text, nullable=False),
    sa.Column("reasons", sa.String(64), nullable=False),
    sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("a_ack_by", sa.String(100), nullable=True),
    sa.Column("a_ack_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("b_ack_by", sa.String(100), nullable=True),
    sa.Column("b_ack_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolution", sa.String(64), nullable=True),
    sa.Index("ix_conflicts_pair", "a_kind", "a_ref", "a_origin", "b_kind", "b_ref", "b_origin"),
    sa.Index("ix_conflicts_a_owner", "a_owner"),
    sa.Index("ix_conflicts_b_owner", "b_owner"),
)
"""Conflicts found by deconfliction between two footprints (a, b in a fixed order: the pair's
keys sorted), with each side's acknowledgement; `resolved_at` once they no longer conflict
(an edit moved one, or one was closed or cancelled). A pair found again after it was resolved
is a new conflict."""
