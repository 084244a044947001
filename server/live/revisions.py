"""Recording clause revisions where the live text is typed: in the process holding the room.

The room tells which clauses each accepted update touched and whose connection sent it; the
recorder keeps, per clause, the members who edited it since its last revision, and records the
clause once no one here has edited it for ``REVISION_SETTLE_SECONDS`` (from the durable
document, once every accepted update is stored). A server-side change (an amendment merged, a
restore, a publish, a structure change) first records what was typed before it (``settle``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pycrdt import Doc

from charter_drafts.database import SessionFactory
from charter_drafts.errors import NotFound
from charter_drafts.models import utcnow
from charter_drafts.permissions import Member
from charter_drafts.publishing.models import RevisionSource
from charter_drafts.publishing.revisions import Contributor, live_text, record

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.05  # a settle waits this long again while updates are on their way


class EditedRoom(Protocol):
    charter_id: int
    slug: str

    @property
    def doc(self) -> Doc[Any]: ...

    @property
    def pending(self) -> int: ...


@dataclass
class Edits:
    """The members who edited one clause since its last revision, and since when."""

    since: datetime = field(default_factory=utcnow)
    people: dict[int, Contributor] = field(default_factory=dict)
    last: float = 0.0  # the event loop's time of the latest edit
    timer: asyncio.TimerHandle | None = None


class RevisionRecorder:
    def __init__(self, sessions: SessionFactory, settle_seconds: float) -> None:
        self._sessions = sessions
        self._settle = settle_seconds
        self._edits: dict[tuple[int, str], Edits] = {}
        self._rooms: dict[int, EditedRoom] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def edited(self, room: EditedRoom, keys: Iterable[str], member: Member) -> None:
        """An update of ``member`` touching ``keys`` was accepted in ``room``."""
        # On every accepted update (every keystroke): note the time; a clause's one timer, when
        # it fires, waits again for what is left of the quiet period if an edit came meanwhile.
        self._rooms[room.charter_id] = room
        loop = asyncio.get_running_loop()
        now = loop.time()
        for key in keys:
            edits = self._edits.get((room.charter_id, key))
            if edits is None:
                edits = self._edits[(room.charter_id, key)] = Edits()
            if member.user_id not in edits.people:
                edits.people[member.user_id] = Contributor(member.user_id, member.organisation_id)
            edits.last = now
            if edits.timer is None:
                edits.timer = loop.call_later(self._settle, self._settled, room.charter_id, key)

    def _settled(self, charter_id: int, key: str) -> None:
        edits = self._edits.get((charter_id, key))
        room = self._rooms.get(charter_id)
        if edits is None or room is None:
            return
        loop = asyncio.get_running_loop()
        quiet = loop.time() - edits.last
        if quiet < self._settle:  # edited since the timer was set
            edits.timer = loop.call_later(self._settle - quiet, self._settled, charter_id, key)
            return
        if room.pending:  # the durable document does not hold every edit yet
            edits.timer = loop.call_later(RETRY_SECONDS, self._settled, charter_id, key)
            return
        edits.timer = None
        task = asyncio.create_task(self.settle(room, [key]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def take(self, charter_id: int, key: str) -> Edits | None:
        """The clause's edits not recorded yet (forgotten here: the caller records them)."""
        edits = self._edits.pop((charter_id, key), None)
        if edits is not None and edits.timer is not None:
            edits.timer.cancel()
        if not self.keys_of(charter_id):
            self._rooms.pop(charter_id, None)
        return edits

    def keys_of(self, charter_id: int) -> list[str]:
        return [key for (charter, key) in self._edits if charter == charter_id]

    async def settle(
        self,
        room: EditedRoom,
        keys: Iterable[str],
        source: RevisionSource = RevisionSource.live,
        ref: str = "",
    ) -> None:
        """Record the clauses' edits not recorded yet, as the durable document has them."""
        for key in keys:
            edits = self.take(room.charter_id, key)
            if edits is None:
                continue
            try:
                title, body = live_text(room.doc, key)
            except NotFound:  # the clause was deleted meanwhile
                continue
            try:
                async with self._sessions() as session:
                    await record(
                        session,
                        room.charter_id,
                        key,
                        title,
                        body,
                        source,
                        ref,
                        edits.people.values(),
                        edits.since,
                    )
            except Exception:
                log.exception("could not record a revision of %s in %s", key, room.slug)

    def people(self, charter_id: int) -> dict[str, list[Contributor]]:
        """Every clause's edits not recorded yet, taken (for a publish)."""
        taken = {key: self.take(charter_id, key) for key in self.keys_of(charter_id)}
        return {key: list(edits.people.values()) for key, edits in taken.items() if edits}

    async def settle_room(self, room: EditedRoom) -> None:
        """Record every clause of the room not recorded yet (before it unloads)."""
        await self.settle(room, self.keys_of(room.charter_id))

    async def close(self) -> None:
        """Record everything not recorded yet (on shutdown)."""
        for room in list(self._rooms.values()):
            await self.settle_room(room)
        for task in list(self._tasks):
            await task
