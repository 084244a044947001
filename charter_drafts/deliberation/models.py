"""Deliberation's tables: comments (with their earlier bodies, reactions and reports) and
amendments (with their supports and the history of their status)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from charter_drafts.models import utcnow


class CommentStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    hidden = "hidden"


class Reaction(StrEnum):
    agree = "agree"
    disagree = "disagree"


class AmendmentKind(StrEnum):
    replacement = "replace"  # the clause's title and/or body (`replace` would hide str.replace)
    insert_after = "insert_after"  # a new clause after this one
    delete = "delete"  # the clause itself


class AmendmentStatus(StrEnum):
    open = "open"
    merged = "merged"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Comment(SQLModel, table=True):
    """A comment on a clause, or a reply; optionally anchored to a range of its title or body.

    The anchor's ends are Yjs sticky indexes (encoded) into the clause's live text, so they follow
    the words through concurrent edits; ``anchor_quote`` is the text they held when written.
    """

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    clause_key: str = Field(max_length=64)
    reply_to: int | None = Field(default=None, foreign_key="comment.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    body: str
    status: str = Field(default=CommentStatus.open.value, max_length=20)
    anchor_field: str | None = Field(default=None, max_length=10)
    anchor_start: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    anchor_end: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    anchor_quote: str | None = None
    hidden_reason: str | None = None
    hidden_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None


class CommentEdit(SQLModel, table=True):
    """A comment's earlier body, kept when its author changes it."""

    __tablename__ = "comment_edit"

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    body: str
    replaced_at: datetime = Field(default_factory=utcnow)


class CommentReaction(SQLModel, table=True):
    __tablename__ = "comment_reaction"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    reaction: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class CommentReport(SQLModel, table=True):
    __tablename__ = "comment_report"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Amendment(SQLModel, table=True):
    """A proposed change to one clause, and the clause as it was when proposed (its base).

    ``base_state`` is the whole live document at that moment: accepting replays the amendment's
    word edits on a copy of it and merges that into the live document, so what others wrote
    since is kept (``charter_drafts.deliberation.merge``).
    """

    id: int | None = Field(default=None, primary_key=True)
    charter_id: int = Field(foreign_key="charter.id", index=True)
    clause_key: str = Field(max_length=64)
    kind: str = Field(max_length=20)
    title: str | None = None  # replace: the whole proposed title (None: unchanged)
    body: str | None = None
    rationale: str
    author_id: int = Field(foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    status: str = Field(default=AmendmentStatus.open.value, max_length=20)
    conflicted: bool = False  # accepting it was refused: the live text changed the same words
    base_title: str
    base_body: str
    base_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    merged_clause_key: str | None = Field(default=None, max_length=64)  # insert_after's clause
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AmendmentSupport(SQLModel, table=True):
    __tablename__ = "amendment_support"
    __table_args__ = (UniqueConstraint("amendment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    amendment_id: int = Field(foreign_key="amendment.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow)


class AmendmentEvent(SQLModel, table=True):
    """One step of an amendment's history: opened, edited, supported, withdrawn, conflicted,
    merged, rejected; who, when and why."""

    __tablename__ = "amendment_event"

    id: int | None = Field(default=None, primary_key=True)
    amendment_id: int = Field(foreign_key="amendment.id", index=True)
    event: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow)
