"""Clause revisions: each clause's titles and bodies through time, where each came from and who
wrote it.

A revision is recorded only when the clause's text differs from its latest revision. Each names
its predecessor, and the store allows one successor per revision (a unique constraint, and a
partial unique index for a clause's first): when two processes hold a charter's room and both
record the same change, the second insert fails and is dropped; its contributors join the
revision that was written, whose text is theirs too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.amendments import LiveText
from charter_drafts.deliberation.merge import FIELDS, Clash, clause_text, plan_merge
from charter_drafts.document.schema import order_of
from charter_drafts.document.words import word_diff, word_edits
from charter_drafts.errors import Conflict, NotFound
from charter_drafts.models import Charter, Phase
from charter_drafts.people import audit
from charter_drafts.permissions import Action, ClauseTarget, Member, require
from charter_drafts.publishing.models import ClauseRevision, RevisionContributor, RevisionSource
from charter_drafts.structure import get_clause
from charter_drafts.texts import text

MAX_ID = 2**31 - 1  # an integer column's largest value (PostgreSQL refuses larger ones)
log = logging.getLogger(__name__)
ATTEMPTS = 3  # a lost race is tried again against the new latest revision


@dataclass(frozen=True, slots=True)
class Contributor:
    user_id: int
    organisation_id: int | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def latest_revision(
    session: AsyncSession, charter_id: int, key: str
) -> ClauseRevision | None:
    query = (
        select(ClauseRevision)
        .where(col(ClauseRevision.charter_id) == charter_id, col(ClauseRevision.clause_key) == key)
        .order_by(col(ClauseRevision.id).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar()


async def record(
    session: AsyncSession,
    charter_id: int,
    key: str,
    title: str,
    body: str,
    source: RevisionSource,
    ref: str = "",
    contributors: Iterable[Contributor] = (),
    since: datetime | None = None,
) -> ClauseRevision | None:
    """Record the clause's text as a revision if it differs from its latest one; commits.

    ``since``: when the contributors began editing. If the latest revision holds this text
    already and was recorded since (another process recorded it), they join it.
    """
    people = list(contributors)
    for _ in range(ATTEMPTS):
        latest = await latest_revision(session, charter_id, key)
        if latest is not None and (latest.title, latest.body) == (title, body):
            if people and since is not None and _aware(latest.created_at) >= since:
                assert latest.id is not None
                await _join(session, latest.id, people)
            return None
        revision = ClauseRevision(
            charter_id=charter_id,
            clause_key=key,
            title=title,
            body=body,
            source=source.value,
            source_ref=ref,
            previous_id=latest.id if latest else None,
        )
        session.add(revision)
        try:
            await session.flush()
            assert revision.id is not None
            for person in {p.user_id: p for p in people}.values():
                session.add(_contribution(revision.id, person))
            await session.commit()
        except IntegrityError:  # another process recorded a successor of ``latest`` first
            await session.rollback()
            log.info("revision of %s recorded by another process first", key)
            continue
        return revision
    return None


def _contribution(revision_id: int, person: Contributor) -> RevisionContributor:
    return RevisionContributor(
        revision_id=revision_id, user_id=person.user_id, organisation_id=person.organisation_id
    )


async def _join(session: AsyncSession, revision_id: int, people: list[Contributor]) -> None:
    query = select(col(RevisionContributor.user_id)).where(
        col(RevisionContributor.revision_id) == revision_id
    )
    present = set((await session.execute(query)).scalars())
    missing = {p.user_id: p for p in people if p.user_id not in present}
    if not missing:
        return
    session.add_all(_contribution(revision_id, person) for person in missing.values())
    try:
        await session.commit()
    except IntegrityError:  # the other process added them meanwhile
        await session.rollback()


async def record_document(
    session: AsyncSession,
    charter_id: int,
    doc: Doc[Any],
    source: RevisionSource,
    ref: str = "",
    contributors: dict[str, list[Contributor]] | None = None,
) -> list[ClauseRevision]:
    """Record every clause of ``doc`` whose text differs from its latest revision."""
    recorded = []
    for key in (str(k) for k in order_of(doc)):
        title, body = (clause_text(doc, key, name) for name in FIELDS)
        if title is None or body is None:
            continue
        people = (contributors or {}).get(key, [])
        revision = await record(session, charter_id, key, title, body, source, ref, people)
        if revision is not None:
            recorded.append(revision)
    return recorded


async def revisions_of(
    session: AsyncSession, charter_id: int, key: str
) -> Sequence[ClauseRevision]:
    """Newest first."""
    query = (
        select(ClauseRevision)
        .where(col(ClauseRevision.charter_id) == charter_id, col(ClauseRevision.clause_key) == key)
        .order_by(col(ClauseRevision.id).desc())
    )
    return (await session.execute(query)).scalars().all()


async def contributors_of(
    session: AsyncSession, revision_ids: Sequence[int]
) -> dict[int, list[RevisionContributor]]:
    if not revision_ids:
        return {}
    query = (
        select(RevisionContributor)
        .where(col(RevisionContributor.revision_id).in_(revision_ids))
        .order_by(col(RevisionContributor.id))
    )
    found: dict[int, list[RevisionContributor]] = {i: [] for i in revision_ids}
    for row in (await session.execute(query)).scalars():
        found[row.revision_id].append(row)
    return found


def parse_revision_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_ID:
        raise NotFound(text("no revision {id} of this clause", id=raw[:20]))
    return int(raw)


async def get_revision(
    session: AsyncSession, charter_id: int, key: str, revision_id: int
) -> ClauseRevision:
    """Raises ``NotFound`` for a revision of another clause or another charter too."""
    revision = await session.get(ClauseRevision, revision_id)
    if revision is None or (revision.charter_id, revision.clause_key) != (charter_id, key):
        raise NotFound(text("no revision {id} of this clause", id=str(revision_id)))
    return revision


def diff(old: tuple[str, str], new: tuple[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Word diffs of (title, body) pairs, as the comparison of versions gives them."""
    return {"title_diff": word_diff(old[0], new[0]), "body_diff": word_diff(old[1], new[1])}


def live_text(doc: Doc[Any], key: str) -> tuple[str, str]:
    title, body = (clause_text(doc, key, name) for name in FIELDS)
    if title is None or body is None:
        raise NotFound(text("no clause '{key}' in this charter", key=key[:64]))
    return title, body


def three_way(name: str, base: str, live: str, wanted: str) -> tuple[str, list[Clash]]:
    """``live`` with the word edits ``base`` → ``wanted`` made in it, or the passages where
    ``live`` changed the same words since ``base``."""
    ours, theirs = word_edits(base, wanted), word_edits(base, live)
    ours = [edit for edit in ours if edit not in theirs]  # made already: not twice
    clashes = [
        Clash(name, base[min(a.start, b.start) : max(a.end, b.end)], b.insert, a.insert)
        for a in ours
        for b in theirs
        if a.clashes(b)
    ]
    result = live
    for edit in reversed(ours):  # from the end: the offsets before it stay valid
        shift = sum(
            len(other.insert) - (other.end - other.start)
            for other in theirs
            if other.last <= edit.first and other != edit
        )
        start, end = edit.start + shift, edit.end + shift
        result = result[:start] + edit.insert + result[end:]
    return result, clashes


async def restore(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveText,
    revision: ClauseRevision,
    latest: ClauseRevision | None,
) -> ClauseRevision | None:
    """Bring the revision's title and body back into the live clause (secretariat).

    What changed from the clause's ``latest`` revision to the restored one is undone in the
    live text, word by word, through the amendments' merge: only those words are deleted and
    inserted, so what anyone typed since ``latest``, or types meanwhile, stays. Where the live
    text changed those very words since, ``Conflict`` with the passages, and nothing changes.
    Recorded as a ``restore`` revision.
    """
    assert charter.id is not None
    assert revision.id is not None
    clause = await get_clause(session, charter.id, revision.clause_key)
    require(member, Action.restore_revision, ClauseTarget(Phase(charter.phase), clause.frozen))
    key = revision.clause_key
    now = live_text(live.doc, key)
    base = (latest.title, latest.body) if latest is not None else now
    proposed: dict[str, str] = {}
    clashes: list[Clash] = []
    for index, name in enumerate(FIELDS):
        wanted = (revision.title, revision.body)[index]
        proposed[name], found = three_way(name, base[index], now[index], wanted)
        clashes.extend(found)
    if clashes:
        raise Conflict(
            "the live text changed the words this restore changes",
            conflicts=[clash.as_json() for clash in clashes],
        )
    plan = plan_merge(live.doc.get_update(), live.doc, key, proposed)
    if plan.missing or plan.update is None:
        raise Conflict("the clause is no longer in the text")
    change = plan.update
    await live.change(lambda doc: doc.apply_update(change))
    title, body = live_text(live.doc, key)
    audit.record(
        session,
        "revision.restore",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"revision:{revision.id}",
        clause=key,
    )
    await session.commit()
    person = Contributor(member.user_id, member.organisation_id)
    return await record(
        session, charter.id, key, title, body, RevisionSource.restore, str(revision.id), [person]
    )
