"""Tables for the coordination feed: what this node tells its peer nodes (issue 6).

tansiq.store.schema imports this module so the tables join its metadata. What goes in and
who reads it: tansiq.sharing.coordination.
"""

from __future__ import annotations

import sqlalchemy as sa

from tansiq.store.schema import metadata

coordination_outbox = sa.Table(
    "coordination_outbox",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("topic", sa.String(16), nullable=False),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("every_peer", sa.Boolean, nullable=False),
    sa.Column("red", sa.Boolean, nullable=False),
)
"""One row a change, numbered by the node's clock (tansiq.store.objects.clock), so a peer
reading after a number never skips a row committed late. `body` NULL: the thing was removed.
`every_peer`: for every peer node (the deconfliction registry's pointers); else only for the
partners in coordination_audience (an operation and its decisions go where it is released;
`red`: TLP:RED, to the partners named exactly, as tansiq.domain.markings.Viewer.sees)."""

coordination_audience = sa.Table(
    "coordination_audience",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger,
        sa.ForeignKey("coordination_outbox.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("partner_code", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("seq", "partner_code"),
)
"""The partners a feed row is for, when it is not for every peer."""
