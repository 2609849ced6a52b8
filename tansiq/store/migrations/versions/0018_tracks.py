"""Tables for Cursor-on-Target: friendly tracks received (tracks), and what each push sent to
each destination (cot_sent), so that a later push deletes what left the picture.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("uid", sa.String(200), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("callsign", sa.Text, nullable=False),
        sa.Column("cot_type", sa.String(64), nullable=False),
        sa.Column("how", sa.String(32), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("ce", sa.Float, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("peer", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("uid", name="pk_tracks"),
        sa.ForeignKeyConstraint(
            ["partner_code"],
            ["partners.code"],
            name="fk_tracks_partner_code_partners",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_tracks_stale", "tracks", ["stale"])
    op.create_table(
        "cot_sent",
        sa.Column("destination", sa.String(255), nullable=False),
        sa.Column("uid", sa.String(200), nullable=False),
        sa.Column("cot_type", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("destination", "uid", name="pk_cot_sent"),
    )


def downgrade() -> None:
    op.drop_table("cot_sent")
    op.drop_index("ix_tracks_stale", table_name="tracks")
    op.drop_table("tracks")
