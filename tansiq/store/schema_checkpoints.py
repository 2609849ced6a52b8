"""Tables for the checkpoint registry (issue 6).

tansiq.store.schema imports this module so the tables join its metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
    sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
    sa.Column("hours", sa.String(11), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    # A verify reads a small box round the asked point.
    sa.Index("ix_checkpoints_point", "latitude", "longitude"),
    # The natural key: a partner registers a checkpoint of one name from one time once.
    sa.Index("ix_checkpoints_partner_name", "partner_code", "name", "valid_from", unique=True),
)
"""The registered legitimate checkpoints (tansiq.domain.checkpoints): owner, unit, point,
validity period (`valid_from` included, `valid_to` excluded; NULL: open), daily hours in Iraq
time (`HH:MM-HH:MM`; NULL: round the clock), `closed_at` once withdrawn. Marked like a position:
`tlp` here, who it is released to in `checkpoint_audience` (reads fail closed)."""

checkpoint_audience = sa.Table(
    "checkpoint_audience",
    metadata,
    sa.Column(
        "checkpoint_id",
        sa.Integer,
        sa.ForeignKey("checkpoints.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("partner_code", sa.String(32), primary_key=True),
)
"""Who a checkpoint is released to (partner codes, its owner always among them)."""
