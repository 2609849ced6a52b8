"""Core tables: partners, areas, incidents, positions, import runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["partners.code"], name="fk_partners_parent_code_partners"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_partners"),
    )
    op.create_table(
        "areas",
        sa.Column("pcode", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("name_en", sa.String(120), nullable=False),
        sa.Column("name_ar", sa.String(120), nullable=False),
        sa.Column("parent_pcode", sa.String(16), nullable=True),
        sa.Column("disputed", sa.Boolean, nullable=False),
        sa.Column("kurdistan_region", sa.Boolean, nullable=False),
        sa.Column("syria_border_district", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("pcode", name="pk_areas"),
    )
    op.create_index("ix_areas_level", "areas", ["level"])
    _create_incidents()
    _create_positions()
    _create_import_runs()


def _create_incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("date_start", sa.Date, nullable=False),
        sa.Column("date_end", sa.Date, nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("precision", sa.SmallInteger, nullable=True),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("incident_type", sa.String(80), nullable=False),
        sa.Column("sub_type", sa.Text, nullable=False),
        sa.Column("actor1", sa.Text, nullable=False),
        sa.Column("actor2", sa.Text, nullable=False),
        sa.Column("fatalities", sa.Integer, nullable=True),
        sa.Column("headline", sa.Text, nullable=False),
        sa.Column("source_detail", sa.Text, nullable=False),
        sa.Column("adm1_pcode", sa.String(16), nullable=False),
        sa.Column("adm2_pcode", sa.String(16), nullable=False),
        sa.Column("adm3_pcode", sa.String(16), nullable=False),
        sa.Column("disputed", sa.Boolean, nullable=False),
        sa.Column("kurdistan_region", sa.Boolean, nullable=False),
        sa.Column("syria_border_district", sa.Boolean, nullable=False),
        sa.Column("outside_km", sa.Float, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("imported_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint("source", "source_id", name="uq_incidents_source_source_id"),
    )
    op.create_index("ix_incidents_date_start", "incidents", ["date_start"])
    op.create_index("ix_incidents_adm3_date", "incidents", ["adm3_pcode", "date_start"])


def _create_positions() -> None:
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("coverage_radius_m", sa.Float, nullable=False),
        sa.Column("active_from", _TZ, nullable=True),
        sa.Column("active_to", _TZ, nullable=True),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("adm1_pcode", sa.String(16), nullable=False),
        sa.Column("adm2_pcode", sa.String(16), nullable=False),
        sa.Column("adm3_pcode", sa.String(16), nullable=False),
        sa.Column("disputed", sa.Boolean, nullable=False),
        sa.CheckConstraint("coverage_radius_m >= 0", name="ck_positions_radius_not_negative"),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name="fk_positions_partner_code_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_positions"),
    )


def _create_import_runs() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("finished_at", _TZ, nullable=False),
        sa.Column("read", sa.Integer, nullable=False),
        sa.Column("imported", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_runs"),
    )


def downgrade() -> None:
    for table in ("import_runs", "positions", "incidents", "areas", "partners"):
        op.drop_table(table)
