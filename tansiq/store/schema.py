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

GRID_FACTS = ("latitude", "longitude", "incident_type", "fatalities", "adm3_pcode", "disputed")
"""What the map's grid counts of an incident besides its date (tansiq.store.incident_grid)."""

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
    # The map's points in a small box (tansiq.store.viewport): a latitude band, then longitude,
    # then the dates, so that a date range is checked in the index.
    sa.Index("ix_incidents_position", "latitude", "longitude", "date_start"),
)

incident_grid = sa.Table(
    "incident_grid",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("all_months", sa.Boolean, primary_key=True),
    sa.Column("cell_row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("cell_col", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("month", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("incident_type", sa.String(80), primary_key=True),
    sa.Column("adm3_pcode", sa.String(16), primary_key=True),
    sa.Column("disputed", sa.Boolean, primary_key=True),
    sa.Column("incidents", sa.Integer, nullable=False),
    sa.Column("fatalities", sa.Integer, nullable=False),
    sa.Column("sum_latitude", sa.Float, nullable=False),
    sa.Column("sum_longitude", sa.Float, nullable=False),
    # SQLite keeps the rows in key order: a box of cells is one range read of the table itself.
    sqlite_with_rowid=False,
)
"""Incidents counted per map grid cell, month, type, sub-district and disputed flag, for the
map's viewport at low zoom (tansiq.domain.viewport has the grid; tansiq.store.incident_grid
folds new incidents in and moves updated ones). `month` is year * 12 + month - 1;
the rows with `all_months` count every month (their `month` is -1), and come before the others
in the key so that a view without dates reads them alone. `fatalities` sums the known ones;
the sums of coordinates give each cell's centroid. A row whose count falls to 0 is deleted."""

incident_grid_state = sa.Table(
    "incident_grid_state",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("folded_through", sa.BigInteger, nullable=False),
)
"""One row (id 1): incident_grid counts the incidents whose id is at most `folded_through`.
Newer ones (an import's, until the server folds them in) are counted from `incidents` by id."""

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
    sa.Column("tlp", sa.String(16), nullable=False, server_default="amber"),
    sa.CheckConstraint("coverage_radius_m >= 0", name="radius_not_negative"),
    # The natural key: writing a partner's position of the same name again replaces it.
    sa.Index("ix_positions_partner_name", "partner_code", "name", unique=True),
)
"""Partners' checkpoints, bases, posts and patrols, each with its coverage circle and period
(tansiq.domain.positions). Marked like a report: `tlp` here, who it is released to in
`position_audience` (tansiq.store.positions reads through it, failing closed)."""

position_audience = sa.Table(
    "position_audience",
    metadata,
    sa.Column(
        "position_id",
        sa.Integer,
        sa.ForeignKey("positions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("partner_code", sa.String(32), primary_key=True),
)
"""Who a position is released to (partner codes, its own partner always among them)."""

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

node_config = sa.Table(
    "node_config",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
"""Per-node facts set by `tansiq init`: the partner the node belongs to, its signing secrets."""

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("partner_code", sa.String(32), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("inbox_after", sa.BigInteger, nullable=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
"""Web page sessions: the SHA-256 of each session cookie, whose user, and when it ends."""

peers = sa.Table(
    "peers",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("tls_ca", sa.Text, nullable=True),
    sa.Column("tls_cert", sa.Text, nullable=True),
    sa.Column("tls_key", sa.Text, nullable=True),
)
"""`tls_*` are file paths on this node: the CA that signs the peer's server certificate, and
this node's client certificate and key for mutual TLS (None: system CAs, no client cert)."""

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("peer", sa.String(64), sa.ForeignKey("peers.name"), primary_key=True),
    sa.Column("collection", sa.String(64), primary_key=True),
    sa.Column("added_after", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""How far each peer's collection has been pulled: the date_added (µs) of the last one applied."""

partner_keys = sa.Table(
    "partner_keys",
    metadata,
    sa.Column("partner_code", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pinned_by", sa.String(16), nullable=False),
)
"""The public signing key this node trusts for each partner's node ("ed25519:..."), pinned by
an administrator (`admin`) or learnt at the first sync with the peer (`first-use`). A peer is
named by its partner's code, so a peer's key is the row of its name. This node's own key pair
is in node_config (`signing_key`)."""

tombstone_signatures = sa.Table(
    "tombstone_signatures",
    metadata,
    sa.Column("stix_id", sa.String(100), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("signer", sa.String(100), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
)
"""Originators' signatures of tombstones this node received and verified, by the SHA-256 of the
canonical form they sign, so that it can pass them on with the tombstones it serves."""

stix_objects = sa.Table(
    "stix_objects",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("stix_id", sa.String(100), nullable=False),
    sa.Column("stix_type", sa.String(64), nullable=False),
    sa.Column("spec_version", sa.String(8), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("date_added", sa.BigInteger, nullable=False, unique=True),
    sa.Column("originator", sa.String(100), nullable=False),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Column("latest", sa.Boolean, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False),
    sa.Column("peer", sa.String(64), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("search_text", sa.Text, nullable=True),
    sa.Column("ref_ids", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # Also the index for lookups by id. SQLite's planner needs statistics to prefer it to
    # the others: tansiq.store.objects.analyze provides them from the first migration on.
    sa.UniqueConstraint("stix_id", "version", "kind"),
    # Objects page by the unique date_added index; tombstones, few among them, by their own.
    sa.Index(
        "ix_stix_objects_tombstones",
        "date_added",
        sqlite_where=sa.text("kind = 'tombstone'"),
        postgresql_where=sa.text("kind = 'tombstone'"),
    ),
)
"""Every version of every STIX object this node holds, ours and received, plus tombstones.

`version` and `date_added` are microseconds since the epoch; `date_added` is unique and strictly
increasing node-wide, so it is the keyset for TAXII paging. `kind` is "object" or "tombstone"
(a signed-off withdrawal for the partners that lost sight of an object). `ref_ids` lists, space
separated, the objects the body links to, so a reader can hide links to what a viewer may not see.
`name` and `search_text` are what search matches: the body holds linked ids, which it must not.
"""

object_audience = sa.Table(
    "object_audience",
    metadata,
    sa.Column(
        "object_pk",
        sa.Integer,
        sa.ForeignKey("stix_objects.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("partner_code", sa.String(100), primary_key=True),
)
"""Who a version is released to (partner codes; an unknown identity id never matches a viewer)."""

taxii_statuses = sa.Table(
    "taxii_statuses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("partner_code", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total_count", sa.Integer, nullable=False),
    sa.Column("success_count", sa.Integer, nullable=False),
    sa.Column("failure_count", sa.Integer, nullable=False),
    sa.Column("pending_count", sa.Integer, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("status_id", sa.String(36), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("partner_code", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("stix_id", sa.String(100), nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claim", sa.String(36), nullable=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
)
"""Objects a partner posted to the TAXII inbox, waiting for stix2-validator; nothing reads them
but the validator. `seq` is the order they are validated in, `position` their place in the
envelope; `status_id` the TAXII status that lists them as pending; `claim` and `claimed_until`
the worker validating them and until when (its lease; NULL: free)."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
"""Append-only, hash-chained: each entry's hash covers its fields and the previous hash."""

audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
"""One row: the last entry's seq and hash, so deleting the newest entries is detected too."""

INCIDENT_WRITE_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in incidents.columns if c.name not in ("id", "imported_at", "updated_at")
)
"""The columns an importer fills for each incident; the store adds id and the timestamps."""


# Issue 6's tables are defined beside each other by feature, on this module's metadata; importing
# them here (after `metadata` exists) registers them, so Alembic and the schema test see them.
from tansiq.store import (  # noqa: E402, F401
    schema_border,
    schema_checkpoints,
    schema_coordination,
    schema_footprints,
    schema_operations,
    schema_tasks,
    schema_tracks,
)
