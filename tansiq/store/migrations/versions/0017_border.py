"""Tables for Syria border sectors, observations and alerts (issue 6).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "border_sectors",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("district_pcode", sa.String(16), nullable=False),
        sa.Column("districts", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(120), nullable=False),
        sa.Column("name_ar", sa.String(120), nullable=False),
        sa.Column("start_m", sa.Float, nullable=False),
        sa.Column("end_m", sa.Float, nullable=False),
        sa.Column("coordinates", sa.Text, nullable=False),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("partner_code", sa.String(32), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name="fk_border_sectors_partner_code_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_border_sectors"),
        sa.UniqueConstraint("seq", name="uq_border_sectors_seq"),
    )
    op.create_table(
        "border_observations",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("sector_id", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["border_sectors.id"],
            name="fk_border_observations_sector_id_border_sectors",
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"],
            ["partners.code"],
            name="fk_border_observations_partner_code_partners",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_border_observations"),
    )
    op.create_index(
        "ix_border_observations_sector_observed",
        "border_observations",
        ["sector_id", "observed_at"],
    )
    op.create_index(
        "ix_border_observations_source_ref",
        "border_observations",
        ["partner_code", "source", "source_ref"],
    )
    op.create_table(
        "border_observation_audience",
        sa.Column("observation_id", sa.Integer, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["border_observations.id"],
            name="fk_border_observation_audience_observation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "observation_id", "partner_code", name="pk_border_observation_audience"
        ),
    )
    op.create_table(
        "border_alert_rules",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("kind", sa.String(24), nullable=True),
        sa.Column("sector_id", sa.String(24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["border_sectors.id"],
            name="fk_border_alert_rules_sector_id_border_sectors",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_border_alert_rules"),
    )
    op.create_table(
        "border_alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer, nullable=False),
        sa.Column("sector_id", sa.String(24), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.Integer, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task_id", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["border_alert_rules.id"],
            name="fk_border_alerts_rule_id_border_alert_rules",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"], ["border_sectors.id"], name="fk_border_alerts_sector_id_border_sectors"
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name="fk_border_alerts_partner_code_partners"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_border_alerts_task_id_tasks"),
        sa.PrimaryKeyConstraint("id", name="pk_border_alerts"),
    )
    op.create_index(
        "ix_border_alerts_rule_sector_partner",
        "border_alerts",
        ["rule_id", "sector_id", "partner_code"],
    )


def downgrade() -> None:
    op.drop_table("border_alerts")
    op.drop_table("border_alert_rules")
    op.drop_table("border_observation_audience")
    op.drop_table("border_observations")
    op.drop_table("border_sectors")
