"""Publishing's tables: numbered versions of a charter, each with its clauses as published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
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
