"""SQLModel tables: what is stored. Shapes for input and output live next to their operations."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Phase(StrEnum):
    drafting = "drafting"
    consultation = "consultation"
    closed = "closed"


class ClauseKind(StrEnum):
    preamble = "preamble"
    principle = "principle"
    commitment = "commitment"
    article = "article"


class Charter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    title: str = Field(max_length=300)
    summary: str = Field(default="", max_length=2000)
    phase: str = Field(default=Phase.drafting.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class Clause(SQLModel, table=True):
    """A clause's structure; ``title`` and ``body`` mirror the live text as last settled."""

    __table_args__ = (UniqueConstraint("charter_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    key: str = Field(max_length=64)
    position: int = 0
    kind: str = Field(default=ClauseKind.article.value, max_length=20)
    title: str = ""
    body: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class DocumentUpdate(SQLModel, table=True):
    """One entry of a charter's append-only Yjs update log."""

    __tablename__ = "document_update"
    # Ids only grow (SQLite would reuse the ids of compacted rows without AUTOINCREMENT).
    __table_args__ = {"sqlite_autoincrement": True}

    # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key (its rowid).
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    charter_id: int = Field(foreign_key="charter.id", index=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DocumentSnapshot(SQLModel, table=True):
    """A charter's Yjs state up to and including update ``last_update_id``."""

    __tablename__ = "document_snapshot"

    charter_id: int = Field(foreign_key="charter.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    last_update_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
