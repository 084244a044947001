"""Opening rooms on first use and unloading them when empty and fully stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from charter_drafts.charters import get_charter
from charter_drafts.database import SessionFactory
from charter_drafts.models import Phase
from charter_drafts.permissions import Member
from charter_drafts.structure import frozen_keys
from charter_drafts.update_log import load_state
from server.room import Room
from server.settings import Settings
from server.writer import UpdateWriter

log = logging.getLogger(__name__)


class Rooms:
    def __init__(self, sessions: SessionFactory, writer: UpdateWriter, settings: Settings) -> None:
        self._sessions = sessions
        self._writer = writer
        self._settings = settings
        self._rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Future[Room]] = {}
        self._unloads: dict[str, asyncio.Task[None]] = {}

    def peek(self, slug: str) -> Room | None:
        """The room if it is loaded; never loads one."""
        return self._rooms.get(slug)

    def __len__(self) -> int:
        return len(self._rooms)

    def _by_charter(self, charter_id: int) -> Room | None:
        return next((r for r in self._rooms.values() if r.charter_id == charter_id), None)

    def member_changed(self, charter_id: int, user_id: int, member: Member | None) -> None:
        room = self._by_charter(charter_id)
        if room is not None:
            room.update_member(user_id, member)

    def charter_changed(self, charter_id: int, phase: Phase, frozen: frozenset[str]) -> None:
        room = self._by_charter(charter_id)
        if room is not None:
            room.phase, room.frozen = phase, frozen

    @contextlib.asynccontextmanager
    async def live(self, slug: str) -> AsyncIterator[Room]:
        """The room for a server-side change, loaded for it if need be."""
        room = await self.open(slug)
        try:
            yield room
        finally:
            self.release(room)

    async def open(self, slug: str) -> Room:
        """The loaded room, loading it fully from the store first if needed.

        Clients joining an unloaded room at once share one load. Raises ``NotFound``.
        """
        room = self._rooms.get(slug)
        if room is not None:
            self._cancel_unload(slug)
            return room
        loading = self._loading.get(slug)
        if loading is None:
            loading = asyncio.get_running_loop().create_future()
            self._loading[slug] = loading
            try:
                room = await self._load(slug)
            except BaseException as error:
                loading.set_exception(error)
                loading.exception()  # retrieved here; joiners re-raise it themselves
                raise
            finally:
                del self._loading[slug]
            self._rooms[slug] = room
            loading.set_result(room)
            return room
        return await asyncio.shield(loading)

    async def _load(self, slug: str) -> Room:
        started = time.perf_counter()
        async with self._sessions() as session:
            charter = await get_charter(session, slug)
            assert charter.id is not None
            stored = await load_state(session, charter.id)
            frozen = await frozen_keys(session, charter.id)
        room = Room(
            charter.id,
            slug,
            stored,
            self._writer,
            self._settings,
            phase=Phase(charter.phase),
            frozen=frozen,
        )
        log.info(
            "room %s loaded from %d stored updates in %.1f ms",
            slug,
            len(stored.updates),
            (time.perf_counter() - started) * 1e3,
        )
        return room

    def release(self, room: Room) -> None:
        """A connection left; unload the room later if it stays empty."""
        if not room.connections and room.slug not in self._unloads:
            self._unloads[room.slug] = asyncio.create_task(self._unload_when_idle(room))

    def _cancel_unload(self, slug: str) -> None:
        task = self._unloads.pop(slug, None)
        if task is not None:
            task.cancel()

    async def _unload_when_idle(self, room: Room) -> None:
        try:
            await asyncio.sleep(self._settings.room_idle_seconds)
            await self._writer.flush()
            if room.connections or room.pending:
                return
            with contextlib.suppress(Exception):  # logged by the writer; the log stays whole
                await self._writer.compact(room.charter_id)
            if room.connections or room.pending or self._rooms.get(room.slug) is not room:
                return
            del self._rooms[room.slug]
            log.info("room %s unloaded", room.slug)
        finally:
            if self._unloads.get(room.slug) is asyncio.current_task():
                del self._unloads[room.slug]

    async def close(self) -> None:
        """Store everything and compact every room (on shutdown)."""
        for task in list(self._unloads.values()):
            task.cancel()
        await self._writer.flush()
        for room in list(self._rooms.values()):
            with contextlib.suppress(Exception):
                await self._writer.compact(room.charter_id)
        self._rooms.clear()
