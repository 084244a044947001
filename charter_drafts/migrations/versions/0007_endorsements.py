"""endorsements: of published versions, and of their clauses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endorsement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("org_name", sa.String(length=200), nullable=False),
        sa.Column("org_kind", sa.String(length=40), nullable=False),
        sa.Column("org_country", sa.String(length=2), nullable=False),
        sa.Column("org_city", sa.String(length=120), nullable=False),
        sa.Column("org_website", sa.String(length=300), nullable=False),
        sa.Column("signatory_name", sa.String(length=200), nullable=False),
        sa.Column("signatory_title", sa.String(length=200), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["endorsement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("endorsement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endorsement_charter_id"), ["charter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_endorsement_version_id"), ["version_id"], unique=False)
        batch_op.create_index(
            "ux_endorsement_verified",
            ["organisation_id", "version_id"],
            unique=True,
            sqlite_where=sa.text("status = 'verified'"),
            postgresql_where=sa.text("status = 'verified'"),
        )

    op.create_table(
        "clause_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endorsement_id", sa.Integer(), nullable=False),
        sa.Column("clause_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["endorsement_id"],
            ["endorsement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endorsement_id", "clause_key"),
    )
    with op.batch_alter_table("clause_support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clause_support_endorsement_id"), ["endorsement_id"], unique=False
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

    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.alter_column(
            "notes", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "merged_amendments", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("version_clause", schema=None) as batch_op:
        batch_op.alter_column(
            "title", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "body", existing_type=sa.TEXT(), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("version_clause", schema=None) as batch_op:
        batch_op.alter_column(
            "body", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )
        batch_op.alter_column(
            "title", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )

    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.alter_column(
            "merged_amendments", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )
        batch_op.alter_column(
            "notes", existing_type=sa.Text(), type_=sa.TEXT(), existing_nullable=False
        )

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

    with op.batch_alter_table("clause_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_support_endorsement_id"))

    op.drop_table("clause_support")
    with op.batch_alter_table("endorsement", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_endorsement_verified",
            sqlite_where=sa.text("status = 'verified'"),
            postgresql_where=sa.text("status = 'verified'"),
        )
        batch_op.drop_index(batch_op.f("ix_endorsement_version_id"))
        batch_op.drop_index(batch_op.f("ix_endorsement_charter_id"))

    op.drop_table("endorsement")
