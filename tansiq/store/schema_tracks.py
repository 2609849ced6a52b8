"""Tables for Cursor-on-Target (issue 6): friendly tracks received, and what each push sent.

tansiq.store.schema imports this module so the tables join its metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

tracks = sa.Table(
    "tracks",
    metadata,
    sa.Column("uid", sa.String(200), primary_key=True),
    sa.Column(
        "partner_code",
        sa.String(32),
        sa.ForeignKey("partners.code", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("callsign", sa.Text, nullable=False),
    sa.Column("cot_type", sa.String(64), nullable=False),
    sa.Column("how", sa.String(32), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("ce", sa.Float, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("stale", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("peer", sa.String(80), nullable=False),
)
"""Live friendly tracks taken in by `tansiq cot listen`: one row per CoT uid, the newest event
of it; a row is dead once `stale` has passed (the sender's claim) and is swept."""

cot_sent = sa.Table(
    "cot_sent",
    metadata,
    sa.Column("destination", sa.String(255), primary_key=True),
    sa.Column("uid", sa.String(200), primary_key=True),
    sa.Column("cot_type", sa.String(64), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)
"""What `tansiq cot push` last sent to each destination (tcp://host:port, udp://host:port), so
that the next push deletes (t-x-d-d) what is no longer in the picture released to it."""
