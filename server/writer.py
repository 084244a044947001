"""The single write path for live-document updates: group commit, then hand back to the rooms.

Every accepted update is queued here; one task commits all that is queued in one transaction
(one fsync for a burst), and only then tells each room, in order, so that the room applies it to
its durable document and broadcasts it. Compactions run on the same task, so there is never more
than one writer (SQLite has one anyway). A failing commit is retried with back-off while the
updates stay queued: nothing is broadcast that is not stored, and nothing accepted is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from charter_drafts.database import SessionFactory
from charter_drafts.store import StoreRunner
from charter_drafts.update_log import compact, store_updates_blocking
from server.metrics import Metrics

log = logging.getLogger(__name__)


class UpdateOwner(Protocol):
    charter_id: int

    def committed(self, updates: list[bytes]) -> None: ...


@dataclass(slots=True)
class _Entry:
    owner: UpdateOwner
    update: bytes
    on_stored: Callable[[], None] | None
    submitted: float


class UpdateWriter:
    def __init__(self, sessions: SessionFactory, update_log: StoreRunner, metrics: Metrics) -> None:
        self._sessions = sessions
        self._log = update_log  # a runner of its own: commits never queue behind reads
        self._metrics = metrics
        self._entries: list[_Entry] = []
        self._storing = 0
        self._compactions: dict[int, asyncio.Future[int]] = {}
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="update-writer")

    @property
    def backlog(self) -> int:
        """Accepted updates not stored yet (queued or being committed)."""
        return len(self._entries) + self._storing

    async def stop(self) -> None:
        """Stop, after ``flush`` (or giving up on what the store would not take)."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._log.close()

    def submit(
        self, owner: UpdateOwner, update: bytes, on_stored: Callable[[], None] | None = None
    ) -> None:
        self._entries.append(_Entry(owner, update, on_stored, time.perf_counter()))
        self._idle.clear()
        self._wakeup.set()

    def compact(self, charter_id: int) -> asyncio.Future[int]:
        """Fold a charter's log into its snapshot, after what is queued now is stored."""
        future = self._compactions.get(charter_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._compactions[charter_id] = future
            self._idle.clear()
            self._wakeup.set()
        return future

    async def flush(self) -> None:
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._entries or self._compactions:
                if self._entries:
                    batch, self._entries = self._entries, []
                    await self._store(batch)
                # One compaction between batches: under sustained load it must not starve.
                if self._compactions:
                    charter_id, future = next(iter(self._compactions.items()))
                    del self._compactions[charter_id]
                    await self._compact(charter_id, future)
            self._idle.set()

    async def _store(self, batch: list[_Entry]) -> None:
        self._storing = len(batch)
        entries = [(e.owner.charter_id, e.update) for e in batch]
        store = partial(store_updates_blocking, entries=entries)
        delay = 0.05
        while True:
            started = time.perf_counter()
            try:
                await self._log(store)
                break
            except Exception:
                # Keep the updates: the rooms stay loaded and their clients wait (back-pressure).
                log.exception("storing %d updates failed; retrying in %.2f s", len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._storing = 0
        self.commits += 1
        elapsed = time.perf_counter() - started
        self._metrics.persist_seconds.observe(elapsed)
        log.debug("stored %d updates in %.1f ms", len(batch), elapsed * 1e3)
        by_owner: dict[int, tuple[UpdateOwner, list[bytes]]] = {}
        for entry in batch:
            by_owner.setdefault(id(entry.owner), (entry.owner, []))[1].append(entry.update)
        for owner, updates in by_owner.values():
            owner.committed(updates)
        done = time.perf_counter()
        for entry in batch:
            self._metrics.broadcast_seconds.observe(done - entry.submitted)
            if entry.on_stored:
                entry.on_stored()

    async def _compact(self, charter_id: int, future: asyncio.Future[int]) -> None:
        try:
            async with self._sessions() as session:
                folded = await compact(session, charter_id)
                await session.commit()
        except Exception as error:
            # The log is intact; compaction is retried at the next trigger.
            log.exception("compacting charter %s failed", charter_id)
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(folded)
