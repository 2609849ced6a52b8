"""Tables for tasks from intelligence (issue 6).

tansiq.store.schema imports this module so the tables join its metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_kind", sa.String(16), nullable=False),
    sa.Column("source_ref", sa.String(100), nullable=False),
    sa.Column("from_partner", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("to_partner", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
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
    sa.Index("ix_tasks_to_partner_state", "to_partner", "state"),
    sa.Index("ix_tasks_from_partner", "from_partner"),
    sa.Index("ix_tasks_state_done_due", "state", "done_due"),
)
"""Tasks asked of a partner (tansiq.domain.tasks). Seen by the users of `from_partner` and
`to_partner` only (tansiq.store.tasks.visible_to); every change is in the audit chain too."""
