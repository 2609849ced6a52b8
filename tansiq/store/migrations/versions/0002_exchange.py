"""Controlled exchange: node config, users, peers, STIX objects and their audience, TAXII
statuses, sync cursors, the audit chain.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "node_config",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_node_config"),
    )
    _create_users_and_peers()
    _create_objects()
    _create_audit()


def _create_users_and_peers() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name="fk_users_partner_code_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.create_table(
        "peers",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("added_at", _TZ, nullable=False),
        sa.Column("last_sync_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_peers"),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("added_after", sa.BigInteger, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["peer"], ["peers.name"], name="fk_sync_cursors_peer_peers"),
        sa.PrimaryKeyConstraint("peer", "collection", name="pk_sync_cursors"),
    )


def _create_objects() -> None:
    op.create_table(
        "stix_objects",
        sa.Column("pk", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stix_id", sa.String(100), nullable=False),
        sa.Column("stix_type", sa.String(64), nullable=False),
        sa.Column("spec_version", sa.String(8), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("date_added", sa.BigInteger, nullable=False),
        sa.Column("originator", sa.String(100), nullable=False),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("latest", sa.Boolean, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("peer", sa.String(64), nullable=True),
        sa.Column("received_at", _TZ, nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("ref_ids", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_stix_objects"),
        sa.UniqueConstraint("date_added", name="uq_stix_objects_date_added"),
        sa.UniqueConstraint(
            "stix_id", "version", "kind", name="uq_stix_objects_stix_id_version_kind"
        ),
    )
    op.create_index("ix_stix_objects_kind_date_added", "stix_objects", ["kind", "date_added"])
    op.create_table(
        "object_audience",
        sa.Column("object_pk", sa.Integer, nullable=False),
        sa.Column("partner_code", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_pk"],
            ["stix_objects.pk"],
            name="fk_object_audience_object_pk_stix_objects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("object_pk", "partner_code", name="pk_object_audience"),
    )
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_count", sa.Integer, nullable=False),
        sa.Column("success_count", sa.Integer, nullable=False),
        sa.Column("failure_count", sa.Integer, nullable=False),
        sa.Column("pending_count", sa.Integer, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_taxii_statuses"),
    )


def _create_audit() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.SmallInteger, autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_log",
        "taxii_statuses",
        "object_audience",
        "stix_objects",
        "sync_cursors",
        "peers",
        "users",
        "node_config",
    ):
        op.drop_table(table)
