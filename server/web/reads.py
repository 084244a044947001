"""Reading a charter's current text: from its live room when loaded, else from the store."""

from __future__ import annotations

from dataclasses import dataclass

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
        room = services.rooms.peek(slug)
        doc = room.doc if room is not None else await stored_document(session, charter.id)
    return CharterText(charter, clause_views(doc, rows))
