"""SQLModel tables: what is stored. Shapes for input and output live next to their operations."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Phase(StrEnum):
    drafting = "drafting"
    consultation = "consultation"
    closed = "closed"


class Role(StrEnum):
    secretariat = "secretariat"
    editor = "editor"
    commenter = "commenter"
    observer = "observer"


class OrganisationKind(StrEnum):
    local_government = "local_government"
    regional_government = "regional_government"
    national_government = "national_government"
    civil_society = "civil_society"
    business = "business"
    international_organisation = "international_organisation"
    academia = "academia"


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
    frozen: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class DocumentUpdate(SQLModel, table=True):
    """One entry of a charter's append-only Yjs update log."""

    __tablename__ = "document_update"
    # Ids only grow (SQLite would reuse the ids of compacted rows without AUTOINCREMENT). A
    # charter's log is read in order: one index serves both.
    __table_args__ = (
        Index("ix_document_update_charter_id_id", "charter_id", "id"),
        {"sqlite_autoincrement": True},
    )

    # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key (its rowid).
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    charter_id: int = Field(foreign_key="charter.id")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DocumentSnapshot(SQLModel, table=True):
    """A charter's Yjs state up to and including update ``last_update_id``."""

    __tablename__ = "document_snapshot"

    charter_id: int = Field(foreign_key="charter.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The state vector of ``data``: a client can be told what the server has without decoding it.
    state_vector: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    last_update_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    # Bumped by every compaction: one writes its state only over the snapshot it folded.
    version: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)  # stored lower-case
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=200)  # argon2id
    active: bool = True
    site_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # Carried by every session cookie signed in since; moved on by a deactivation, which ends them.
    session_epoch: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class Organisation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("name", "country"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    country: str = Field(max_length=2)  # ISO 3166-1 alpha-2
    city: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "charter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    role: str = Field(max_length=20)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A named, revocable credential for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    charter_id: int | None = Field(default=None, foreign_key="charter.id")  # None: any charter
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)  # shown in listings to recognise a token
    secret_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    email: str = Field(max_length=320)
    role: str = Field(max_length=20)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    secret_hash: str = Field(index=True, unique=True, max_length=64)
    invited_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: int | None = Field(default=None, foreign_key="user.id")
    revoked_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """Append-only: who did what to what, and when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int | None = Field(default=None, foreign_key="charter.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=60)
    target: str = Field(default="", max_length=200)
    details: str = Field(default="{}")  # JSON
    created_at: datetime = Field(default_factory=utcnow)
