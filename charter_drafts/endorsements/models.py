"""Endorsements' tables: an organisation's endorsement of one published version (a member's,
verified at once, or a public request the secretariat verifies), and its support of clauses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from charter_drafts.models import utcnow


class EndorsementStatus(StrEnum):
    pending = "pending"  # a public request, not verified yet: never shown publicly
    verified = "verified"
    rejected = "rejected"
    withdrawn = "withdrawn"  # kept in the history, no longer counted


VERIFIED = "status = 'verified'"


class Endorsement(SQLModel, table=True):
    """An organisation endorses a version. A public request names its organisation in the
    ``org_*`` fields until the secretariat verifies it (then ``organisation_id`` is set).
    ``previous_id``: the endorsement of an earlier version this one re-confirms."""

    __table_args__ = (
        # One counted endorsement per organisation and version.
        Index(
            "ux_endorsement_verified",
            "organisation_id",
            "version_id",
            unique=True,
            sqlite_where=text(VERIFIED),
            postgresql_where=text(VERIFIED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    version_id: int = Field(foreign_key="version.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    org_name: str = Field(default="", max_length=200)
    org_kind: str = Field(default="", max_length=40)
    org_country: str = Field(default="", max_length=2)
    org_city: str = Field(default="", max_length=120)
    org_website: str = Field(default="", max_length=300)
    signatory_name: str = Field(max_length=200)
    signatory_title: str = Field(max_length=200)
    statement: str = ""
    public: bool = True
    status: str = Field(default=EndorsementStatus.pending.value, max_length=20)
    contact_email: str = Field(default="", max_length=320)  # of a public request; never shown
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    previous_id: int | None = Field(default=None, foreign_key="endorsement.id")
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class ClauseSupport(SQLModel, table=True):
    """An endorsing organisation's support of one clause of the version it endorsed."""

    __tablename__ = "clause_support"
    __table_args__ = (UniqueConstraint("endorsement_id", "clause_key"),)

    id: int | None = Field(default=None, primary_key=True)
    endorsement_id: int = Field(foreign_key="endorsement.id", index=True)
    clause_key: str = Field(max_length=64)
