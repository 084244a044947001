"""Seeding the demo charter: idempotent, and never touching what users changed since."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from charter_drafts.charters import NewClause, create_charter
from charter_drafts.demo_content import DEMO_CLAUSES, DEMO_SLUG, DEMO_SUMMARY, DEMO_TITLE
from charter_drafts.models import Charter

log = logging.getLogger(__name__)


async def seed_demo(session: AsyncSession) -> bool:
    """Create the demo charter if it is missing; return whether anything was added.

    An existing demo charter is left as it is: its text, clauses and order belong to its users
    from the moment it exists (a clause they removed is not brought back).
    """
    existing = await session.execute(select(Charter.id).where(Charter.slug == DEMO_SLUG))
    if existing.scalar() is not None:
        log.info("demo charter '%s' already present; left as it is", DEMO_SLUG)
        return False
    await create_charter(
        session,
        DEMO_SLUG,
        DEMO_TITLE,
        DEMO_SUMMARY,
        [NewClause(c.key, c.kind, c.title, c.body) for c in DEMO_CLAUSES],
    )
    await session.commit()
    log.info("demo charter '%s' created with %d clauses", DEMO_SLUG, len(DEMO_CLAUSES))
    return True
