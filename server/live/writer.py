"""The single write path for live-document updates: group commit, then hand back to the rooms.

Every accepted update is queued here; one task commits all that is queued in one transaction
(one fsync for a burst), and only then tells each room, in order, so that the room applies it to
its durable document and broadcasts it. A failing commit is retried with back-off while the
updates stay queued: nothing is broadcast that is not stored, and nothing accepted is dropped.

Compactions run beside it, one at a time: the log is read and folded with the read runner, and
only the short write of the result goes through the update log's runner (on SQLite its one
thread, between two commits). When a compaction ran on the commit task, every edit in the
process waited for it: measured, 16 ms for the demo charter's 500 updates, one stalled broadcast
in every 500. A loaded room folds from memory instead (``Foldable``): its durable document,
encoded, is the new snapshot. Decoding the history was most of a compaction's cost (py-spy, the
throughput benchmark: 15 % of the server's samples, a 459 KB state taking 12 ms to decode). When
the store refuses such a fold (another process wrote or compacted the charter meanwhile), the
compaction folds from the store after all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from charter_drafts.document.store import StoreRunner, UpdateLogRunner
from charter_drafts.document.update_log import (
    Folded,
    fold_log_blocking,
    store_folded_blocking,
    vacuum_log_blocking,
)
from server.metrics import Metrics

log = logging.getLogger(__name__)

VACUUM_AFTER = 2000  # log entries compactions deleted before the log is vacuumed (PostgreSQL)


class UpdateOwner(Protocol):
    charter_id: int

    def committed(self, updates: list[bytes], last_id: int) -> None:
        """``updates`` are stored, and so is every log entry of the batch, up to ``last_id``."""
        ...


class Foldable(Protocol):
    def fold(self) -> Folded | None:
        """The charter's new snapshot from memory (None: nothing to fold there)."""
        ...

    def folded(self, folded: Folded, count: int) -> None:
        """What became of ``fold``'s result: ``count`` entries compacted (0: refused)."""
        ...


@dataclass(slots=True)
class _Entry:
    owner: UpdateOwner
    update: bytes
    on_stored: Callable[[], None] | None
    submitted: float


class UpdateWriter:
    def __init__(self, update_log: UpdateLogRunner, reads: StoreRunner, metrics: Metrics) -> None:
        self._log = update_log  # a runner of its own: commits never queue behind reads
        self._reads = reads  # where compactions read and fold the log
        self._metrics = metrics
        self._entries: list[_Entry] = []
        self._storing = 0
        self._compactions: dict[int, asyncio.Future[int]] = {}
        self._sources: dict[int, Foldable] = {}  # the live rooms that may fold from memory
        self._compactor: asyncio.Task[None] | None = None
        self._deleted = 0  # log entries compacted away since the last vacuum
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
        tasks = [task for task in (self._task, self._compactor) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._log.close()

    def submit(
        self, owner: UpdateOwner, update: bytes, on_stored: Callable[[], None] | None = None
    ) -> None:
        self._entries.append(_Entry(owner, update, on_stored, time.perf_counter()))
        self._idle.clear()
        self._wakeup.set()

    def compact(self, charter_id: int, source: Foldable | None = None) -> asyncio.Future[int]:
        """Fold what the store holds of a charter's log into its snapshot (entries folded).

        ``source``: the charter's live room, asked for a fold from memory when the compaction
        starts. Asked again while one is waiting, the same one; while one runs, another after it.
        """
        if source is not None:
            self._sources[charter_id] = source
        future = self._compactions.get(charter_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._compactions[charter_id] = future
            if self._compactor is None:
                self._compactor = asyncio.create_task(self._compact_all(), name="compactor")
        return future

    async def flush(self) -> None:
        """Wait until every update accepted so far is stored (or given up on at shutdown)."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._entries:
                batch, self._entries = self._entries, []
                await self._store(batch)
            self._idle.set()

    async def _compact_all(self) -> None:
        try:
            while self._compactions:
                charter_id = next(iter(self._compactions))
                await self._compact(charter_id, self._compactions.pop(charter_id))
        finally:
            self._compactor = None

    async def _store(self, batch: list[_Entry]) -> None:
        self._storing = len(batch)
        entries = [(e.owner.charter_id, e.update) for e in batch]
        delay = 0.05
        while True:
            started = time.perf_counter()
            try:
                last_id = await self._log.store_updates(entries)
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
            owner.committed(updates, last_id)
        done = time.perf_counter()
        for entry in batch:
            self._metrics.broadcast_seconds.observe(done - entry.submitted)
            if entry.on_stored:
                entry.on_stored()

    async def _compact(self, charter_id: int, future: asyncio.Future[int]) -> None:
        source = self._sources.pop(charter_id, None)
        try:
            stored = 0
            from_memory = source.fold() if source is not None else None
            if source is not None and from_memory is not None:
                stored = await self._log(partial(store_folded_blocking, folded=from_memory))
                source.folded(from_memory, stored)
                if not stored:
                    log.info("charter %s: the store refused a fold from memory", charter_id)
            if not stored:
                folded = await self._reads(partial(fold_log_blocking, charter_id=charter_id))
                if folded is not None:
                    stored = await self._log(partial(store_folded_blocking, folded=folded))
                    if not stored:
                        log.info("charter %s: another compaction came first", charter_id)
        except Exception as error:
            # The log is intact; compaction is retried at the next trigger.
            log.exception("compacting charter %s failed", charter_id)
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(stored)
        self._deleted += stored
        if self._deleted >= VACUUM_AFTER:
            self._deleted = 0
            try:
                await self._reads(vacuum_log_blocking)
            except Exception:
                log.exception("vacuuming the update log failed")
