"""Organisations on whose behalf members act."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.errors import Invalid, NotFound
from charter_drafts.models import Organisation, OrganisationKind
from charter_drafts.texts import text

COUNTRY = re.compile(r"^[A-Z]{2}$")


async def find_or_create_organisation(
    session: AsyncSession, name: str, kind: str, country: str, city: str = ""
) -> Organisation:
    """The organisation of that name in that country, created if new; the caller commits."""
    name = " ".join(name.split())
    country = country.strip().upper()
    city = " ".join(city.split())
    if not 1 <= len(name) <= 200:
        raise Invalid("an organisation needs a name of 1 to 200 characters")
    if kind not in OrganisationKind.__members__:
        raise Invalid(
            text("organisation kind must be one of: {choices}", choices=", ".join(OrganisationKind))
        )
    if not COUNTRY.match(country):
        raise Invalid("country must be an ISO 3166-1 alpha-2 code, such as IT or SN")
    if kind == OrganisationKind.local_government and not city:
        raise Invalid("a local government needs its city")
    query = select(Organisation).where(
        col(Organisation.name) == name, col(Organisation.country) == country
    )
    existing = (await session.execute(query)).scalar()
    if existing is not None:
        return existing
    organisation = Organisation(name=name, kind=kind, country=country, city=city[:120])
    session.add(organisation)
    await session.flush()
    return organisation


async def get_organisation(session: AsyncSession, organisation_id: int) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(text("no organisation {id}", id=organisation_id))
    return organisation


async def list_organisations(session: AsyncSession) -> Sequence[Organisation]:
    query = select(Organisation).order_by(col(Organisation.name))
    return (await session.execute(query)).scalars().all()
