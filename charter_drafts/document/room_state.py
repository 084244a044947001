"""What a live room needs from the store, read in two statements: a charter's phase, its frozen
clauses and its stored Yjs state.

A room load is on the path of the first client joining a charter. On PostgreSQL every statement
is a round trip and a few hundred microseconds of SQLAlchemy and asyncpg; the four queries this
replaced (charter, snapshot, log, frozen clauses) took 3.1 ms for the demo charter, these two 2.0.

The log is read before the snapshot. Each statement sees the store as committed when it starts,
and a compaction (in this process or another) may commit between the two: it moves log entries
into the snapshot and deletes them. Read in this order, such entries are read twice (in the log,
then in the new snapshot), which is harmless; read the other way round they would be read
neither time, and the room would start without them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.document.update_log import StoredState, logged_blocking, stored_state
from charter_drafts.errors import NotFound
from charter_drafts.models import Charter, Clause, DocumentSnapshot, Phase
from charter_drafts.texts import text

KEY_SEPARATOR = "\n"  # never in a clause key (``c-`` and hex digits, or a demo slug)


@dataclass(frozen=True, slots=True)
class RoomState:
    charter_id: int
    phase: Phase
    frozen: frozenset[str]  # keys of the frozen clauses
    stored: StoredState


def load_room_state_blocking(session: Session, slug: str) -> RoomState:
    """The charter ``slug`` as its live room starts from it. Raises ``NotFound``."""
    charter_id_of_slug = select(col(Charter.id)).where(col(Charter.slug) == slug).scalar_subquery()
    logged = logged_blocking(session, charter_id_of_slug)  # first: see the module's docstring
    frozen = (
        select(func.aggregate_strings(col(Clause.key), KEY_SEPARATOR))
        .where(col(Clause.charter_id) == col(Charter.id), col(Clause.frozen))
        .scalar_subquery()
    )
    row = session.execute(
        select(
            col(Charter.id),
            col(Charter.phase),
            col(DocumentSnapshot.data),
            col(DocumentSnapshot.state_vector),
            col(DocumentSnapshot.version),
            frozen,
        )
        .outerjoin(DocumentSnapshot, col(DocumentSnapshot.charter_id) == col(Charter.id))
        .where(col(Charter.slug) == slug)
    ).first()
    if row is None:
        raise NotFound(text("no charter '{slug}'", slug=slug))
    charter_id, phase, snapshot, state_vector, version, frozen_keys = row
    return RoomState(
        charter_id,
        Phase(phase),
        frozenset(frozen_keys.split(KEY_SEPARATOR)) if frozen_keys else frozenset(),
        stored_state(snapshot, state_vector, version, logged),
    )
