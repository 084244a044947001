"""versions: published versions and their clauses

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("charter_title", sa.String(length=300), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("merged_amendments", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("charter_id", "number"),
    )
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_version_charter_id"), ["charter_id"], unique=False)

    op.create_table(
        "version_clause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("version_clause", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_version_clause_version_id"), ["version_id"], unique=False
        )

    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.alter_column(
            "title", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "body", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "rationale", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "base_title", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "base_body", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("amendment_event", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.alter_column(
            "body", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "anchor_quote", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "hidden_reason", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=True
        )

    with op.batch_alter_table("comment_edit", schema=None) as batch_op:
        batch_op.alter_column(
            "body", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_edit", schema=None) as batch_op:
        batch_op.alter_column(
            "body", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.alter_column(
            "hidden_reason", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=True
        )
        batch_op.alter_column(
            "anchor_quote", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=True
        )
        batch_op.alter_column(
            "body", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )

    with op.batch_alter_table("amendment_event", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )

    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.alter_column(
            "base_body", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )
        batch_op.alter_column(
            "base_title", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )
        batch_op.alter_column(
            "rationale", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )
        batch_op.alter_column(
            "body", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=True
        )
        batch_op.alter_column(
            "title", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=True
        )

    with op.batch_alter_table("version_clause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_clause_version_id"))

    op.drop_table("version_clause")
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_charter_id"))

    op.drop_table("version")
