"""An index for looking up STIX objects by id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_stix_objects_stix_id_kind_latest", "stix_objects", ["stix_id", "kind", "latest"]
    )


def downgrade() -> None:
    op.drop_index("ix_stix_objects_stix_id_kind_latest", table_name="stix_objects")
