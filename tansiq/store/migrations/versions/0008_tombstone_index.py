"""Page objects by the unique date_added index, and tombstones by a partial index of their own.

The (kind, date_added) index cost every stored object a third index insert (about a fifth of
SQLite's work on a sync), though objects page as well by the unique date_added index: the
tombstones among them are few. Tombstones get a partial index, so a page of withdrawals still
never walks the objects (tansiq.store.objects.page names the kind as a literal for it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TOMBSTONES = sa.text("kind = 'tombstone'")


def upgrade() -> None:
    op.drop_index("ix_stix_objects_kind_date_added", table_name="stix_objects")
    op.create_index(
        "ix_stix_objects_tombstones",
        "stix_objects",
        ["date_added"],
        sqlite_where=_TOMBSTONES,
        postgresql_where=_TOMBSTONES,
    )


def downgrade() -> None:
    op.drop_index("ix_stix_objects_tombstones", table_name="stix_objects")
    op.create_index("ix_stix_objects_kind_date_added", "stix_objects", ["kind", "date_added"])
