"""Changing a charter's clause structure, its phase and frozen clauses.

The live document is changed through a ``LiveDocument`` the server provides (a loaded room): the
change is durable when ``change`` returns. SQL rows are written first and the document second,
so a crash between the two leaves at worst a clause row that no document lists (invisible).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Protocol

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.document.schema import add_clause, move_clause, remove_clause
from charter_drafts.errors import Invalid, NotFound
from charter_drafts.models import Charter, Clause, ClauseKind, Phase, utcnow
from charter_drafts.people import audit
from charter_drafts.permissions import (
    Action,
    CharterTarget,
    ClauseTarget,
    Member,
    require,
)
from charter_drafts.texts import text

MAX_TITLE = 300
MAX_BODY = 100_000


class LiveDocument(Protocol):
    async def change(self, edit: Callable[[Doc[Any]], None]) -> None:
        """Apply a server-side change; return once it is stored and broadcast."""
        ...


def parse_kind(kind: str) -> ClauseKind:
    try:
        return ClauseKind(kind)
    except ValueError:
        choices = ", ".join(ClauseKind)
        raise Invalid(text("kind must be one of: {choices}", choices=choices)) from None


def parse_phase(phase: str) -> Phase:
    try:
        return Phase(phase)
    except ValueError:
        raise Invalid(text("phase must be one of: {choices}", choices=", ".join(Phase))) from None


async def get_clause(session: AsyncSession, charter_id: int, key: str) -> Clause:
    query = select(Clause).where(col(Clause.charter_id) == charter_id, col(Clause.key) == key)
    clause = (await session.execute(query)).scalar()
    if clause is None:
        raise NotFound(text("no clause '{key}' in this charter", key=key))
    return clause


async def frozen_keys(session: AsyncSession, charter_id: int) -> frozenset[str]:
    return await session.run_sync(frozen_keys_blocking, charter_id)


def frozen_keys_blocking(session: Session, charter_id: int) -> frozenset[str]:
    query = select(col(Clause.key)).where(col(Clause.charter_id) == charter_id, col(Clause.frozen))
    return frozenset(session.execute(query).scalars())


async def create_clause(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveDocument,
    *,
    title: str,
    body: str,
    kind: ClauseKind,
    position: int | None,
) -> Clause:
    """A new clause with a server-assigned id; committed, and live when this returns."""
    require(member, Action.change_structure, CharterTarget(Phase(charter.phase)))
    _check_text(title, body)
    assert charter.id is not None
    clause = Clause(
        charter_id=charter.id,
        key=f"c-{secrets.token_hex(4)}",
        kind=kind.value,
        title=title,
        body=body,
    )
    session.add(clause)
    audit.record(
        session,
        "clause.add",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"clause:{clause.key}",
        kind=kind.value,
        position=position,
    )
    await session.commit()
    await live.change(lambda doc: add_clause(doc, clause.key, title, body, position))
    return clause


async def delete_clause(
    session: AsyncSession, member: Member, charter: Charter, live: LiveDocument, key: str
) -> None:
    require(member, Action.change_structure, CharterTarget(Phase(charter.phase)))
    assert charter.id is not None
    clause = await get_clause(session, charter.id, key)
    await live.change(lambda doc: remove_clause(doc, key))
    await session.delete(clause)
    audit.record(
        session,
        "clause.remove",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"clause:{key}",
        title=clause.title,
    )
    await session.commit()


async def update_clause(
    session: AsyncSession,
    member: Member,
    charter: Charter,
    live: LiveDocument | None,
    key: str,
    *,
    position: int | None = None,
    kind: ClauseKind | None = None,
    frozen: bool | None = None,
) -> Clause:
    """Move a clause, change its kind, or freeze/unfreeze it (``live``: needed for a move)."""
    assert charter.id is not None
    phase = Phase(charter.phase)
    clause = await get_clause(session, charter.id, key)
    if position is not None or kind is not None:
        require(member, Action.change_structure, CharterTarget(phase))
    if frozen is not None:
        require(member, Action.freeze_clause, ClauseTarget(phase, clause.frozen))
    changes: dict[str, object] = {}
    if kind is not None and kind.value != clause.kind:
        changes["kind"] = [clause.kind, kind.value]
        clause.kind = kind.value
    if frozen is not None and frozen != clause.frozen:
        changes["frozen"] = [clause.frozen, frozen]
        clause.frozen = frozen
    if position is not None:
        changes["position"] = position
    clause.updated_at = utcnow()
    session.add(clause)
    audit.record(
        session,
        "clause.change",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"clause:{key}",
        **changes,
    )
    await session.commit()
    if position is not None:
        assert live is not None, "a move needs the live document"
        await live.change(lambda doc: move_clause(doc, key, position))
    return clause


async def change_phase(
    session: AsyncSession, member: Member, charter: Charter, phase: Phase
) -> Charter:
    require(member, Action.change_phase, CharterTarget(Phase(charter.phase)))
    before = charter.phase
    charter.phase = phase.value
    session.add(charter)
    audit.record(
        session,
        "charter.phase",
        actor_id=member.user_id,
        charter_id=charter.id,
        target=f"charter:{charter.slug}",
        before=before,
        after=phase.value,
    )
    await session.commit()
    return charter


def _check_text(title: str, body: str) -> None:
    if len(title) > MAX_TITLE:
        raise Invalid(text("a clause title has at most {count} characters", count=MAX_TITLE))
    if len(body) > MAX_BODY:
        raise Invalid(text("a clause body has at most {count} characters", count=MAX_BODY))
