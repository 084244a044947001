"""Charters and their clauses: look-ups and the read model of a charter's current text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.document.schema import add_clause, load_document, read_clauses
from charter_drafts.document.update_log import append_updates, load_state
from charter_drafts.errors import Conflict, Invalid, NotFound
from charter_drafts.models import Charter, Clause, ClauseKind, Role
from charter_drafts.people import audit
from charter_drafts.people.accounts import find_user
from charter_drafts.people.memberships import add_member
from charter_drafts.texts import text

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class ClauseView:
    key: str
    number: int | None  # None for a preamble: numbering counts the other clauses in order
    kind: str
    title: str
    body: str
    frozen: bool = False


@dataclass(frozen=True, slots=True)
class NewClause:
    key: str
    kind: str
    title: str
    body: str


async def get_charter(session: AsyncSession, slug: str) -> Charter:
    return await session.run_sync(get_charter_blocking, slug)


_ID_OF_SLUG = select(col(Charter.id)).where(col(Charter.slug) == bindparam("slug"))


def charter_id_blocking(session: Session, slug: str) -> int:
    """The id of the charter ``slug``; raises ``NotFound``. On the path of live joins: one column,
    and a statement built once."""
    charter_id = session.connection().execute(_ID_OF_SLUG, {"slug": slug}).scalar()
    if charter_id is None:
        raise NotFound(text("no charter '{slug}'", slug=slug))
    return charter_id


def charter_ids_blocking(session: Session, most: int) -> dict[str, int]:
    """The ids of the ``most`` newest charters, by slug."""
    query = select(col(Charter.slug), col(Charter.id)).order_by(col(Charter.id).desc())
    rows = session.execute(query.limit(most))
    return {slug: charter_id for slug, charter_id in rows if charter_id is not None}


def get_charter_blocking(session: Session, slug: str) -> Charter:
    charter = session.execute(select(Charter).where(col(Charter.slug) == slug)).scalar()
    if charter is None:
        raise NotFound(text("no charter '{slug}'", slug=slug))
    return charter


async def list_charters(session: AsyncSession) -> Sequence[Charter]:
    return (await session.execute(select(Charter).order_by(col(Charter.title)))).scalars().all()


async def clause_rows(session: AsyncSession, charter_id: int) -> dict[str, Clause]:
    rows = await session.execute(select(Clause).where(col(Clause.charter_id) == charter_id))
    return {clause.key: clause for clause in rows.scalars()}


async def stored_document(session: AsyncSession, charter_id: int) -> Doc[Any]:
    """The charter's document as the store holds it (for reads when no room is open)."""
    return load_document((await load_state(session, charter_id)).updates)


def clause_views(doc: Doc[Any], rows: dict[str, Clause]) -> list[ClauseView]:
    """The document's clauses in order, numbered; the preamble is not numbered."""
    views: list[ClauseView] = []
    number = 0
    for clause in read_clauses(doc):
        row = rows.get(clause.key)
        kind = row.kind if row else ClauseKind.article.value
        if kind != ClauseKind.preamble.value:
            number += 1
        views.append(
            ClauseView(
                key=clause.key,
                number=None if kind == ClauseKind.preamble.value else number,
                kind=kind,
                title=clause.title,
                body=clause.body,
                frozen=bool(row and row.frozen),
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
    doc: Doc[Any] = load_document([])
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


async def start_charter(
    session: AsyncSession,
    slug: str,
    title: str,
    summary: str,
    secretariat_email: str,
    *,
    actor_id: int | None,
) -> Charter:
    """A new, empty charter with its first secretariat member; the caller commits."""
    if not SLUG.match(slug):
        raise Invalid("a slug has 3 to 64 lower-case letters, digits and hyphens")
    title = " ".join(title.split())
    if not 1 <= len(title) <= 300:
        raise Invalid("a title has 1 to 300 characters")
    if len(summary) > 2000:
        raise Invalid("a summary has at most 2000 characters")
    secretariat = await find_user(session, secretariat_email)
    if secretariat is None:
        raise NotFound(text("no account for {email}; create it first", email=secretariat_email))
    if (await session.execute(select(col(Charter.id)).where(col(Charter.slug) == slug))).scalar():
        raise Conflict(text("a charter '{slug}' exists already", slug=slug))
    charter = await create_charter(session, slug, title, summary, [])
    assert charter.id is not None
    await add_member(session, charter.id, secretariat, Role.secretariat, None, actor_id=actor_id)
    audit.record(session, "charter.create", actor_id=actor_id, charter_id=charter.id, target=slug)
    return charter
