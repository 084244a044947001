"""Endorsing published versions: members for their organisation (verified at once), public
requests (pending until the secretariat verifies or rejects them), withdrawal, re-confirmation
for a newer version, and support of individual clauses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pycountry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.endorsements.models import ClauseSupport, Endorsement, EndorsementStatus
from charter_drafts.errors import Conflict, Forbidden, Invalid, NotFound
from charter_drafts.models import Charter, OrganisationKind, Phase, utcnow
from charter_drafts.people import audit
from charter_drafts.people.organisations import find_or_create_organisation
from charter_drafts.permissions import Action, CharterTarget, Member, require
from charter_drafts.publishing.models import Version, VersionClause
from charter_drafts.texts import Text, text

MAX_STATEMENT = 2_000
MAX_NAME = 200
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
WEBSITE = re.compile(r"^https?://[^\s<>\"]{3,290}$")


@dataclass(frozen=True, slots=True)
class Signatory:
    name: str
    title: str
    statement: str = ""
    public: bool = True
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewOrganisation:
    name: str
    kind: str
    country: str
    city: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    organisation: NewOrganisation
    signatory: Signatory
    contact_email: str
    extra: dict[str, str] = field(default_factory=dict)


def _line(value: str, label: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= MAX_NAME:
        raise Invalid(text("{field} has 1 to {count} characters", field=label, count=MAX_NAME))
    return value


def _checked(signatory: Signatory) -> Signatory:
    if len(signatory.statement) > MAX_STATEMENT:
        raise Invalid(text("a statement has at most {count} characters", count=MAX_STATEMENT))
    return Signatory(
        _line(signatory.name, "the signatory's name"),
        _line(signatory.title, "the signatory's title"),
        signatory.statement.strip(),
        signatory.public,
        tuple(dict.fromkeys(signatory.clauses)),
    )


def parse_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code, as pycountry knows them."""
    code = code.strip().upper()
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if found is None:
        raise Invalid(text("'{code}' is not an ISO 3166-1 country code", code=code[:10]))
    return str(found.alpha_2)


def _organisation(new: NewOrganisation) -> NewOrganisation:
    try:
        kind = OrganisationKind(new.kind).value
    except ValueError:
        choices = ", ".join(OrganisationKind)
        message = text("an organisation's kind is one of: {choices}", choices=choices)
        raise Invalid(message) from None
    city = " ".join(new.city.split())
    if kind == OrganisationKind.local_government.value and not city:
        raise Invalid("a local government needs its city")
    if new.website and not WEBSITE.match(new.website):
        raise Invalid("a website is an http(s) address")
    return NewOrganisation(
        _line(new.name, "the organisation's name"),
        kind,
        parse_country(new.country),
        city,
        new.website,
    )


async def _version(session: AsyncSession, charter_id: int, number: str | None) -> Version:
    query = select(Version).where(col(Version.charter_id) == charter_id)
    if number is None:
        query = query.order_by(col(Version.major).desc(), col(Version.minor).desc()).limit(1)
    else:
        query = query.where(col(Version.number) == number[:20])
    version = (await session.execute(query)).scalar()
    if version is None:
        raise NotFound(text("no version {number} of this charter", number=(number or "")[:20]))
    return version


async def _clauses(session: AsyncSession, version: Version, keys: Sequence[str]) -> None:
    if not keys:
        return
    known = set(
        (
            await session.execute(
                select(col(VersionClause.key)).where(col(VersionClause.version_id) == version.id)
            )
        ).scalars()
    )
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise Invalid(
            text(
                "version {number} has no clause '{key}'", number=version.number, key=unknown[0][:64]
            )
        )


async def counted(
    session: AsyncSession, organisation_id: int, version_id: int
) -> Endorsement | None:
    """The organisation's verified endorsement of the version, if any."""
    query = select(Endorsement).where(
        col(Endorsement.organisation_id) == organisation_id,
        col(Endorsement.version_id) == version_id,
        col(Endorsement.status) == EndorsementStatus.verified.value,
    )
    return (await session.execute(query)).scalar()


async def endorse(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    number: str,
    signatory: Signatory,
    organisation_id: int | None = None,
) -> tuple[Endorsement, bool]:
    """A member endorses ``number`` for their organisation: verified at once. A second one
    for the same organisation and version answers the first (``False``: nothing added)."""
    require(member, Action.endorse, CharterTarget(Phase(charter.phase)))
    assert charter.id is not None
    if member.organisation_id is None:
        raise Invalid("you endorse on behalf of your organisation, and you have none here")
    if organisation_id is not None and organisation_id != member.organisation_id:
        raise Forbidden("you endorse on behalf of your own organisation only")
    version = await _version(session, charter.id, number)
    assert version.id is not None
    signatory = _checked(signatory)
    await _clauses(session, version, signatory.clauses)
    existing = await counted(session, member.organisation_id, version.id)
    if existing is not None:
        return existing, False
    endorsement = Endorsement(
        charter_id=charter.id,
        version_id=version.id,
        organisation_id=member.organisation_id,
        signatory_name=signatory.name,
        signatory_title=signatory.title,
        statement=signatory.statement,
        public=signatory.public,
        status=EndorsementStatus.verified.value,
        submitted_by=member.user_id,
        decided_by=member.user_id,
        decided_at=utcnow(),
    )
    return await _store(session, endorsement, signatory.clauses, member.user_id), True


async def _store(
    session: AsyncSession, endorsement: Endorsement, clauses: Sequence[str], actor: int | None
) -> Endorsement:
    session.add(endorsement)
    try:
        await session.flush()
    except IntegrityError:  # the same organisation and version, at the same moment
        await session.rollback()
        raise Conflict("this organisation endorsed this version already") from None
    assert endorsement.id is not None
    session.add_all(ClauseSupport(endorsement_id=endorsement.id, clause_key=k) for k in clauses)
    audit.record(
        session,
        f"endorsement.{endorsement.status}",
        actor_id=actor,
        charter_id=endorsement.charter_id,
        target=f"endorsement:{endorsement.id}",
    )
    await session.commit()
    return endorsement


async def request_endorsement(
    session: AsyncSession, charter: Charter, request: Request, number: str | None = None
) -> Endorsement:
    """Anyone asks to endorse a version (the latest by default): pending until verified."""
    assert charter.id is not None
    if any(value.strip() for value in request.extra.values()):
        raise Invalid("this request was not sent by a person")  # the form's hidden trap field
    organisation = _organisation(request.organisation)
    signatory = _checked(request.signatory)
    if not EMAIL.match(request.contact_email.strip()):
        raise Invalid("enter a valid email address")
    version = await _version(session, charter.id, number)
    assert version.id is not None
    await _clauses(session, version, signatory.clauses)
    endorsement = Endorsement(
        charter_id=charter.id,
        version_id=version.id,
        org_name=organisation.name,
        org_kind=organisation.kind,
        org_country=organisation.country,
        org_city=organisation.city,
        org_website=organisation.website,
        signatory_name=signatory.name,
        signatory_title=signatory.title,
        statement=signatory.statement,
        public=signatory.public,
        contact_email=request.contact_email.strip().lower(),
    )
    return await _store(session, endorsement, signatory.clauses, None)


async def get_endorsement(
    session: AsyncSession, charter_id: int, endorsement_id: int
) -> Endorsement:
    endorsement = await session.get(Endorsement, endorsement_id)
    if endorsement is None or endorsement.charter_id != charter_id:
        raise NotFound(text("no endorsement {id} in this charter", id=endorsement_id))
    return endorsement


STATUS_NAMES = {
    EndorsementStatus.verified.value: Text("verified"),
    EndorsementStatus.rejected.value: Text("rejected"),
    EndorsementStatus.withdrawn.value: Text("withdrawn"),
    EndorsementStatus.pending.value: Text("pending"),
}


def _already(endorsement: Endorsement) -> Conflict:
    status = STATUS_NAMES.get(endorsement.status, Text(endorsement.status))
    return Conflict(text("this endorsement is {status} already", status=status))


def _pending(endorsement: Endorsement) -> None:
    if endorsement.status != EndorsementStatus.pending.value:
        raise _already(endorsement)


async def verify(
    session: AsyncSession, member: Member, charter: Charter, endorsement: Endorsement
) -> Endorsement:
    """The secretariat verifies a public request; its organisation is created if new."""
    require(member, Action.manage_endorsements, CharterTarget(Phase(charter.phase)))
    _pending(endorsement)
    organisation = await find_or_create_organisation(
        session,
        endorsement.org_name,
        endorsement.org_kind,
        endorsement.org_country,
        endorsement.org_city,
    )
    assert organisation.id is not None
    if await counted(session, organisation.id, endorsement.version_id) is not None:
        raise Conflict("this organisation endorsed this version already")
    endorsement.organisation_id = organisation.id
    return await _decide(session, member, endorsement, EndorsementStatus.verified, "")


async def reject(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    endorsement: Endorsement,
    reason: str,
) -> Endorsement:
    require(member, Action.manage_endorsements, CharterTarget(Phase(charter.phase)))
    _pending(endorsement)
    if not reason.strip():
        raise Invalid("say why the request is rejected")
    return await _decide(session, member, endorsement, EndorsementStatus.rejected, reason)


async def withdraw(
    session: AsyncSession, member: Member, charter: Charter, endorsement: Endorsement
) -> Endorsement:
    """The organisation's members (or the secretariat) withdraw a verified endorsement."""
    require(member, Action.endorse, CharterTarget(Phase(charter.phase)))
    ours = member.organisation_id is not None and (
        member.organisation_id == endorsement.organisation_id
    )
    secretariat = member.role is not None and member.role.value == "secretariat"
    if not (ours or secretariat):
        raise Forbidden("only the organisation's members may withdraw its endorsement")
    if endorsement.status != EndorsementStatus.verified.value:
        raise _already(endorsement)
    return await _decide(session, member, endorsement, EndorsementStatus.withdrawn, "")


async def _decide(
    session: AsyncSession,
    member: Member,
    endorsement: Endorsement,
    status: EndorsementStatus,
    reason: str,
) -> Endorsement:
    endorsement.status = status.value
    endorsement.decided_by = member.user_id
    endorsement.decided_at = utcnow()
    endorsement.reason = reason.strip()
    audit.record(
        session,
        f"endorsement.{status.value}",
        actor_id=member.user_id,
        charter_id=endorsement.charter_id,
        target=f"endorsement:{endorsement.id}",
        reason=endorsement.reason,
    )
    await session.commit()
    return endorsement


async def reconfirm(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    endorsement: Endorsement,
    number: str,
) -> tuple[Endorsement, bool]:
    """Endorse a newer version in one step, as the earlier endorsement did (linked to it)."""
    require(member, Action.endorse, CharterTarget(Phase(charter.phase)))
    assert charter.id is not None
    if member.organisation_id is None or member.organisation_id != endorsement.organisation_id:
        raise Forbidden("only the organisation's members may re-confirm its endorsement")
    if endorsement.status != EndorsementStatus.verified.value:
        raise _already(endorsement)
    earlier = await session.get(Version, endorsement.version_id)
    version = await _version(session, charter.id, number)
    assert earlier is not None
    assert version.id is not None
    if (version.major, version.minor) <= (earlier.major, earlier.minor):
        raise Invalid(text("re-confirm for a version newer than {number}", number=earlier.number))
    existing = await counted(session, member.organisation_id, version.id)
    if existing is not None:
        return existing, False
    renewed = Endorsement(
        charter_id=charter.id,
        version_id=version.id,
        organisation_id=member.organisation_id,
        signatory_name=endorsement.signatory_name,
        signatory_title=endorsement.signatory_title,
        statement=endorsement.statement,
        public=endorsement.public,
        status=EndorsementStatus.verified.value,
        submitted_by=member.user_id,
        previous_id=endorsement.id,
        decided_by=member.user_id,
        decided_at=utcnow(),
    )
    return await _store(session, renewed, (), member.user_id), True
