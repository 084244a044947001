"""Where a comparison's changes came from, and its changelog.

Between two moments of a charter (two versions, or a version and now), each clause of a
comparison is given the amendments merged into it, its revisions and the comments written on it
(counted; hidden ones are not). The changelog sums the comparison up: the clauses added, removed,
moved and changed, and every amendment merged in between with its rationale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.models import Amendment, AmendmentStatus, Comment, CommentStatus
from charter_drafts.publishing.models import ClauseRevision, RevisionSource

CHANGES = ("added", "removed", "moved", "changed")


@dataclass(frozen=True, slots=True)
class Moment:
    """One side of a comparison in time: a version (its number and publication) or now."""

    at: datetime
    number: str | None = None  # None: the live draft


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _between(moment: datetime, since: Moment, until: Moment) -> bool:
    return _aware(since.at) < _aware(moment) <= _aware(until.at)


def _revision_between(revision: ClauseRevision, since: Moment, until: Moment) -> bool:
    """A version's own ``publish`` revisions are recorded just after it: they belong to it."""
    if revision.source == RevisionSource.publish.value:
        if revision.source_ref == since.number:
            return False
        if revision.source_ref == until.number:
            return True
    return _between(revision.created_at, since, until)


async def add_provenance(
    session: AsyncSession,
    slug: str,
    charter_id: int,
    entries: list[dict[str, Any]],
    old: Moment,
    new: Moment,
) -> dict[str, Any]:
    """Give each entry its ``amendments``, ``revisions`` and ``comments``; the changelog."""
    since, until = (old, new) if _aware(old.at) <= _aware(new.at) else (new, old)
    query = select(Amendment).where(
        col(Amendment.charter_id) == charter_id,
        col(Amendment.status) == AmendmentStatus.merged.value,
    )
    merged = [
        a
        for a in (await session.execute(query.order_by(col(Amendment.id)))).scalars()
        if _between(a.updated_at, since, until)
    ]
    query_revisions = select(ClauseRevision).where(col(ClauseRevision.charter_id) == charter_id)
    revisions = [
        r
        for r in (await session.execute(query_revisions.order_by(col(ClauseRevision.id)))).scalars()
        if _revision_between(r, since, until)
    ]
    query_comments = select(Comment).where(
        col(Comment.charter_id) == charter_id,
        col(Comment.status) != CommentStatus.hidden.value,
    )
    comments = [
        c
        for c in (await session.execute(query_comments)).scalars()
        if _between(c.created_at, since, until)
    ]
    for entry in entries:
        key = entry["id"]
        entry["amendments"] = [
            _amendment_json(slug, a) for a in merged if key in (a.clause_key, a.merged_clause_key)
        ]
        entry["revisions"] = [
            {
                "id": r.id,
                "source": r.source,
                "source_ref": r.source_ref,
                "created_at": r.created_at.isoformat(),
            }
            for r in revisions
            if r.clause_key == key
        ]
        entry["history"] = f"/charters/{slug}/clauses/{key}/history"
        entry["comments"] = {
            "count": sum(1 for c in comments if c.clause_key == key),
            "link": f"/api/charters/{slug}/comments?clause={key}",
        }
    changelog: dict[str, Any] = {
        change: [
            e["id"] for e in entries if e["change"] == change or (change == "moved" and e["moved"])
        ]
        for change in CHANGES
    }
    changelog["amendments"] = [_amendment_json(slug, a) for a in merged]
    return changelog


def _amendment_json(slug: str, amendment: Amendment) -> dict[str, Any]:
    return {
        "id": amendment.id,
        "clause": amendment.clause_key,
        "kind": amendment.kind,
        "rationale": amendment.rationale,
        "merged_at": amendment.updated_at.isoformat(),
        "link": f"/charters/{slug}/amendments#amendment-{amendment.id}",
    }
