"""Reading a charter's current text: from its live room when loaded, else from the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc
from sqlalchemy.ext.asyncio import AsyncSession

from charter_drafts.charters import (
    ClauseView,
    clause_rows,
    clause_views,
    get_charter,
    stored_document,
)
from charter_drafts.models import Charter
from server.services import Services


@dataclass(frozen=True, slots=True)
class CharterText:
    charter: Charter
    clauses: list[ClauseView]


async def read_charter(services: Services, slug: str) -> CharterText:
    """Raises ``NotFound``. The live document holds only stored updates, so both agree."""
    async with services.sessions() as session:
        charter = await get_charter(session, slug)
        assert charter.id is not None
        rows = await clause_rows(session, charter.id)
        doc = await current_document(services, session, charter)
    return CharterText(charter, clause_views(doc, rows))


async def current_document(services: Services, session: AsyncSession, charter: Charter) -> Doc[Any]:
    """The charter's document as stored: its room's, if loaded, else read from the store."""
    assert charter.id is not None
    room = services.rooms.peek(charter.slug)
    return room.doc if room is not None else await stored_document(session, charter.id)
