"""revisions: each clause's history of titles and bodies, and who contributed to each

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIRST_REVISION = sa.text("previous_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "clause_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("clause_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["charter_id"], ["charter.id"]),
        sa.ForeignKeyConstraint(["previous_id"], ["clause_revision.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("charter_id", "clause_key", "previous_id"),
    )
    with op.batch_alter_table("clause_revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clause_revision_clause", ["charter_id", "clause_key", "id"], unique=False
        )
        batch_op.create_index(
            "ux_clause_revision_first",
            ["charter_id", "clause_key"],
            unique=True,
            sqlite_where=FIRST_REVISION,
            postgresql_where=FIRST_REVISION,
        )
    op.create_table(
        "revision_contributor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["revision_id"], ["clause_revision.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("revision_id", "user_id"),
    )
    with op.batch_alter_table("revision_contributor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revision_contributor_revision_id"), ["revision_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("revision_contributor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revision_contributor_revision_id"))
    op.drop_table("revision_contributor")
    with op.batch_alter_table("clause_revision", schema=None) as batch_op:
        batch_op.drop_index("ux_clause_revision_first")
        batch_op.drop_index("ix_clause_revision_clause")
    op.drop_table("clause_revision")
