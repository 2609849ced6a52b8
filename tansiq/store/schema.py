"""The tables. Alembic migrations in `migrations/versions/` create exactly these.

Dates are SQL DATE, times are timezone-aware UTC; booleans are real booleans on PostgreSQL and
0/1 on SQLite. Areas are keyed by COD pcode, and every incident carries the pcodes of the three
levels it falls in; an area filter of any level is a range on the indexed adm3 pcode.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

areas = sa.Table(
    "areas",
    metadata,
    sa.Column("pcode", sa.String(16), primary_key=True),
    sa.Column("level", sa.SmallInteger, nullable=False, index=True),
    sa.Column("name_en", sa.String(120), nullable=False),
    sa.Column("name_ar", sa.String(120), nullable=False),
    sa.Column("parent_pcode", sa.String(16), nullable=True),
    sa.Column("disputed", sa.Boolean, nullable=False),
    sa.Column("kurdistan_region", sa.Boolean, nullable=False),
    sa.Column("syria_border_district", sa.Boolean, nullable=False),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
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
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source", "source_id"),
    sa.Index("ix_incidents_date_start", "date_start"),
    # COD pcodes nest (IQG13 ⊃ IQG13Q04 ⊃ IQG13Q04N01), so this one index serves an area
    # filter of any level as a prefix range; three indexes cost twice the import time.
    sa.Index("ix_incidents_adm3_date", "adm3_pcode", "date_start"),
)

positions = sa.Table(
    "positions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("coverage_radius_m", sa.Float, nullable=False),
    sa.Column("active_from", sa.DateTime(timezone=True), nullable=True),
    sa.Column("active_to", sa.DateTime(timezone=True), nullable=True),
    sa.Column("synthetic", sa.Boolean, nullable=False),
    sa.Column("adm1_pcode", sa.String(16), nullable=False),
    sa.Column("adm2_pcode", sa.String(16), nullable=False),
    sa.Column("adm3_pcode", sa.String(16), nullable=False),
    sa.Column("disputed", sa.Boolean, nullable=False),
    sa.CheckConstraint("coverage_radius_m >= 0", name="radius_not_negative"),
)

import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read", sa.Integer, nullable=False),
    sa.Column("imported", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
)

INCIDENT_WRITE_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in incidents.columns if c.name not in ("id", "imported_at", "updated_at")
)
"""The columns an importer fills for each incident; the store adds id and the timestamps."""
