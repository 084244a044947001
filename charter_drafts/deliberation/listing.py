"""Amendments as lists show them: with their supports, history, and what accepting them now
would do (stale, preview, conflicts); plain data the API and the report render."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.amendments import is_stale, plan
from charter_drafts.deliberation.models import (
    Amendment,
    AmendmentEvent,
    AmendmentKind,
    AmendmentStatus,
    AmendmentSupport,
)
from charter_drafts.models import Organisation, User


def organisation_view(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country,
    }


async def people(
    session: AsyncSession, user_ids: Iterable[int | None], organisation_ids: Iterable[int | None]
) -> tuple[dict[int, User], dict[int, Organisation]]:
    """The users and organisations named, by id, in two queries."""
    users = {i for i in user_ids if i is not None}
    organisations = {i for i in organisation_ids if i is not None}
    found_users = (
        (await session.execute(select(User).where(col(User.id).in_(users)))).scalars().all()
        if users
        else []
    )
    found_organisations = (
        (await session.execute(select(Organisation).where(col(Organisation.id).in_(organisations))))
        .scalars()
        .all()
        if organisations
        else []
    )
    return (
        {u.id: u for u in found_users if u.id is not None},
        {o.id: o for o in found_organisations if o.id is not None},
    )


def _person(users: dict[int, User], user_id: int | None) -> dict[str, Any] | None:
    user = users.get(user_id) if user_id is not None else None
    return {"id": user.id, "display_name": user.display_name} if user else None


async def amendment_views(
    session: AsyncSession, amendments: Sequence[Amendment], live: Doc[Any]
) -> list[dict[str, Any]]:
    """Each amendment as the API gives it (``live``: the charter's current document)."""
    ids = [a.id for a in amendments if a.id is not None]
    supports = (
        (
            await session.execute(
                select(AmendmentSupport)
                .where(col(AmendmentSupport.amendment_id).in_(ids))
                .order_by(col(AmendmentSupport.id))
            )
        )
        .scalars()
        .all()
        if ids
        else []
    )
    history = (
        (
            await session.execute(
                select(AmendmentEvent)
                .where(col(AmendmentEvent.amendment_id).in_(ids))
                .order_by(col(AmendmentEvent.id))
            )
        )
        .scalars()
        .all()
        if ids
        else []
    )
    users, organisations = await people(
        session,
        [a.author_id for a in amendments]
        + [s.user_id for s in supports]
        + [e.actor_id for e in history],
        [a.organisation_id for a in amendments] + [s.organisation_id for s in supports],
    )
    supports_of: dict[int, list[AmendmentSupport]] = defaultdict(list)
    for support in supports:
        supports_of[support.amendment_id].append(support)
    history_of: dict[int, list[AmendmentEvent]] = defaultdict(list)
    for event in history:
        history_of[event.amendment_id].append(event)
    views = []
    for amendment in amendments:
        assert amendment.id is not None
        open_ = amendment.status == AmendmentStatus.open.value
        stale = open_ and is_stale(amendment, live)
        preview: dict[str, str] | None = None
        conflicts: list[dict[str, str]] = []
        if open_ and amendment.kind == AmendmentKind.replacement.value:
            merge = plan(amendment, live)
            conflicts = [clash.as_json() for clash in merge.clashes]
            if merge.update is not None:
                preview = merge.result
        elif open_ and amendment.kind == AmendmentKind.insert_after.value:
            preview = {"title": amendment.title or "", "body": amendment.body or ""}
        views.append(
            {
                "id": amendment.id,
                "clause": amendment.clause_key,
                "kind": amendment.kind,
                "title": amendment.title,
                "body": amendment.body,
                "rationale": amendment.rationale,
                "author": _person(users, amendment.author_id),
                "organisation": organisation_view(
                    organisations.get(amendment.organisation_id or 0)
                ),
                "status": amendment.status,
                "conflicted": amendment.conflicted,
                "stale": stale,
                "base": {"title": amendment.base_title, "body": amendment.base_body},
                "preview": preview,
                "conflicts": conflicts,
                "supports": [
                    {
                        "user": _person(users, s.user_id),
                        "organisation": organisation_view(
                            organisations.get(s.organisation_id or 0)
                        ),
                        "at": s.created_at.isoformat(),
                    }
                    for s in supports_of[amendment.id]
                ],
                "history": [
                    {
                        "event": e.event,
                        "actor": _person(users, e.actor_id),
                        "reason": e.reason,
                        "at": e.created_at.isoformat(),
                    }
                    for e in history_of[amendment.id]
                ],
                "merged_clause": amendment.merged_clause_key,
                "created_at": amendment.created_at.isoformat(),
                "updated_at": amendment.updated_at.isoformat(),
            }
        )
    return views


async def open_amendment_counts(session: AsyncSession, charter_id: int) -> dict[str, int]:
    """Open amendments per clause key."""
    query = select(col(Amendment.clause_key)).where(
        col(Amendment.charter_id) == charter_id,
        col(Amendment.status) == AmendmentStatus.open.value,
    )
    counts: dict[str, int] = {}
    for key in (await session.execute(query)).scalars():
        counts[key] = counts.get(key, 0) + 1
    return counts
