"""A room's presence (y-protocols awareness): who is here, under which client ids.

States are decoded strictly (``protocol``), applied with the y-protocols clock rule and
re-encoded by the room, never relayed raw. A client id belongs to the first connection that
announces it (at most ``MAX_AWARENESS_IDS_PER_CONNECTION`` per connection); states of other
processes' clients are kept with the time they were last renewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from charter_drafts.document.formats import MAX_CLIENT_ID
from server.live.connection import Connection
from server.live.protocol import AwarenessEntry

MAX_AWARENESS_IDS_PER_CONNECTION = 16


@dataclass(slots=True)
class _State:
    clock: int
    state: dict[str, Any] | None
    owner: Connection | None  # None: a client of another process
    renewed: float = 0.0  # when another process last told us of it (monotonic clock)


class Presence:
    __slots__ = ("_states",)

    def __init__(self) -> None:
        self._states: dict[int, _State] = {}

    def entries(self) -> list[AwarenessEntry]:
        """Every present state (those that left are not kept)."""
        return [
            AwarenessEntry(client_id, p.clock, p.state)
            for client_id, p in self._states.items()
            if p.state is not None
        ]

    def receive(
        self, connection: Connection, entries: list[AwarenessEntry]
    ) -> tuple[list[AwarenessEntry], list[AwarenessEntry]]:
        """A connection's states: (those that change something, those refused).

        Refused: a client id JavaScript clients cannot represent (above 2^53 - 1). Ignored: an
        id another connection announced first, or one more than a connection may have.
        """
        changed: list[AwarenessEntry] = []
        refused: list[AwarenessEntry] = []
        for entry in entries:
            if entry.client_id > MAX_CLIENT_ID:
                refused.append(entry)
                continue
            current = self._states.get(entry.client_id)
            if current is not None and current.owner not in (connection, None):
                continue  # a client id belongs to the connection that announced it first
            if current is None and entry.client_id not in connection.awareness_ids:
                if len(connection.awareness_ids) >= MAX_AWARENESS_IDS_PER_CONNECTION:
                    continue
                connection.awareness_ids += (entry.client_id,)
            clock = current.clock if current else 0
            if clock < entry.clock or (
                clock == entry.clock and entry.state is None and current and current.state
            ):
                entry = _named(entry, connection.display_name)
                self._states[entry.client_id] = _State(entry.clock, entry.state, connection)
                changed.append(entry)
        return changed, refused

    def leave(self, connection: Connection) -> list[AwarenessEntry]:
        """A connection closed: its states go; returns their removals, for everyone."""
        gone = []
        for client_id in connection.awareness_ids:
            state = self._states.get(client_id)
            if state and state.owner is connection:
                del self._states[client_id]
                gone.append(AwarenessEntry(client_id, state.clock, None))
        return gone

    def receive_remote(self, entries: list[AwarenessEntry], now: float) -> None:
        for entry in entries:
            self._states[entry.client_id] = _State(entry.clock, entry.state, None, now)

    def expire_remote(self, older_than: float) -> list[AwarenessEntry]:
        """Forget other processes' clients not renewed since ``older_than`` (monotonic clock);
        returns their removals."""
        gone = []
        for client_id, state in list(self._states.items()):
            if state.owner is None and state.renewed < older_than:
                del self._states[client_id]
                if state.state is not None:
                    gone.append(AwarenessEntry(client_id, state.clock + 1, None))
        return gone


def _named(entry: AwarenessEntry, display_name: str) -> AwarenessEntry:
    """Others see the member's own display name, whatever name the client claims."""
    if entry.state is None or not display_name:
        return entry
    user = entry.state.get("user")
    user = dict(user) if isinstance(user, dict) else {}
    user["name"] = display_name
    return AwarenessEntry(entry.client_id, entry.clock, {**entry.state, "user": user})
