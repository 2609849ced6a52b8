"""TLS settings per peer: the CA to trust and this node's client certificate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("tls_ca", "tls_cert", "tls_key"):
        op.add_column("peers", sa.Column(column, sa.Text, nullable=True))


def downgrade() -> None:
    for column in ("tls_ca", "tls_cert", "tls_key"):
        op.drop_column("peers", column)
