"""Comments on clauses: write, reply, edit, resolve, react, report and hide; and read them.

Reads take the charter's current document (``Doc``: the live room's when it is loaded, else the
store's) to place anchors; writes of an anchored comment take it to make the anchor. A write is
refused before it changes anything; each one commits its own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.anchors import Place, Resolver, make_anchor
from charter_drafts.deliberation.models import (
    Comment,
    CommentEdit,
    CommentReaction,
    CommentReport,
    CommentStatus,
    Reaction,
)
from charter_drafts.errors import Conflict, Forbidden, Invalid, NotFound
from charter_drafts.models import Charter, Organisation, Phase, User, utcnow
from charter_drafts.people import audit
from charter_drafts.permissions import Action, CharterTarget, Member, can, require
from charter_drafts.structure import get_clause
from charter_drafts.texts import text

MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class AnchorRange:
    """What a member asks to anchor: ``[start, end)`` of a field, in UTF-16 code units."""

    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CommentView:
    comment: Comment
    author: User
    organisation: Organisation | None
    agree: int
    disagree: int
    place: Place | None  # None: not anchored

    @property
    def id(self) -> int:
        assert self.comment.id is not None
        return self.comment.id


def shows_body(view: CommentView, viewer: Member | None) -> bool:
    """A hidden comment's words are shown to its author and the secretariat only."""
    if view.comment.status != CommentStatus.hidden.value:
        return True
    return viewer is not None and (
        viewer.user_id == view.comment.author_id or can(viewer, Action.moderate)
    )


def parse_status(value: str) -> CommentStatus:
    try:
        return CommentStatus(value)
    except ValueError:
        choices = ", ".join(CommentStatus)
        raise Invalid(text("status must be one of: {choices}", choices=choices)) from None


def parse_reaction(value: str) -> Reaction:
    try:
        return Reaction(value)
    except ValueError:
        choices = ", ".join(Reaction)
        raise Invalid(text("reaction must be one of: {choices}", choices=choices)) from None


def check_body(body: str, max_chars: int) -> str:
    if not body.strip():
        raise Invalid("a comment needs some words")
    if len(body) > max_chars:
        raise Invalid(text("a comment has at most {count} characters", count=max_chars))
    return body


async def get_comment(session: AsyncSession, charter_id: int, comment_id: int) -> Comment:
    """The comment if it belongs to this charter; ``NotFound`` otherwise (whoever asks)."""
    comment = await session.get(Comment, comment_id)
    if comment is None or comment.charter_id != charter_id:
        raise NotFound(text("no comment {id} on this charter", id=comment_id))
    return comment


async def list_comments(
    session: AsyncSession,
    charter_id: int,
    doc: Doc[Any],
    *,
    clause: str | None = None,
    status: CommentStatus | None = None,
    ids: Sequence[int] | None = None,
) -> list[CommentView]:
    """The charter's comments, oldest first, with their reactions and where their anchors are."""
    query = (
        select(Comment, User, Organisation)
        .join(User, col(Comment.author_id) == col(User.id))
        .outerjoin(Organisation, col(Comment.organisation_id) == col(Organisation.id))
        .where(col(Comment.charter_id) == charter_id)
        .order_by(col(Comment.id))
    )
    if clause is not None:
        query = query.where(col(Comment.clause_key) == clause)
    if status is not None:
        query = query.where(col(Comment.status) == status.value)
    if ids is not None:
        query = query.where(col(Comment.id).in_(ids))
    rows = (await session.execute(query)).all()
    counts = await _reaction_counts(session, [c.id for c, _, _ in rows if c.id is not None])
    resolver = Resolver(doc)
    views = []
    for comment, author, organisation in rows:
        place = None
        if comment.anchor_field and comment.anchor_start and comment.anchor_end:
            place = resolver.place(
                comment.clause_key, comment.anchor_field, comment.anchor_start, comment.anchor_end
            )
        agree, disagree = counts.get(comment.id or 0, (0, 0))
        views.append(CommentView(comment, author, organisation, agree, disagree, place))
    return views


async def view_comment(session: AsyncSession, comment: Comment, doc: Doc[Any]) -> CommentView:
    assert comment.id is not None
    (view,) = await list_comments(session, comment.charter_id, doc, ids=[comment.id])
    return view


async def open_counts(session: AsyncSession, charter_id: int) -> dict[str, int]:
    """Open comments per clause key (threads: replies are not counted)."""
    query = (
        select(col(Comment.clause_key), func.count())
        .where(
            col(Comment.charter_id) == charter_id,
            col(Comment.status) == CommentStatus.open.value,
            col(Comment.reply_to).is_(None),
        )
        .group_by(col(Comment.clause_key))
    )
    return {key: count for key, count in (await session.execute(query)).all()}


async def post_comment(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    doc: Doc[Any],
    *,
    clause: str,
    body: str,
    reply_to: int | None,
    anchor: AnchorRange | None,
    max_chars: int,
) -> Comment:
    """A new comment (or a reply), committed. ``doc``: the current document, for the anchor."""
    require(member, Action.comment, _target(charter))
    assert charter.id is not None
    body = check_body(body, max_chars)
    await get_clause(session, charter.id, clause)
    if reply_to is not None:
        parent = await get_comment(session, charter.id, reply_to)
        if parent.clause_key != clause:
            raise Invalid("a reply is on the same clause as the comment it answers")
        if anchor is not None:
            raise Invalid("a reply has no anchor: it answers a comment")
    made = None
    if anchor is not None:
        made = make_anchor(doc, clause, anchor.field, anchor.start, anchor.end)
    comment = Comment(
        charter_id=charter.id,
        clause_key=clause,
        reply_to=reply_to,
        author_id=member.user_id,
        organisation_id=member.organisation_id,
        body=body,
        anchor_field=made.field if made else None,
        anchor_start=made.start if made else None,
        anchor_end=made.end if made else None,
        anchor_quote=made.quote if made else None,
    )
    session.add(comment)
    await session.commit()
    return comment


async def change_comment(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    comment_id: int,
    *,
    body: str | None,
    status: CommentStatus | None,
    max_chars: int,
) -> Comment:
    """Edit the body (its author; the earlier body is kept) or resolve / reopen (its author or
    the secretariat). A hidden comment stays as it is."""
    require(member, Action.comment, _target(charter))
    assert charter.id is not None
    comment = await get_comment(session, charter.id, comment_id)
    if body is None and status is None:
        raise Invalid("give a new body or status")
    if status is CommentStatus.hidden:
        raise Invalid("the secretariat hides a comment through its hide action, with a reason")
    if comment.status == CommentStatus.hidden.value:
        raise Conflict("this comment was hidden by the secretariat")
    if body is not None:
        if comment.author_id != member.user_id:
            raise Forbidden("only its author may edit a comment")
        body = check_body(body, max_chars)
    if status is not None and not (
        comment.author_id == member.user_id or can(member, Action.moderate)
    ):
        raise Forbidden("only its author or the secretariat may resolve or reopen a comment")
    if body is not None and body != comment.body:
        assert comment.id is not None
        session.add(CommentEdit(comment_id=comment.id, body=comment.body))
        comment.body = body
        comment.edited_at = utcnow()
    if status is not None:
        comment.status = status.value
    session.add(comment)
    await session.commit()
    return comment


async def react(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    comment_id: int,
    reaction: Reaction | None,
) -> Comment:
    """Agree or disagree (replacing the member's earlier reaction); None withdraws it."""
    require(member, Action.comment, _target(charter))
    assert charter.id is not None
    comment = await get_comment(session, charter.id, comment_id)
    if comment.status == CommentStatus.hidden.value:
        raise Conflict("this comment was hidden by the secretariat")
    query = select(CommentReaction).where(
        col(CommentReaction.comment_id) == comment_id,
        col(CommentReaction.user_id) == member.user_id,
    )
    existing = (await session.execute(query)).scalar()
    if reaction is None:
        if existing is not None:
            await session.delete(existing)
    elif existing is not None:
        existing.reaction = reaction.value
        existing.created_at = utcnow()
        session.add(existing)
    else:
        session.add(
            CommentReaction(comment_id=comment_id, user_id=member.user_id, reaction=reaction.value)
        )
    try:
        await session.commit()
    except IntegrityError:  # the same member reacting twice at once: the first one stands
        await session.rollback()
        return await get_comment(session, charter.id, comment_id)  # reloaded after the rollback
    return comment


async def report_comment(
    session: AsyncSession, member: Member, charter: Charter, comment_id: int
) -> Comment:
    """Point a comment out to the secretariat; once per member."""
    require(member, Action.comment, _target(charter))
    assert charter.id is not None
    comment = await get_comment(session, charter.id, comment_id)
    if comment.status == CommentStatus.hidden.value:
        raise Conflict("this comment was hidden by the secretariat")
    query = select(func.count()).where(
        col(CommentReport.comment_id) == comment_id, col(CommentReport.user_id) == member.user_id
    )
    if (await session.execute(query)).scalar_one():
        raise Conflict("you reported this comment already")
    session.add(CommentReport(comment_id=comment_id, user_id=member.user_id))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("you reported this comment already") from None
    return comment


async def hide_comment(
    session: AsyncSession, member: Member, charter: Charter, comment_id: int, reason: str
) -> Comment:
    """The secretariat hides a comment, with a reason; the audit log keeps both and its words."""
    require(member, Action.moderate, _target(charter))
    assert charter.id is not None
    comment = await get_comment(session, charter.id, comment_id)
    reason = reason.strip()
    if not reason:
        raise Invalid("say why the comment is hidden")
    if len(reason) > MAX_REASON:
        raise Invalid(text("a reason has at most {count} characters", count=MAX_REASON))
    if comment.status == CommentStatus.hidden.value:
        raise Conflict("this comment was hidden by the secretariat")
    audit.record(
        session,
        "comment.hide",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"comment:{comment_id}",
        clause=comment.clause_key,
        author_id=comment.author_id,
        status=comment.status,
        reason=reason,
        body=comment.body,
    )
    comment.status = CommentStatus.hidden.value
    comment.hidden_reason = reason
    comment.hidden_by = member.user_id
    session.add(comment)
    await session.commit()
    return comment


def _target(charter: Charter) -> CharterTarget:
    # A comment on a frozen clause is welcome: the charter's phase is what decides.
    return CharterTarget(Phase(charter.phase))


async def own_reactions(
    session: AsyncSession, user_id: int, comment_ids: list[int]
) -> dict[int, str]:
    """The member's own reaction (agree or disagree) to each of these comments that has one."""
    if not comment_ids:
        return {}
    query = select(col(CommentReaction.comment_id), col(CommentReaction.reaction)).where(
        col(CommentReaction.comment_id).in_(comment_ids),
        col(CommentReaction.user_id) == user_id,
    )
    return {comment_id: reaction for comment_id, reaction in (await session.execute(query)).all()}


async def _reaction_counts(
    session: AsyncSession, comment_ids: list[int]
) -> dict[int, tuple[int, int]]:
    if not comment_ids:
        return {}
    query = (
        select(col(CommentReaction.comment_id), col(CommentReaction.reaction), func.count())
        .where(col(CommentReaction.comment_id).in_(comment_ids))
        .group_by(col(CommentReaction.comment_id), col(CommentReaction.reaction))
    )
    counts: dict[int, list[int]] = {}
    for comment_id, reaction, count in (await session.execute(query)).all():
        pair = counts.setdefault(comment_id, [0, 0])
        pair[0 if reaction == Reaction.agree.value else 1] = count
    return {key: (agree, disagree) for key, (agree, disagree) in counts.items()}
