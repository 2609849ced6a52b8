"""Tables for the deconfliction registry: footprints and their grid cells (issue 6).

footprints holds one row per registered footprint (operation, position, track, checkpoint; of
this node or a peer), footprint_cells the grid cells and days each touches and
footprint_subjects the STIX ids each acts on, both looked up by key (tansiq.store.footprints).
Positions already stored are registered as they would be when written.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tansiq.store import footprints

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "footprints",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("area_wkb", sa.LargeBinary, nullable=False),
        sa.Column("metric_wkb", sa.LargeBinary, nullable=False),
        sa.Column("buffer_m", sa.Float, nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("margin_us", sa.BigInteger, nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("window_low", sa.BigInteger, nullable=False),
        sa.Column("window_high", sa.BigInteger, nullable=False),
        sa.Column("min_x", sa.Float, nullable=False),
        sa.Column("min_y", sa.Float, nullable=False),
        sa.Column("max_x", sa.Float, nullable=False),
        sa.Column("max_y", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_footprints"),
        sa.UniqueConstraint("origin", "kind", "ref", name="uq_footprints_origin_kind_ref"),
    )
    op.create_table(
        "footprint_cells",
        sa.Column("cell", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer, autoincrement=False, nullable=False),
        *_belonging("footprint_cells", "cell", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "footprint_subjects",
        sa.Column("subject", sa.String(200), nullable=False),
        *_belonging("footprint_subjects", "subject"),
        sqlite_with_rowid=False,
    )
    for table in ("footprint_cells", "footprint_subjects"):
        op.create_index(f"ix_{table}_footprint_id", table, ["footprint_id"])
    footprints.register_stored_positions(op.get_bind())


def _belonging(table: str, *key: str) -> list[Any]:
    """The footprint_id column, its foreign key and the primary key of an index table."""
    return [
        sa.Column("footprint_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprints.id"],
            name=f"fk_{table}_footprint_id_footprints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*key, "footprint_id", name=f"pk_{table}"),
    ]


def downgrade() -> None:
    op.drop_table("footprint_subjects")
    op.drop_table("footprint_cells")
    op.drop_table("footprints")
