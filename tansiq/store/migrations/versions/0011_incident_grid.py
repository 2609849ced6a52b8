"""The map's grid counts (incident_grid), filled from the incidents, and an index on position.

incident_grid counts incidents per grid cell (three levels), month (and every month), type,
sub-district and disputed flag, so that the map's viewport at low zoom sums a few thousand
rows instead of reading a million incidents (tansiq.store.incident_grid).
incident_grid_state says up to which incident id the grid counts; ix_incidents_position finds
the incidents of a small box when the map shows points (its dates in the index too).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansiq.store import incident_grid

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_grid",
        sa.Column("level", sa.SmallInteger, autoincrement=False, nullable=False),
        sa.Column("all_months", sa.Boolean, nullable=False),
        sa.Column("cell_row", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("cell_col", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("incident_type", sa.String(80), nullable=False),
        sa.Column("adm3_pcode", sa.String(16), nullable=False),
        sa.Column("disputed", sa.Boolean, nullable=False),
        sa.Column("incidents", sa.Integer, nullable=False),
        sa.Column("fatalities", sa.Integer, nullable=False),
        sa.Column("sum_latitude", sa.Float, nullable=False),
        sa.Column("sum_longitude", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "level",
            "all_months",
            "cell_row",
            "cell_col",
            "month",
            "incident_type",
            "adm3_pcode",
            "disputed",
            name="pk_incident_grid",
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "incident_grid_state",
        sa.Column("id", sa.SmallInteger, autoincrement=False, nullable=False),
        sa.Column("folded_through", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_grid_state"),
    )
    op.create_index("ix_incidents_position", "incidents", ["latitude", "longitude", "date_start"])
    incident_grid.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_incidents_position", table_name="incidents")
    op.drop_table("incident_grid_state")
    op.drop_table("incident_grid")
