"""Tables for Syria border sectors, observations and alerts (issue 6).

tansiq.store.schema imports this module so the tables join its metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

border_sectors = sa.Table(
    "border_sectors",
    metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("district_pcode", sa.String(16), nullable=False),
    sa.Column("districts", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(120), nullable=False),
    sa.Column("name_ar", sa.String(120), nullable=False),
    sa.Column("start_m", sa.Float, nullable=False),
    sa.Column("end_m", sa.Float, nullable=False),
    sa.Column("coordinates", sa.Text, nullable=False),
    sa.Column("unit", sa.String(200), nullable=True),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=True),
    sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assigned_by", sa.String(100), nullable=True),
)
"""Sectors of the Iraq-Syria line (tansiq.domain.border), south-west to north-east by `seq`;
`districts` the border districts it lies along, space separated; `coordinates` its line as
JSON [[lon, lat], ...]; the unit and partner it is assigned to, if any."""

border_observations = sa.Table(
    "border_observations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sector_id", sa.String(24), sa.ForeignKey("border_sectors.id"), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("distance_m", sa.Float, nullable=False),
    sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("source_ref", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Index("ix_border_observations_sector_observed", "sector_id", "observed_at"),
    sa.Index("ix_border_observations_source_ref", "partner_code", "source", "source_ref"),
)
"""Crossing attempts, sensor alerts and patrol reports, each in the sector nearest to it, with
its distance from the line. Marked like positions: `tlp` here, the audience below."""

border_observation_audience = sa.Table(
    "border_observation_audience",
    metadata,
    sa.Column(
        "observation_id",
        sa.Integer,
        sa.ForeignKey(
            "border_observations.id",
            ondelete="CASCADE",
            name="fk_border_observation_audience_observation",
        ),
        primary_key=True,
    ),
    sa.Column("partner_code", sa.String(32), primary_key=True),
)
"""Who an observation is released to (partner codes, its own partner always among them)."""

border_alert_rules = sa.Table(
    "border_alert_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("hours", sa.Float, nullable=False),
    sa.Column("kind", sa.String(24), nullable=True),
    sa.Column("sector_id", sa.String(24), sa.ForeignKey("border_sectors.id"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
)
"""N observations (of a kind, or any) in one sector (or any) within T hours raise an alert.
A removed rule is kept (`removed_at`) for the alerts it raised."""

border_alerts = sa.Table(
    "border_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("border_alert_rules.id"), nullable=False),
    sa.Column("sector_id", sa.String(24), sa.ForeignKey("border_sectors.id"), nullable=False),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("observations", sa.Integer, nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=True),
    sa.Index("ix_border_alerts_rule_sector_partner", "rule_id", "sector_id", "partner_code"),
)
"""A burst of observations that met a rule, counted over what `partner_code` (the partner told,
and the only one that sees the alert) may see; the task opened for it."""
