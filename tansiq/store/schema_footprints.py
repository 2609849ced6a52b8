"""Tables for the deconfliction registry: footprints and their grid cells (issue 6).

tansiq.store.schema imports this module so the tables join its metadata. How the cells are
chosen and searched: tansiq.store.footprints.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

footprints = sa.Table(
    "footprints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
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
    sa.UniqueConstraint("origin", "kind", "ref"),
)
"""One row a footprint, keyed by (origin, kind, ref). window_low/high: the margined window in
microseconds since 1970 UTC (open ends far out); min/max_x/y: the buffered area's box in the
metric plane (tansiq.geo.metric), metres. Both only narrow the search; the rule decides.
metric_wkb: the area as projected when put (a search does not project again).
`subjects`: its subjects separated by spaces, so that a search reads each candidate in one
row (footprint_subjects is what finds them by subject)."""

footprint_cells = sa.Table(
    "footprint_cells",
    metadata,
    sa.Column("cell", sa.BigInteger, autoincrement=False, nullable=False),
    sa.Column("day", sa.Integer, autoincrement=False, nullable=False),
    sa.Column(
        "footprint_id",
        sa.Integer,
        sa.ForeignKey("footprints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.PrimaryKeyConstraint("cell", "day", "footprint_id"),
    sa.Index("ix_footprint_cells_footprint_id", "footprint_id"),
    sqlite_with_rowid=False,
)
"""The grid cells (level, position and entry kind packed in `cell`) and days a footprint's
buffered area and margined window touch: the search looks these up by key."""

footprint_subjects = sa.Table(
    "footprint_subjects",
    metadata,
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column(
        "footprint_id",
        sa.Integer,
        sa.ForeignKey("footprints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.PrimaryKeyConstraint("subject", "footprint_id"),
    sa.Index("ix_footprint_subjects_footprint_id", "footprint_id"),
    sqlite_with_rowid=False,
)
"""The STIX ids a footprint acts on, looked up by subject."""
