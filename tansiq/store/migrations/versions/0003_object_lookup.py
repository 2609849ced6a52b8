"""An index for looking up STIX objects by id; a search text column that holds no ids.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stix_objects", sa.Column("search_text", sa.Text, nullable=True))
    op.create_index(
        "ix_stix_objects_stix_id_kind_latest", "stix_objects", ["stix_id", "kind", "latest"]
    )


def downgrade() -> None:
    op.drop_index("ix_stix_objects_stix_id_kind_latest", table_name="stix_objects")
    op.drop_column("stix_objects", "search_text")
