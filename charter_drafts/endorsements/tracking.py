"""Following the campaign: endorsements as lists show them, the public endorsers of a version,
and the secretariat's counts (by version, kind of organisation, country, over time; pending
requests; how many endorsers of earlier versions re-confirmed each newer one)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.endorsements.models import ClauseSupport, Endorsement, EndorsementStatus
from charter_drafts.models import Organisation
from charter_drafts.publishing.models import Version

VERIFIED = EndorsementStatus.verified.value


async def _context(
    session: AsyncSession, endorsements: Sequence[Endorsement]
) -> tuple[dict[int, Organisation], dict[int, Version], dict[int, list[str]]]:
    organisation_ids = {e.organisation_id for e in endorsements if e.organisation_id}
    version_ids = {e.version_id for e in endorsements}
    ids = [e.id for e in endorsements if e.id is not None]
    organisations = (
        {
            o.id: o
            for o in (
                await session.execute(
                    select(Organisation).where(col(Organisation.id).in_(organisation_ids))
                )
            ).scalars()
            if o.id is not None
        }
        if organisation_ids
        else {}
    )
    versions = (
        {
            v.id: v
            for v in (
                await session.execute(select(Version).where(col(Version.id).in_(version_ids)))
            ).scalars()
            if v.id is not None
        }
        if version_ids
        else {}
    )
    clauses: dict[int, list[str]] = defaultdict(list)
    if ids:
        query = select(ClauseSupport).where(col(ClauseSupport.endorsement_id).in_(ids))
        for support in (await session.execute(query.order_by(col(ClauseSupport.id)))).scalars():
            clauses[support.endorsement_id].append(support.clause_key)
    return organisations, versions, clauses


def _organisation(e: Endorsement, organisations: dict[int, Organisation]) -> dict[str, Any]:
    found = organisations.get(e.organisation_id) if e.organisation_id else None
    if found is not None:
        return {
            "id": found.id,
            "name": found.name,
            "kind": found.kind,
            "country": found.country,
            "city": found.city,
        }
    return {
        "id": None,
        "name": e.org_name,
        "kind": e.org_kind,
        "country": e.org_country,
        "city": e.org_city,
    }


async def endorsement_views(
    session: AsyncSession, endorsements: Sequence[Endorsement], *, contact: bool = False
) -> list[dict[str, Any]]:
    """Each endorsement as the API gives it (``contact``: with a request's e-mail address)."""
    organisations, versions, clauses = await _context(session, endorsements)
    views = []
    for e in endorsements:
        view = {
            "id": e.id,
            "version": versions[e.version_id].number,
            "organisation": _organisation(e, organisations),
            "website": e.org_website,
            "signatory_name": e.signatory_name,
            "signatory_title": e.signatory_title,
            "statement": e.statement,
            "public": e.public,
            "status": e.status,
            "previous": e.previous_id,
            "clauses": clauses.get(e.id or 0, []),
            "reason": e.reason,
            "created_at": e.created_at.isoformat(),
            "decided_at": e.decided_at.isoformat() if e.decided_at else None,
        }
        if contact:
            view["contact_email"] = e.contact_email
        views.append(view)
    return views


async def endorsements_of(
    session: AsyncSession,
    charter_id: int,
    *,
    organisation_id: int | None = None,
    everyone: bool = False,
    status: str | None = None,
    version: str | None = None,
) -> Sequence[Endorsement]:
    """All of them (``everyone``: the secretariat) or one organisation's."""
    query = select(Endorsement).where(col(Endorsement.charter_id) == charter_id)
    if not everyone:
        query = query.where(col(Endorsement.organisation_id) == organisation_id)
    if status is not None:
        query = query.where(col(Endorsement.status) == status)
    if version is not None:
        query = query.join(Version, col(Version.id) == col(Endorsement.version_id)).where(
            col(Version.number) == version
        )
    return (await session.execute(query.order_by(col(Endorsement.id)))).scalars().all()


async def endorsers(session: AsyncSession, version: Version) -> list[dict[str, Any]]:
    """The verified, public endorsements of a version: what anyone may see."""
    query = select(Endorsement).where(
        col(Endorsement.version_id) == version.id,
        col(Endorsement.status) == VERIFIED,
        col(Endorsement.public),
    )
    found = (await session.execute(query.order_by(col(Endorsement.decided_at)))).scalars().all()
    organisations, _versions, _clauses = await _context(session, found)
    return [
        {
            "organisation": {k: v for k, v in _organisation(e, organisations).items() if k != "id"},
            "signatory_name": e.signatory_name,
            "signatory_title": e.signatory_title,
            "statement": e.statement,
            "endorsed_at": (e.decided_at or e.created_at).isoformat(),
        }
        for e in found
    ]


async def stats(session: AsyncSession, charter_id: int) -> dict[str, Any]:
    """The campaign in numbers; only verified endorsements count (withdrawn ones do not)."""
    everything = (
        (
            await session.execute(
                select(Endorsement).where(col(Endorsement.charter_id) == charter_id)
            )
        )
        .scalars()
        .all()
    )
    organisations, versions, clauses = await _context(session, everything)
    counted = [e for e in everything if e.status == VERIFIED]
    all_versions = (
        (await session.execute(select(Version).where(col(Version.charter_id) == charter_id)))
        .scalars()
        .all()
    )
    numbers = [v.number for v in sorted(all_versions, key=lambda v: (v.major, v.minor))]
    by_version = {number: 0 for number in numbers}
    by_kind: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    for e in counted:
        organisation = _organisation(e, organisations)
        by_version[versions[e.version_id].number] += 1
        by_kind[organisation["kind"]] += 1
        by_country[organisation["country"]] += 1
    by_clause: dict[str, Counter[str]] = defaultdict(Counter)
    for e in counted:
        by_clause[versions[e.version_id].number].update(clauses.get(e.id or 0, []))
    days: Counter[str] = Counter((e.decided_at or e.created_at).date().isoformat() for e in counted)
    running, over_time = 0, []
    for day in sorted(days):
        running += days[day]
        over_time.append([day, running])
    return {
        "by_version": by_version,
        "by_kind": dict(by_kind),
        "by_country": dict(by_country),
        "over_time": over_time,
        "pending": sum(1 for e in everything if e.status == EndorsementStatus.pending.value),
        "by_clause": {number: dict(counts) for number, counts in by_clause.items()},
        "reconfirmation": _reconfirmation(counted, versions, numbers),
    }


def _reconfirmation(
    counted: Sequence[Endorsement], versions: dict[int, Version], numbers: list[str]
) -> dict[str, float | None]:
    """For each version after the first: of the organisations that endorsed an earlier one,
    the share that endorse it too (None: nobody endorsed an earlier one)."""
    signed: dict[str, set[int]] = defaultdict(set)
    for e in counted:
        if e.organisation_id is not None:
            signed[versions[e.version_id].number].add(e.organisation_id)
    rates: dict[str, float | None] = {}
    earlier: set[int] = set()
    for index, number in enumerate(numbers):
        if index:
            share = len(signed[number] & earlier) / len(earlier) if earlier else None
            rates[number] = round(share, 3) if share is not None else None
        earlier |= signed[number]
    return rates
