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
from typing import cast

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.document.update_log import StoredState, stored_state
from charter_drafts.errors import NotFound
from charter_drafts.models import Charter, Clause, DocumentSnapshot, DocumentUpdate, Phase
from charter_drafts.texts import text

KEY_SEPARATOR = "\n"  # never in a clause key (``c-`` and hex digits, or a demo slug)


@dataclass(frozen=True, slots=True)
class RoomState:
    charter_id: int
    phase: Phase
    frozen: frozenset[str]  # keys of the frozen clauses
    stored: StoredState


# Built once (a room's load is on the path of the first client joining it, and building and
# compiling these cost more than running them), for the charter a ``slug`` parameter names.
_CHARTER_ID = select(col(Charter.id)).where(col(Charter.slug) == bindparam("slug"))
_LOGGED = (
    select(col(DocumentUpdate.id), col(DocumentUpdate.data))
    .where(col(DocumentUpdate.charter_id) == _CHARTER_ID.scalar_subquery())
    .order_by(col(DocumentUpdate.id))
)
_FROZEN = (
    select(func.aggregate_strings(col(Clause.key), KEY_SEPARATOR))
    .where(col(Clause.charter_id) == col(Charter.id), col(Clause.frozen))
    .scalar_subquery()
)
_CHARTER = (
    select(
        col(Charter.id),
        col(Charter.phase),
        col(DocumentSnapshot.data),
        col(DocumentSnapshot.state_vector),
        col(DocumentSnapshot.version),
        _FROZEN,
    )
    .outerjoin(DocumentSnapshot, col(DocumentSnapshot.charter_id) == col(Charter.id))
    .where(col(Charter.slug) == bindparam("slug"))
)
# The stored state's size in bytes, read from the rows' headers, not their data.
_SIZE = select(
    select(func.coalesce(func.sum(func.length(col(DocumentUpdate.data))), 0))
    .where(col(DocumentUpdate.charter_id) == _CHARTER_ID.scalar_subquery())
    .scalar_subquery()
    + select(func.coalesce(func.sum(func.length(col(DocumentSnapshot.data))), 0))
    .where(col(DocumentSnapshot.charter_id) == _CHARTER_ID.scalar_subquery())
    .scalar_subquery()
)


def load_room_state_blocking(session: Session, slug: str) -> RoomState:
    """The charter ``slug`` as its live room starts from it. Raises ``NotFound``."""
    connection = session.connection()
    named = {"slug": slug}
    # The log first: see the module's docstring. A stored row always has its id.
    rows = connection.execute(_LOGGED, named)
    logged = [(cast(int, entry_id), bytes(data)) for entry_id, data in rows]
    row = connection.execute(_CHARTER, named).first()
    if row is None:
        raise NotFound(text("no charter '{slug}'", slug=slug))
    charter_id, phase, snapshot, state_vector, version, frozen_keys = row
    return RoomState(
        charter_id,
        Phase(phase),
        frozenset(frozen_keys.split(KEY_SEPARATOR)) if frozen_keys else frozenset(),
        stored_state(snapshot, state_vector, version, logged),
    )


def load_small_room_state_blocking(
    session: Session, slug: str, most_bytes: int
) -> RoomState | None:
    """``load_room_state_blocking``, if the charter's stored state (snapshot and log) is at most
    ``most_bytes``; else None. The size is read first, without reading the data: for reads on
    the event loop's thread, which a large document would hold up."""
    size = session.connection().execute(_SIZE, {"slug": slug}).scalar()
    if size is None or size > most_bytes:
        return None
    return load_room_state_blocking(session, slug)
