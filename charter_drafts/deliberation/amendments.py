"""Amendments: proposing a change to one clause, supporting it, and deciding on it.

A ``replace`` amendment is merged into the live text through the CRDT (``merge``); ``insert_after``
and ``delete`` go through the clause structure code. Every step is kept in the amendment's
history with who, when and why; the live document is changed before the decision is stored, so
an amendment is never marked merged without its text (and a merge replayed after a failure finds
its edits made already and makes none twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pycrdt import Doc
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.merge import FIELDS, MergePlan, clause_text, plan_merge
from charter_drafts.deliberation.models import (
    Amendment,
    AmendmentEvent,
    AmendmentKind,
    AmendmentStatus,
    AmendmentSupport,
)
from charter_drafts.document.schema import order_of
from charter_drafts.errors import Conflict, Forbidden, Invalid, NotFound
from charter_drafts.models import Charter, ClauseKind, Phase, utcnow
from charter_drafts.people import audit
from charter_drafts.permissions import Action, ClauseTarget, Member, require
from charter_drafts.structure import (
    MAX_BODY,
    MAX_TITLE,
    create_clause,
    delete_clause,
    get_clause,
)
from charter_drafts.texts import Text, text

MAX_RATIONALE = 10_000
STATUS_NAMES = {
    AmendmentStatus.merged.value: Text("merged"),
    AmendmentStatus.rejected.value: Text("rejected"),
    AmendmentStatus.withdrawn.value: Text("withdrawn"),
}


class LiveText(Protocol):
    """A loaded room: its durable document, and server-side changes to it."""

    @property
    def doc(self) -> Doc[Any]: ...

    async def change(self, edit: Callable[[Doc[Any]], None]) -> None: ...


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: str
    title: str | None
    body: str | None
    rationale: str


def parse_kind(kind: str) -> AmendmentKind:
    try:
        return AmendmentKind(kind)
    except ValueError:
        choices = ", ".join(AmendmentKind)
        raise Invalid(text("an amendment's kind is one of: {choices}", choices=choices)) from None


def _check(proposal: Proposal, base_title: str, base_body: str) -> AmendmentKind:
    kind = parse_kind(proposal.kind)
    rationale = proposal.rationale.strip()
    if not rationale or len(rationale) > MAX_RATIONALE:
        raise Invalid(text("a rationale has 1 to {count} characters", count=MAX_RATIONALE))
    title, body = proposal.title, proposal.body
    if (title is not None and len(title) > MAX_TITLE) or (
        body is not None and len(body) > MAX_BODY
    ):
        raise Invalid(
            text(
                "a title has at most {title} characters and a body at most {body}",
                title=MAX_TITLE,
                body=MAX_BODY,
            )
        )
    if kind is AmendmentKind.replacement:
        if title is None and body is None:
            raise Invalid("a replacement gives the new title, the new body or both")
        if (title is None or title == base_title) and (body is None or body == base_body):
            raise Invalid("the proposed text is the clause's text already")
    elif kind is AmendmentKind.insert_after:
        if not (title or "").strip() and not (body or "").strip():
            raise Invalid("a new clause needs a title or a body")
    elif title is not None or body is not None:
        raise Invalid("an amendment that deletes a clause proposes no text")
    return kind


def _target(charter: Charter, frozen: bool) -> ClauseTarget:
    return ClauseTarget(Phase(charter.phase), frozen)


def _history(
    session: AsyncSession, amendment_id: int, event: str, actor_id: int | None, reason: str = ""
) -> None:
    session.add(
        AmendmentEvent(amendment_id=amendment_id, event=event, actor_id=actor_id, reason=reason)
    )


async def propose(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveText,
    key: str,
    proposal: Proposal,
) -> Amendment:
    """A new open amendment to clause ``key``; its base is the live document now."""
    assert charter.id is not None
    clause = await get_clause(session, charter.id, key)
    require(member, Action.comment, _target(charter, clause.frozen))
    base_title = clause_text(live.doc, key, "title")
    base_body = clause_text(live.doc, key, "body")
    if base_title is None or base_body is None:
        raise NotFound(text("no clause '{key}' in this charter", key=key))
    kind = _check(proposal, base_title, base_body)
    amendment = Amendment(
        charter_id=charter.id,
        clause_key=key,
        kind=kind.value,
        title=proposal.title,
        body=proposal.body,
        rationale=proposal.rationale.strip(),
        author_id=member.user_id,
        organisation_id=member.organisation_id,
        base_title=base_title,
        base_body=base_body,
        base_state=live.doc.get_update(),
    )
    session.add(amendment)
    await session.flush()
    assert amendment.id is not None
    _history(session, amendment.id, "opened", member.user_id)
    await session.commit()
    return amendment


async def get_amendment(session: AsyncSession, charter_id: int, amendment_id: int) -> Amendment:
    amendment = await session.get(Amendment, amendment_id)
    if amendment is None or amendment.charter_id != charter_id:
        raise NotFound(text("no amendment {id} in this charter", id=amendment_id))
    return amendment


async def _open_for(
    session: AsyncSession, member: Member, charter: Charter, amendment: Amendment, action: Action
) -> None:
    """Refuse unless the amendment is open and ``member`` may ``action`` on its clause."""
    assert charter.id is not None
    clause = await get_clause(session, charter.id, amendment.clause_key)
    require(member, action, _target(charter, clause.frozen))
    if amendment.status != AmendmentStatus.open.value:
        status = STATUS_NAMES.get(amendment.status, Text(amendment.status))
        raise Conflict(text("this amendment is {status} already", status=status))


async def revise(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveText,
    amendment: Amendment,
    proposal: Proposal,
) -> Amendment:
    """The author changes their open amendment; it is re-based on the live text now, which
    they have seen (so it is no longer stale)."""
    await _open_for(session, member, charter, amendment, Action.comment)
    if amendment.author_id != member.user_id:
        raise Forbidden("only its author may change an amendment")
    base_title = clause_text(live.doc, amendment.clause_key, "title") or ""
    base_body = clause_text(live.doc, amendment.clause_key, "body") or ""
    kind = _check(proposal, base_title, base_body)
    amendment.kind = kind.value
    amendment.title, amendment.body = proposal.title, proposal.body
    amendment.rationale = proposal.rationale.strip()
    amendment.base_title, amendment.base_body = base_title, base_body
    amendment.base_state = live.doc.get_update()
    amendment.conflicted = False
    amendment.updated_at = utcnow()
    assert amendment.id is not None
    _history(session, amendment.id, "edited", member.user_id)
    await session.commit()
    return amendment


async def withdraw(
    session: AsyncSession, member: Member, charter: Charter, amendment: Amendment
) -> Amendment:
    await _open_for(session, member, charter, amendment, Action.comment)
    if amendment.author_id != member.user_id:
        raise Forbidden("only its author may withdraw an amendment")
    amendment.status = AmendmentStatus.withdrawn.value
    amendment.updated_at = utcnow()
    assert amendment.id is not None
    _history(session, amendment.id, "withdrawn", member.user_id)
    await session.commit()
    return amendment


async def support(
    session: AsyncSession, member: Member, charter: Charter, amendment: Amendment
) -> bool:
    """Co-sign an open amendment (once per member; again: nothing more). True if added."""
    await _open_for(session, member, charter, amendment, Action.comment)
    if amendment.author_id == member.user_id:
        raise Invalid("you proposed this amendment; others support it")
    assert amendment.id is not None
    if await _support_of(session, amendment.id, member.user_id) is not None:
        return False
    session.add(
        AmendmentSupport(
            amendment_id=amendment.id,
            user_id=member.user_id,
            organisation_id=member.organisation_id,
        )
    )
    _history(session, amendment.id, "supported", member.user_id)
    await session.commit()
    return True


async def withdraw_support(
    session: AsyncSession, member: Member, charter: Charter, amendment: Amendment
) -> bool:
    await _open_for(session, member, charter, amendment, Action.comment)
    assert amendment.id is not None
    existing = await _support_of(session, amendment.id, member.user_id)
    if existing is None:
        return False
    await session.delete(existing)
    _history(session, amendment.id, "unsupported", member.user_id)
    await session.commit()
    return True


async def _support_of(
    session: AsyncSession, amendment_id: int, user_id: int
) -> AmendmentSupport | None:
    query = select(AmendmentSupport).where(
        col(AmendmentSupport.amendment_id) == amendment_id,
        col(AmendmentSupport.user_id) == user_id,
    )
    return (await session.execute(query)).scalar()


def plan(amendment: Amendment, live: Doc[Any]) -> MergePlan:
    """What accepting a replacement would do to the live text now."""
    proposed = {
        name: value
        for name, value in (("title", amendment.title), ("body", amendment.body))
        if value is not None
    }
    return plan_merge(amendment.base_state, live, amendment.clause_key, proposed)


def is_stale(amendment: Amendment, live: Doc[Any]) -> bool:
    """An open amendment whose clause changed since its base."""
    now = tuple(clause_text(live, amendment.clause_key, name) for name in FIELDS)
    return now != (amendment.base_title, amendment.base_body)


async def reject(
    session: AsyncSession, member: Member, charter: Charter, amendment: Amendment, reason: str
) -> Amendment:
    await _open_for(session, member, charter, amendment, Action.decide_amendment)
    if not reason.strip():
        raise Invalid("say why the amendment is rejected")
    return await _decided(session, member, charter, amendment, AmendmentStatus.rejected, reason)


async def accept(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveText,
    amendment: Amendment,
    reason: str,
) -> Amendment:
    """Merge the amendment into the live document, then record it merged.

    Raises ``Conflict`` with ``conflicts`` (and marks the amendment conflicted) where the live
    text changed the words the amendment changes; nothing else changes then.
    """
    await _open_for(session, member, charter, amendment, Action.decide_amendment)
    assert amendment.id is not None
    assert charter.id is not None
    kind = AmendmentKind(amendment.kind)
    merge: MergePlan | None = None
    if kind is AmendmentKind.replacement:
        merge = plan(amendment, live.doc)
        if merge.missing:
            raise Conflict("the clause is no longer in the text")
        if merge.update is None:
            amendment.conflicted = True
            _history(session, amendment.id, "conflicted", member.user_id)
            await session.commit()
            raise Conflict(
                "the live text changed the words this amendment changes",
                conflicts=[clash.as_json() for clash in merge.clashes],
            )
    # Claim the decision first: of two accepting at once, one merges.
    claimed = await session.execute(
        update(Amendment)
        .where(col(Amendment.id) == amendment.id, col(Amendment.status) == AmendmentStatus.open)
        .values(status=AmendmentStatus.merged.value, updated_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this amendment was decided meanwhile")
    await session.commit()
    try:
        if merge is not None and merge.update is not None:
            change = merge.update
            await live.change(lambda doc: doc.apply_update(change))
        elif kind is AmendmentKind.insert_after:
            position = _position_after(live.doc, amendment.clause_key)
            clause = await create_clause(
                session,
                member,
                charter,
                live,
                title=amendment.title or "",
                body=amendment.body or "",
                kind=ClauseKind.article,
                position=position,
            )
            amendment.merged_clause_key = clause.key
        else:
            await delete_clause(session, member, charter, live, amendment.clause_key)
    except BaseException:
        await session.rollback()
        await session.execute(
            update(Amendment)
            .where(col(Amendment.id) == amendment.id)
            .values(status=AmendmentStatus.open.value)
        )
        await session.commit()
        raise
    return await _decided(session, member, charter, amendment, AmendmentStatus.merged, reason)


def _position_after(doc: Doc[Any], key: str) -> int:
    keys = [str(k) for k in order_of(doc)]
    return keys.index(key) + 1 if key in keys else len(keys)


async def _decided(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    amendment: Amendment,
    status: AmendmentStatus,
    reason: str,
) -> Amendment:
    assert amendment.id is not None
    amendment.status = status.value
    amendment.conflicted = False if status is AmendmentStatus.merged else amendment.conflicted
    amendment.updated_at = utcnow()
    _history(session, amendment.id, status.value, member.user_id, reason.strip())
    audit.record(
        session,
        f"amendment.{status.value}",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"amendment:{amendment.id}",
        clause=amendment.clause_key,
        reason=reason.strip(),
    )
    await session.commit()
    return amendment


async def amendments_of(
    session: AsyncSession,
    charter_id: int,
    *,
    clause: str | None = None,
    status: str | None = None,
) -> Sequence[Amendment]:
    query = select(Amendment).where(col(Amendment.charter_id) == charter_id)
    if status is not None and status not in set(AmendmentStatus):
        choices = ", ".join(AmendmentStatus)
        raise Invalid(text("an amendment's status is one of: {choices}", choices=choices))
    if clause is not None:
        query = query.where(col(Amendment.clause_key) == clause)
    if status is not None:
        query = query.where(col(Amendment.status) == status)
    return (await session.execute(query.order_by(col(Amendment.id)))).scalars().all()
