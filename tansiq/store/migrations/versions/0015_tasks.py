"""Tables for tasks from intelligence (issue 6).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(100), nullable=False),
        sa.Column("from_partner", sa.String(32), nullable=False),
        sa.Column("to_partner", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("feedback", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("escalation_level", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_partner"], ["partners.code"], name="fk_tasks_from_partner_partners"
        ),
        sa.ForeignKeyConstraint(
            ["to_partner"], ["partners.code"], name="fk_tasks_to_partner_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_to_partner_state", "tasks", ["to_partner", "state"])
    op.create_index("ix_tasks_from_partner", "tasks", ["from_partner"])
    op.create_index("ix_tasks_state_done_due", "tasks", ["state", "done_due"])


def downgrade() -> None:
    op.drop_table("tasks")
