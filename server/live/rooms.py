"""Opening rooms on first use and unloading them when empty and fully stored."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import partial
from typing import Any

from charter_drafts.charters import get_charter_blocking
from charter_drafts.database import SessionFactory
from charter_drafts.document.room_state import (
    RoomState,
    load_room_state_blocking,
    load_small_room_state_blocking,
)
from charter_drafts.document.schema import load_document
from charter_drafts.document.store import StoreRunner, here_runner
from charter_drafts.document.update_log import load_state
from charter_drafts.errors import NotFound
from charter_drafts.models import Phase, Role
from charter_drafts.people.accounts import inactive_among
from charter_drafts.permissions import Member
from charter_drafts.texts import text
from server.live.events import EventHub
from server.live.fanout import Fanout, Kind
from server.live.memory import release_freed_memory
from server.live.revisions import RevisionRecorder
from server.live.room import Room
from server.live.writer import UpdateWriter
from server.metrics import Metrics
from server.settings import Settings

log = logging.getLogger(__name__)

LOAD_HERE_BYTES = 1 << 20  # a stored document up to this size loads on the loop's thread


class Rooms:
    def __init__(
        self,
        sessions: SessionFactory,
        store: StoreRunner,
        writer: UpdateWriter,
        settings: Settings,
        fanout: Fanout,
        metrics: Metrics,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._here = here_runner(store)
        self._metrics = metrics
        self.events = EventHub()
        self.revisions = RevisionRecorder(sessions, settings.revision_settle_seconds)
        metrics.rooms.set_function(lambda: len(self._rooms))
        metrics.connections.set_function(
            lambda: sum(len(room.connections) for room in self._rooms.values())
        )
        self._fanout = fanout
        self._writer = writer
        self._settings = settings
        self._rooms: dict[str, Room] = {}
        self._charter_ids: dict[str, int] = {}  # of every charter loaded once (slugs never change)
        self._loading: dict[str, asyncio.Future[Room]] = {}
        self._unloads: dict[str, asyncio.Task[None]] = {}
        fanout.on_process_message(self._on_process_message)

    def peek(self, slug: str) -> Room | None:
        """The room if it is loaded; never loads one."""
        return self._rooms.get(slug)

    def known_charter_id(self, slug: str) -> int | None:
        """The charter's id if its room was ever loaded here (loaded or not now), or if it was
        among the charters when the server started."""
        return self._charter_ids.get(slug)

    def know(self, charter_ids: dict[str, int]) -> None:
        """Learn charters' ids (when the server starts): the first clients of a charter after a
        restart then have its room loaded while they are looked up, not after."""
        self._charter_ids.update(charter_ids)

    def __len__(self) -> int:
        return len(self._rooms)

    def _by_charter(self, charter_id: int) -> Room | None:
        return next((r for r in self._rooms.values() if r.charter_id == charter_id), None)

    def member_changed(self, charter_id: int, user_id: int, member: Member | None) -> None:
        """Apply a role change to open connections here, and tell the other processes."""
        self._member_changed(charter_id, user_id, member)
        payload = {"user_id": user_id, "member": asdict(member) if member else None}
        self._fanout.publish(charter_id, Kind.member, json.dumps(payload).encode())

    def _member_changed(self, charter_id: int, user_id: int, member: Member | None) -> None:
        role = member.role.value if member and member.role else None
        self.events.publish(charter_id, {"type": "membership", "user_id": user_id, "role": role})
        room = self._by_charter(charter_id)
        if room is not None:
            room.update_member(user_id, member)

    def token_revoked(self, token_id: int) -> None:
        """Close what the token opened: here, and in the other processes."""
        self._token_revoked(token_id)
        self._fanout.publish_to_processes(Kind.token_revoked, str(token_id).encode())

    def _token_revoked(self, token_id: int) -> None:
        for room in list(self._rooms.values()):
            room.close_token(token_id)

    def user_deactivated(self, user_id: int) -> None:
        """Close every live document and event stream of the user: here, and in the other
        processes."""
        self._user_deactivated(user_id)
        self._fanout.publish_to_processes(Kind.user_deactivated, str(user_id).encode())

    def _user_deactivated(self, user_id: int) -> None:
        for room in list(self._rooms.values()):
            room.close_user(user_id)
        self.events.end_user(user_id)

    async def close_deactivated(self) -> set[int]:
        """Close what deactivated accounts still have open here (one look-up for everyone with a
        live document or an event stream open): the sweep behind the immediate closing."""
        open_ids = self.events.user_ids()
        for room in self._rooms.values():
            open_ids.update(connection.member.user_id for connection in room.connections)
        if not open_ids:
            return set()
        ids, gone = sorted(open_ids), set()
        async with self._sessions() as session:
            for start in range(0, len(ids), 1000):  # under the databases' limits on values
                gone |= await inactive_among(session, ids[start : start + 1000])
        for user_id in gone:
            log.info("closing what deactivated account %s had open", user_id)
            self._user_deactivated(user_id)
        return gone

    def announce(self, charter_id: int, event: dict[str, Any]) -> None:
        """Raise a domain event (a comment, an amendment, a decision…) for the charter's open
        event streams: here, and in every other process (on the process channel, since a
        process may stream a charter's events without holding its room)."""
        self.events.publish(charter_id, event)
        payload = {"charter_id": charter_id, "event": event}
        self._fanout.publish_to_processes(Kind.event, json.dumps(payload).encode())

    def _on_process_message(self, kind: Kind, data: bytes) -> None:
        if kind is Kind.token_revoked:
            self._token_revoked(int(data))
        elif kind is Kind.user_deactivated:
            self._user_deactivated(int(data))
        elif kind is Kind.event:
            message = json.loads(data)
            self.events.publish(int(message["charter_id"]), message["event"])

    def charter_changed(self, charter_id: int, phase: Phase, frozen: frozenset[str]) -> None:
        """A phase or frozen clauses changed: here, and in the other processes."""
        self._charter_changed(charter_id, phase, frozen)
        payload = {"phase": phase.value, "frozen": sorted(frozen)}
        self._fanout.publish(charter_id, Kind.charter, json.dumps(payload).encode())

    def _charter_changed(self, charter_id: int, phase: Phase, frozen: frozenset[str]) -> None:
        event = {"type": "charter", "phase": phase.value, "frozen": sorted(frozen)}
        self.events.publish(charter_id, event)
        room = self._by_charter(charter_id)
        if room is not None:
            room.phase, room.frozen = phase, frozen

    def _on_remote(self, room: Room, kind: Kind, data: bytes) -> None:
        if kind is Kind.member:
            change = json.loads(data)
            fields = change["member"]
            member = None
            if fields is not None:
                role = fields["role"]
                member = Member(**{**fields, "role": Role(role) if role else None})
            self._member_changed(room.charter_id, int(change["user_id"]), member)
        elif kind is Kind.charter:
            change = json.loads(data)
            frozen = frozenset(change["frozen"])
            self._charter_changed(room.charter_id, Phase(change["phase"]), frozen)
        else:
            room.receive_remote(kind, data)

    def expire_remote_presence(self, timeout: float) -> None:
        """Drop the presence of other processes' clients not renewed within ``timeout`` s."""
        older_than = time.monotonic() - timeout
        for room in list(self._rooms.values()):
            room.expire_remote_presence(older_than)

    async def resync(self) -> None:
        """Catch every open room up with the store (after missing fan-out messages)."""
        for room in list(self._rooms.values()):
            async with self._sessions() as session:
                stored = load_document((await load_state(session, room.charter_id)).updates)
            missing = stored.get_update(room.doc.get_state())
            room.apply_stored(missing)

    @contextlib.asynccontextmanager
    async def live(self, slug: str) -> AsyncIterator[Room]:
        """The room for a server-side change, loaded for it if need be."""
        room = await self.open(slug)
        try:
            yield room
        finally:
            self.release(room)

    async def open(self, slug: str, charter_id: int | None = None) -> Room:
        """The loaded room, loading it from the store first if needed.

        ``charter_id``: the charter's id if the caller has looked it up already. Clients joining
        an unloaded room at once share one load. Raises ``NotFound``.
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
                room = await self._load(slug, charter_id)
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

    async def _load(self, slug: str, charter_id: int | None) -> Room:
        started = time.perf_counter()
        if charter_id is None:
            charter_id = (await self._store(lambda s: get_charter_blocking(s, slug))).id
        assert charter_id is not None
        # Subscribe first and hold what arrives meanwhile: nothing falls between the two.
        early: list[tuple[Kind, bytes]] = []
        await self._fanout.subscribe(charter_id, lambda kind, data: early.append((kind, data)))
        try:
            state = self._load_here(slug)
            if state is None:
                state = await self._store(lambda session: load_room_state_blocking(session, slug))
            if state.charter_id != charter_id:  # read after subscribing, with its phase
                raise NotFound(text("no charter '{slug}'", slug=slug))
        except BaseException:
            await self._fanout.unsubscribe(charter_id)
            raise
        room = Room(
            charter_id,
            slug,
            state.stored,
            self._writer,
            self._settings,
            phase=state.phase,
            frozen=state.frozen,
            fanout=self._fanout,
            metrics=self._metrics,
        )
        room.on_edit = self.revisions.edited
        self._charter_ids[slug] = charter_id
        for kind, data in early:
            self._on_remote(room, kind, data)
        await self._fanout.subscribe(room.charter_id, partial(self._on_remote, room))
        log.info(
            "room %s loaded from %d stored updates in %.1f ms",
            slug,
            len(state.stored.updates),
            (time.perf_counter() - started) * 1e3,
        )
        return room

    def _load_here(self, slug: str) -> RoomState | None:
        """A small document's stored state, read on the loop's thread (see ``JoinLookups``):
        the clients of a burst that wait for it are not held up by a store thread waiting its
        turn for the interpreter lock. None: too large, or not on SQLite."""
        if self._here is None:
            return None
        return self._here(
            partial(load_small_room_state_blocking, slug=slug, most_bytes=LOAD_HERE_BYTES)
        )

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
            await self.revisions.settle_room(room)
            with contextlib.suppress(Exception):  # logged by the writer; the log stays whole
                await self._writer.compact(room.charter_id, room)
            if room.connections or room.pending or self._rooms.get(room.slug) is not room:
                return
            del self._rooms[room.slug]
            room.unload()
            await self._fanout.unsubscribe(room.charter_id)
            log.info("room %s unloaded", room.slug)
            release_freed_memory()
        finally:
            if self._unloads.get(room.slug) is asyncio.current_task():
                del self._unloads[room.slug]

    async def close(self, grace: float) -> None:
        """Store everything and compact every room (on shutdown), within ``grace`` seconds.

        A store that stays unreachable longer loses what was accepted but not stored: nothing
        anyone was shown (updates are broadcast only once stored), and the clients that sent those
        updates still hold them and send them again when they reconnect.
        """
        for task in list(self._unloads.values()):
            task.cancel()
        try:
            async with asyncio.timeout(grace):
                await self._writer.flush()
                await self.revisions.close()
                for room in list(self._rooms.values()):
                    with contextlib.suppress(Exception):
                        await self._writer.compact(room.charter_id, room)
        except TimeoutError:
            log.error(
                "shutting down without storing %d accepted updates: the store did not take "
                "them within %.0f s (their senders send them again when they reconnect)",
                self._writer.backlog,
                grace,
            )
        self._rooms.clear()
