"""Tables for operations, their versions and approvals, conflicts (issue 6).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _operation_fk(table: str, primary: bool = False) -> list[SchemaItem]:
    return [
        sa.Column("operation_id", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=f"fk_{table}_operation_id_operations",
            ondelete="CASCADE" if primary else None,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("op_type", sa.String(24), nullable=False),
        sa.Column("area_kind", sa.String(16), nullable=False),
        sa.Column("area_wkt", sa.Text, nullable=False),
        sa.Column("extent_m", sa.Float, nullable=False),
        sa.Column("start_at", _TZ, nullable=False),
        sa.Column("end_at", _TZ, nullable=False),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("links", sa.Text, nullable=False),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("releasable_to", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("disputed_areas", sa.Text, nullable=False),
        sa.Column("sides_needed", sa.Text, nullable=False),
        sa.Column("submitted_at", _TZ, nullable=True),
        sa.Column("deadline_at", _TZ, nullable=True),
        sa.Column("escalation_level", sa.Integer, nullable=False),
        sa.Column("break_glass", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["owner"], ["partners.code"], name="fk_operations_owner_partners"),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )
    op.create_index("ix_operations_state", "operations", ["state"])
    op.create_index("ix_operations_owner", "operations", ["owner"])
    op.create_table(
        "operation_audience",
        *_operation_fk("operation_audience", primary=True),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "partner_code", name="pk_operation_audience"),
    )
    op.create_table(
        "operation_versions",
        *_operation_fk("operation_versions", primary=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "version", name="pk_operation_versions"),
    )
    op.create_table(
        "operation_decisions",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        *_operation_fk("operation_decisions"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("approver", sa.String(100), nullable=False),
        sa.Column("side", sa.String(32), nullable=False),
        sa.Column("partner", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("key_id", sa.String(100), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operation_decisions"),
    )
    op.create_index(
        "ix_operation_decisions_operation_id_version",
        "operation_decisions",
        ["operation_id", "version"],
    )
    op.create_table(
        "operation_escalations",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        *_operation_fk("operation_escalations"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("side", sa.String(32), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("escalated_to", sa.String(200), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operation_escalations"),
    )
    op.create_index(
        "ix_operation_escalations_operation_id", "operation_escalations", ["operation_id"]
    )
    op.create_table(
        "operation_notices",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        *_operation_fk("operation_notices"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("to_side", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operation_notices"),
    )
    op.create_index("ix_operation_notices_to_side", "operation_notices", ["to_side"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
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
        sa.Column("found_at", _TZ, nullable=False),
        sa.Column("a_ack_by", sa.String(100), nullable=True),
        sa.Column("a_ack_at", _TZ, nullable=True),
        sa.Column("b_ack_by", sa.String(100), nullable=True),
        sa.Column("b_ack_at", _TZ, nullable=True),
        sa.Column("resolved_at", _TZ, nullable=True),
        sa.Column("resolution", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_conflicts"),
    )
    op.create_index(
        "ix_conflicts_pair",
        "conflicts",
        ["a_kind", "a_ref", "a_origin", "b_kind", "b_ref", "b_origin"],
    )
    op.create_index("ix_conflicts_a_owner", "conflicts", ["a_owner"])
    op.create_index("ix_conflicts_b_owner", "conflicts", ["b_owner"])


def downgrade() -> None:
    for table in (
        "conflicts",
        "operation_notices",
        "operation_escalations",
        "operation_decisions",
        "operation_versions",
        "operation_audience",
        "operations",
    ):
        op.drop_table(table)
