"""A charter's Yjs state in SQL: an append-only update log plus one compacted snapshot.

The state is the snapshot followed by every update still in the log. Compaction folds the entries
it read into the snapshot and deletes exactly those, in one transaction, computed from the store
itself (not from memory), so it is correct whichever process wrote the updates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pycrdt import Doc
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from charter_drafts.document import load_document, read_clauses
from charter_drafts.models import Clause, DocumentSnapshot, DocumentUpdate, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredState:
    updates: list[bytes]  # the snapshot first (if any), then logged updates, oldest first
    logged: int  # how many of them are log entries not yet compacted
    # The state vector of the whole state, when the store has it (a snapshot and nothing logged).
    state_vector: bytes | None = None


async def load_state(session: AsyncSession, charter_id: int) -> StoredState:
    return await session.run_sync(load_state_blocking, charter_id)


def load_state_blocking(session: Session, charter_id: int) -> StoredState:
    snapshot = session.get(DocumentSnapshot, charter_id)
    rows = session.execute(
        select(DocumentUpdate.data)
        .where(DocumentUpdate.charter_id == charter_id)
        .order_by(DocumentUpdate.id)
    )
    logged = [bytes(data) for data in rows.scalars()]
    state_vector = None
    if snapshot is not None and snapshot.state_vector is not None and not logged:
        state_vector = bytes(snapshot.state_vector)
    updates = ([bytes(snapshot.data)] if snapshot else []) + logged
    return StoredState(updates, len(logged), state_vector)


async def append_updates(session: AsyncSession, entries: Sequence[tuple[int, bytes]]) -> None:
    """Add (charter id, update) entries to the log; the caller commits."""
    await session.run_sync(append_updates_blocking, entries)


def append_updates_blocking(session: Session, entries: Sequence[tuple[int, bytes]]) -> None:
    if entries:
        # A Core insert: the ORM's bulk path costs more than the commit itself here.
        now = utcnow()
        rows = [{"charter_id": cid, "data": data, "created_at": now} for cid, data in entries]
        session.execute(DocumentUpdate.__table__.insert(), rows)  # type: ignore[attr-defined]


def store_updates_blocking(session: Session, entries: Sequence[tuple[int, bytes]]) -> None:
    """Append and commit: the update writer's whole trip to the store."""
    append_updates_blocking(session, entries)
    session.commit()


async def compact(session: AsyncSession, charter_id: int) -> int:
    """Fold the log into the snapshot and refresh the clause mirror; return entries folded.

    The caller commits; everything happens in its one transaction.
    """
    if session.bind.dialect.name == "postgresql":
        # One compactor per charter at a time, whichever process asks.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": charter_id})
    snapshot = await session.get(DocumentSnapshot, charter_id, with_for_update=True)
    rows = (
        await session.execute(
            select(DocumentUpdate.id, DocumentUpdate.data)
            .where(DocumentUpdate.charter_id == charter_id)
            .order_by(DocumentUpdate.id)
        )
    ).all()
    if not rows:
        return 0
    last_id = rows[-1][0]
    doc = load_document(([bytes(snapshot.data)] if snapshot else []) + [bytes(r[1]) for r in rows])
    state, state_vector = doc.get_update(), doc.get_state()
    if snapshot is None:
        snapshot = DocumentSnapshot(charter_id=charter_id, data=state, last_update_id=last_id)
    snapshot.data, snapshot.state_vector = state, state_vector
    snapshot.last_update_id, snapshot.updated_at = last_id, utcnow()
    session.add(snapshot)
    # Exactly the entries read, by id: another process may have appended more since, with ids
    # inside the folded range (a range delete could drop them unfolded).
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 1000):
        await session.execute(
            delete(DocumentUpdate).where(DocumentUpdate.id.in_(ids[start : start + 1000]))
        )
    await _mirror_clause_texts(session, charter_id, doc)
    log.info("charter %s: compacted %d updates into the snapshot", charter_id, len(rows))
    return len(rows)


async def _mirror_clause_texts(session: AsyncSession, charter_id: int, doc: Doc) -> None:
    texts = {c.key: c for c in read_clauses(doc)}
    clauses = await session.execute(select(Clause).where(Clause.charter_id == charter_id))
    for clause in clauses.scalars():
        text = texts.get(clause.key)
        if text and (clause.title, clause.body) != (text.title, text.body):
            clause.title, clause.body, clause.updated_at = text.title, text.body, utcnow()
            session.add(clause)
