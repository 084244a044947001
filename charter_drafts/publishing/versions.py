"""Publishing numbered versions of a charter, and reading them back.

A version is written once, in one transaction, from the live document as it is stored at that
moment (the caller passes the room's durable document): every clause in order with its number,
kind, title and body, the whole Yjs state, who published it and when, and the amendments merged
since the previous version. Nothing ever updates or deletes a version's rows, so anything
rendered from them (the exports) never changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.charters import ClauseView, clause_rows, clause_views
from charter_drafts.deliberation.models import Amendment, AmendmentStatus
from charter_drafts.errors import Conflict, Invalid, NotFound
from charter_drafts.models import Charter, Clause, Phase
from charter_drafts.people import audit
from charter_drafts.permissions import Action, CharterTarget, Member, require
from charter_drafts.publishing.models import Version, VersionClause
from charter_drafts.texts import text

NUMBER = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")
MAX_TITLE = 300
MAX_NOTES = 20_000


@dataclass(frozen=True, slots=True)
class Published:
    version: Version
    clauses: list[VersionClause]


def parse_number(number: str) -> tuple[int, int]:
    """``0.1``, ``1.0``, ``2.13``: a major and a minor number."""
    match = NUMBER.match(number)
    if match is None:
        raise Invalid(
            text("a version number is like 0.1 or 1.0 (was '{number}')", number=number[:20])
        )
    return int(match.group(1)), int(match.group(2))


async def latest_version(session: AsyncSession, charter_id: int) -> Version | None:
    query = (
        select(Version)
        .where(col(Version.charter_id) == charter_id)
        .order_by(col(Version.major).desc(), col(Version.minor).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar()


async def publish(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: Doc[Any],
    *,
    number: str,
    title: str,
    notes: str = "",
) -> Published:
    """Publish the charter's text as ``live`` holds it now, as version ``number``."""
    require(member, Action.publish, CharterTarget(Phase(charter.phase)))
    assert charter.id is not None
    major, minor = parse_number(number)
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise Invalid(text("a version's title has 1 to {count} characters", count=MAX_TITLE))
    if len(notes) > MAX_NOTES:
        raise Invalid(text("release notes have at most {count} characters", count=MAX_NOTES))
    previous = await latest_version(session, charter.id)
    if previous is not None and (major, minor) <= (previous.major, previous.minor):
        raise Conflict(
            text("a new version's number must be greater than {latest}", latest=previous.number)
        )
    merged = await _merged_since(session, charter.id, previous)
    version = Version(
        charter_id=charter.id,
        number=number,
        major=major,
        minor=minor,
        title=title,
        notes=notes,
        charter_title=charter.title,
        published_by=member.user_id,
        state=live.get_update(),
        merged_amendments=json.dumps(merged),
    )
    session.add(version)
    await session.flush()
    assert version.id is not None
    views = clause_views(live, await clause_rows(session, charter.id))
    clauses = [_frozen_copy(version.id, position, view) for position, view in enumerate(views)]
    session.add_all(clauses)
    audit.record(
        session,
        "version.publish",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"version:{number}",
        title=title,
    )
    try:
        await session.commit()
    except Exception:  # another secretary published the same number meanwhile
        await session.rollback()
        raise Conflict(text("version {number} exists already", number=number)) from None
    return Published(version, clauses)


def _frozen_copy(version_id: int, position: int, view: ClauseView) -> VersionClause:
    return VersionClause(
        version_id=version_id,
        position=position,
        key=view.key,
        number=view.number,
        kind=view.kind,
        title=view.title,
        body=view.body,
    )


async def _merged_since(
    session: AsyncSession, charter_id: int, previous: Version | None
) -> list[int]:
    query = select(col(Amendment.id)).where(
        col(Amendment.charter_id) == charter_id,
        col(Amendment.status) == AmendmentStatus.merged.value,
    )
    if previous is not None:
        query = query.where(col(Amendment.updated_at) > previous.published_at)
    return [i for i in (await session.execute(query.order_by(col(Amendment.id)))).scalars() if i]


async def versions_of(session: AsyncSession, charter_id: int) -> Sequence[Version]:
    """Newest first."""
    query = (
        select(Version)
        .where(col(Version.charter_id) == charter_id)
        .order_by(col(Version.major).desc(), col(Version.minor).desc())
    )
    return (await session.execute(query)).scalars().all()


async def get_version(session: AsyncSession, charter_id: int, number: str) -> Published:
    """Raises ``NotFound`` (also for a malformed number)."""
    query = select(Version).where(
        col(Version.charter_id) == charter_id, col(Version.number) == number[:20]
    )
    version = (await session.execute(query)).scalar()
    if version is None:
        raise NotFound(text("no version {number} of this charter", number=number[:20]))
    clauses = (
        (
            await session.execute(
                select(VersionClause)
                .where(col(VersionClause.version_id) == version.id)
                .order_by(col(VersionClause.position))
            )
        )
        .scalars()
        .all()
    )
    return Published(version, list(clauses))


def live_as_published(live: Doc[Any], rows: dict[str, Clause]) -> list[VersionClause]:
    """The live draft's clauses in the shape of a version's, for comparing with one."""
    return [
        _frozen_copy(0, position, view) for position, view in enumerate(clause_views(live, rows))
    ]
