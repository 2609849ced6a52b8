"""Look objects up by id through the unique (stix_id, version, kind) index alone.

The (stix_id, kind, latest) index of revision 0003 made every received object cost a second
random index insert; SQLite's planner now gets statistics instead
(tansiq.store.objects.analyze), so it still prefers the id index to (kind, date_added).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from tansiq.store import objects

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_stix_objects_stix_id_kind_latest", table_name="stix_objects")
    objects.analyze(op.get_bind())


def downgrade() -> None:
    op.create_index(
        "ix_stix_objects_stix_id_kind_latest", "stix_objects", ["stix_id", "kind", "latest"]
    )
