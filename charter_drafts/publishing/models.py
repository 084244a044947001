"""Publishing's tables: numbered versions of a charter, each with its clauses as published;
clause revisions and who contributed to each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from charter_drafts.models import utcnow


class Version(SQLModel, table=True):
    """A published version: immutable once written (nothing updates or deletes its rows).

    ``state`` is the whole Yjs document as published; ``merged_amendments`` the ids (JSON list)
    of the amendments merged since the previous version.
    """

    __table_args__ = (UniqueConstraint("charter_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    number: str = Field(max_length=20)
    major: int
    minor: int
    title: str = Field(max_length=300)
    notes: str = ""  # Markdown subset, rendered by ``charter_drafts.usertext``
    charter_title: str = Field(max_length=300)
    published_by: int = Field(foreign_key="user.id")
    published_at: datetime = Field(default_factory=utcnow)
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    merged_amendments: str = "[]"


class VersionClause(SQLModel, table=True):
    """A clause as a version published it."""

    __tablename__ = "version_clause"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="version.id", index=True)
    position: int
    key: str = Field(max_length=64)
    number: int | None = None  # None: the preamble
    kind: str = Field(max_length=20)
    title: str
    body: str


FIRST_REVISION = "previous_id IS NULL"


class RevisionSource(StrEnum):
    live = "live"  # typed live, recorded once the clause's text settled
    amendment = "amendment"  # an amendment merged (``source_ref``: its id)
    restore = "restore"  # an earlier revision restored (``source_ref``: its id)
    publish = "publish"  # a version published (``source_ref``: its number)
    structure = "structure"  # the clause inserted, moved or deleted


class ClauseRevision(SQLModel, table=True):
    """A clause's title and body at one moment of its history; written once, never changed.

    ``previous_id`` is the clause's revision before it (None: its first). One successor per
    revision, enforced by the store: of two processes recording the same change, one writes.
    """

    __tablename__ = "clause_revision"
    __table_args__ = (
        UniqueConstraint("charter_id", "clause_key", "previous_id"),
        Index(
            "ux_clause_revision_first",
            "charter_id",
            "clause_key",
            unique=True,
            sqlite_where=text(FIRST_REVISION),
            postgresql_where=text(FIRST_REVISION),
        ),
        Index("ix_clause_revision_clause", "charter_id", "clause_key", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id")
    clause_key: str = Field(max_length=64)
    title: str
    body: str
    source: str = Field(max_length=20)
    source_ref: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    previous_id: int | None = Field(default=None, foreign_key="clause_revision.id")


class RevisionContributor(SQLModel, table=True):
    """A member who edited the clause between the previous revision and this one."""

    __tablename__ = "revision_contributor"
    __table_args__ = (UniqueConstraint("revision_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="clause_revision.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
