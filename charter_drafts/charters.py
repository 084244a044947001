"""Charters and their clauses: look-ups and the read model of a charter's current text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from charter_drafts.document import add_clause, load_document, read_clauses
from charter_drafts.errors import NotFound
from charter_drafts.models import Charter, Clause, ClauseKind
from charter_drafts.update_log import append_updates, load_state


@dataclass(frozen=True, slots=True)
class ClauseView:
    key: str
    number: int | None  # None for a preamble: numbering counts the other clauses in order
    kind: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class NewClause:
    key: str
    kind: str
    title: str
    body: str


async def get_charter(session: AsyncSession, slug: str) -> Charter:
    charter = (await session.execute(select(Charter).where(Charter.slug == slug))).scalar()
    if charter is None:
        raise NotFound(f"no charter '{slug}'")
    return charter


async def list_charters(session: AsyncSession) -> Sequence[Charter]:
    return (await session.execute(select(Charter).order_by(Charter.title))).scalars().all()


async def clause_kinds(session: AsyncSession, charter_id: int) -> dict[str, str]:
    rows = await session.execute(
        select(Clause.key, Clause.kind).where(Clause.charter_id == charter_id)
    )
    return {key: kind for key, kind in rows.tuples()}


async def stored_document(session: AsyncSession, charter_id: int) -> Doc:
    """The charter's document as the store holds it (for reads when no room is open)."""
    return load_document((await load_state(session, charter_id)).updates)


def clause_views(doc: Doc, kinds: dict[str, str]) -> list[ClauseView]:
    """The document's clauses in order, numbered; the preamble is not numbered."""
    views: list[ClauseView] = []
    number = 0
    for text in read_clauses(doc):
        kind = kinds.get(text.key, ClauseKind.article.value)
        if kind != ClauseKind.preamble.value:
            number += 1
        views.append(
            ClauseView(
                key=text.key,
                number=None if kind == ClauseKind.preamble.value else number,
                kind=kind,
                title=text.title,
                body=text.body,
            )
        )
    return views


async def create_charter(
    session: AsyncSession, slug: str, title: str, summary: str, clauses: Sequence[NewClause]
) -> Charter:
    """Create a charter, its clause rows and its initial live document; the caller commits."""
    charter = Charter(slug=slug, title=title, summary=summary)
    session.add(charter)
    await session.flush()
    assert charter.id is not None
    doc: Doc = load_document([])
    for position, clause in enumerate(clauses):
        session.add(
            Clause(
                charter_id=charter.id,
                key=clause.key,
                position=position,
                kind=clause.kind,
                title=clause.title,
                body=clause.body,
            )
        )
        add_clause(doc, clause.key, clause.title, clause.body)
    await append_updates(session, [(charter.id, doc.get_update())])
    return charter
