"""Signed tombstones: partners' pinned public keys, and originators' signatures to pass on.

This node's own key pair is a node_config row, made by `tansiq init` (which runs this
migration) or on first need by whatever signs or shows it. It is not made here: a migration
changes the schema, the same way on every run, while a secret must be random and is better
made in one place, by the code that uses it (tansiq.store.keys).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_keys",
        sa.Column("partner_code", sa.String(64), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pinned_by", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("partner_code", name="pk_partner_keys"),
    )
    op.create_table(
        "tombstone_signatures",
        sa.Column("stix_id", sa.String(100), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("signer", sa.String(100), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("stix_id", "version", "digest", name="pk_tombstone_signatures"),
    )


def downgrade() -> None:
    op.drop_table("tombstone_signatures")
    op.drop_table("partner_keys")
