"""initial schema

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


def upgrade() -> None:
    op.create_table(
        "charter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("charter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charter_slug"), ["slug"], unique=True)

    op.create_table(
        "clause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("charter_id", "key"),
    )
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_charter_id"), ["charter_id"], unique=False)

    op.create_table(
        "document_snapshot",
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charter.id"],
        ),
        sa.PrimaryKeyConstraint("charter_id"),
    )
    op.create_table(
        "document_update",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("document_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_update_charter_id"), ["charter_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("document_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_update_charter_id"))

    op.drop_table("document_update")
    op.drop_table("document_snapshot")
    with op.batch_alter_table("clause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_charter_id"))

    op.drop_table("clause")
    with op.batch_alter_table("charter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charter_slug"))

    op.drop_table("charter")
