"""Seeding the demo charter and its members: idempotent, never touching what users changed.

Demo mode only: the members all share the password ``demo-password``.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.charters import NewClause, create_charter
from charter_drafts.demo.comments import seed_comments
from charter_drafts.demo.content import DEMO_CLAUSES, DEMO_SLUG, DEMO_SUMMARY, DEMO_TITLE
from charter_drafts.demo.history import seed_endorsements, seed_history
from charter_drafts.errors import Conflict
from charter_drafts.models import Charter, OrganisationKind, Role
from charter_drafts.people.accounts import create_user, find_user
from charter_drafts.people.memberships import add_member
from charter_drafts.people.organisations import find_or_create_organisation

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"  # noqa: S105 (demo mode only, printed at start)


class DemoOrganisation(NamedTuple):
    name: str
    kind: OrganisationKind
    country: str
    city: str


class DemoMember(NamedTuple):
    email: str
    display_name: str
    role: Role
    organisation: DemoOrganisation | None


DEMO_MEMBERS = (
    DemoMember(
        "secretariat@example.org",
        "Sam Secretariat",
        Role.secretariat,
        DemoOrganisation(
            "Demo drafting secretariat", OrganisationKind.international_organisation, "ES", ""
        ),
    ),
    DemoMember(
        "editor@example.org",
        "Elena Editor",
        Role.editor,
        DemoOrganisation(
            "Demo municipality of Lampedusa", OrganisationKind.local_government, "IT", "Lampedusa"
        ),
    ),
    DemoMember(
        "editor2@example.org",
        "Edouard Editor",
        Role.editor,
        DemoOrganisation(
            "Demo city of Marseille", OrganisationKind.local_government, "FR", "Marseille"
        ),
    ),
    DemoMember(
        "commenter@example.org",
        "Chiara Commenter",
        Role.commenter,
        DemoOrganisation("Demo welcome network", OrganisationKind.civil_society, "IT", ""),
    ),
    DemoMember("observer@example.org", "Omar Observer", Role.observer, None),
)


async def seed_demo(session: AsyncSession) -> bool:
    """Add the demo charter and members that are missing; return whether anything was added.

    An existing demo charter is left as it is: its text, clauses and order belong to its users
    from the moment it exists (a clause they removed is not brought back).
    """
    added = created = False
    charter = (
        await session.execute(select(Charter).where(col(Charter.slug) == DEMO_SLUG))
    ).scalar()
    if charter is None:
        charter = await create_charter(
            session,
            DEMO_SLUG,
            DEMO_TITLE,
            DEMO_SUMMARY,
            [NewClause(c.key, c.kind, c.title, c.body) for c in DEMO_CLAUSES],
        )
        log.info("demo charter '%s' created with %d clauses", DEMO_SLUG, len(DEMO_CLAUSES))
        added = created = True
    assert charter.id is not None
    for demo in DEMO_MEMBERS:
        user = await find_user(session, demo.email)
        if user is None:
            user = await create_user(session, demo.email, demo.display_name, DEMO_PASSWORD)
        organisation_id = None
        if demo.organisation is not None:
            organisation = await find_or_create_organisation(session, *demo.organisation)
            organisation_id = organisation.id
        try:
            await add_member(session, charter.id, user, demo.role, organisation_id, actor_id=None)
            added = True
        except Conflict:
            pass  # a member already, perhaps with another role given since: left as it is
    await session.commit()
    if created:
        await seed_history(session, charter)
        await seed_endorsements(session, charter)
        await seed_comments(session, charter)
    if not added:
        log.info("demo charter '%s' and its members already present", DEMO_SLUG)
    return added
