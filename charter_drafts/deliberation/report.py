"""The consultation report: every comment and amendment of a charter (or of one clause), with
their authors and organisations, reactions, supports, status and decisions, for the secretariat
to publish what the public said. Plain rows; the server renders them as CSV and as a page."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.listing import people
from charter_drafts.deliberation.models import (
    Amendment,
    AmendmentEvent,
    AmendmentSupport,
    Comment,
    CommentReaction,
    CommentReport,
)
from charter_drafts.models import Organisation, User

DECISIONS = ("merged", "rejected", "withdrawn")


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    organisation: str
    kind: str  # the organisation's kind
    country: str


@dataclass(frozen=True, slots=True)
class Item:
    """One comment, reply or amendment, as the report lists it."""

    type: str  # comment | reply | amendment
    id: int
    clause: str
    author: Author
    created_at: datetime
    status: str
    text: str  # a comment's body; an amendment's proposed title and body
    quote: str = ""  # the words a comment is anchored to
    reply_to: int | None = None
    kind: str = ""  # an amendment's: replace | insert_after | delete
    rationale: str = ""
    base: str = ""  # the clause's text an amendment was written against
    agree: int = 0
    disagree: int = 0
    reports: int = 0
    supporters: tuple[Author, ...] = ()
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = ""  # of a decision, or why a comment was hidden


def _author(
    users: dict[int, User],
    organisations: dict[int, Organisation],
    user_id: int | None,
    organisation_id: int | None,
) -> Author:
    user = users.get(user_id) if user_id is not None else None
    organisation = organisations.get(organisation_id) if organisation_id is not None else None
    return Author(
        user.display_name if user else "",
        organisation.name if organisation else "",
        organisation.kind if organisation else "",
        organisation.country if organisation else "",
    )


async def report_items(
    session: AsyncSession, charter_id: int, clause: str | None = None
) -> list[Item]:
    """Comments and amendments of the charter (or of ``clause``), oldest first."""
    comment_query = select(Comment).where(col(Comment.charter_id) == charter_id)
    amendment_query = select(Amendment).where(col(Amendment.charter_id) == charter_id)
    if clause is not None:
        comment_query = comment_query.where(col(Comment.clause_key) == clause)
        amendment_query = amendment_query.where(col(Amendment.clause_key) == clause)
    comments = (await session.execute(comment_query)).scalars().all()
    amendments = (await session.execute(amendment_query)).scalars().all()
    comment_ids = [c.id for c in comments if c.id is not None]
    amendment_ids = [a.id for a in amendments if a.id is not None]
    reactions = (
        (
            await session.execute(
                select(CommentReaction).where(col(CommentReaction.comment_id).in_(comment_ids))
            )
        )
        .scalars()
        .all()
        if comment_ids
        else []
    )
    reports = (
        (
            await session.execute(
                select(CommentReport).where(col(CommentReport.comment_id).in_(comment_ids))
            )
        )
        .scalars()
        .all()
        if comment_ids
        else []
    )
    supports = (
        (
            await session.execute(
                select(AmendmentSupport)
                .where(col(AmendmentSupport.amendment_id).in_(amendment_ids))
                .order_by(col(AmendmentSupport.id))
            )
        )
        .scalars()
        .all()
        if amendment_ids
        else []
    )
    events = (
        (
            await session.execute(
                select(AmendmentEvent)
                .where(col(AmendmentEvent.amendment_id).in_(amendment_ids))
                .order_by(col(AmendmentEvent.id))
            )
        )
        .scalars()
        .all()
        if amendment_ids
        else []
    )
    users, organisations = await people(
        session,
        [c.author_id for c in comments]
        + [a.author_id for a in amendments]
        + [s.user_id for s in supports]
        + [e.actor_id for e in events],
        [c.organisation_id for c in comments]
        + [a.organisation_id for a in amendments]
        + [s.organisation_id for s in supports],
    )
    votes: Counter[tuple[int, str]] = Counter((r.comment_id, r.reaction) for r in reactions)
    reported: Counter[int] = Counter(r.comment_id for r in reports)
    backers: dict[int, list[Author]] = defaultdict(list)
    for s in supports:
        backers[s.amendment_id].append(_author(users, organisations, s.user_id, s.organisation_id))
    decisions = {e.amendment_id: e for e in events if e.event in DECISIONS}
    items: list[Item] = []
    for c in comments:
        assert c.id is not None
        hider = users.get(c.hidden_by) if c.hidden_by is not None else None
        items.append(
            Item(
                "reply" if c.reply_to else "comment",
                c.id,
                c.clause_key,
                _author(users, organisations, c.author_id, c.organisation_id),
                c.created_at,
                c.status,
                c.body,
                quote=c.anchor_quote or "",
                reply_to=c.reply_to,
                agree=votes[(c.id, "agree")],
                disagree=votes[(c.id, "disagree")],
                reports=reported[c.id],
                decided_by=hider.display_name if hider else "",
                reason=c.hidden_reason or "",
            )
        )
    for a in amendments:
        assert a.id is not None
        decision = decisions.get(a.id)
        decider = users.get(decision.actor_id) if decision and decision.actor_id else None
        proposed = "\n\n".join(part for part in (a.title, a.body) if part is not None)
        items.append(
            Item(
                "amendment",
                a.id,
                a.clause_key,
                _author(users, organisations, a.author_id, a.organisation_id),
                a.created_at,
                a.status,
                proposed,
                kind=a.kind,
                rationale=a.rationale,
                base=f"{a.base_title}\n\n{a.base_body}",
                supporters=tuple(backers[a.id]),
                decided_by=decider.display_name if decider else "",
                decided_at=decision.created_at if decision else None,
                reason=decision.reason if decision else "",
            )
        )
    return sorted(items, key=lambda item: item.created_at)
