"""Blocking store work run in one go: a function of a plain (sync) ``Session``.

Joining a live document looks up the charter, the caller and their membership; loading a room
reads the charter, its stored state and its frozen clauses; the update writer appends and commits
a batch (on a runner of its own, so commits never queue behind reads; on SQLite straight through
the driver, see ``DriverAppender``). Through the async SQLite driver every statement is several
hand-offs to the driver's thread and back (about 1 ms per query here), so these run as one
blocking function instead: on SQLite in a small thread pool with a blocking connection (one
hand-off for the whole function), on PostgreSQL through the async session's ``run_sync``
(asyncpg needs no thread). The same function serves both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from charter_drafts.database import SessionFactory, sqlite_file_engine
from charter_drafts.document.update_log import DriverAppender, store_updates_blocking

T = TypeVar("T")


class StoreRunner(Protocol):
    async def __call__(self, work: Callable[[Session], T]) -> T: ...

    def close(self) -> None: ...


class HereRunner(Protocol):
    """Runs ``work`` on the calling thread (the event loop's): for short reads only."""

    def __call__(self, work: Callable[[Session], T]) -> T: ...


class UpdateLogRunner(StoreRunner, Protocol):
    async def store_updates(self, entries: Sequence[tuple[int, bytes]]) -> int:
        """Append (charter id, update) entries to the log and commit them; the last one's id."""
        ...


class ThreadRunner:
    """SQLite: ``work`` runs on one of a few threads, with a session of its own."""

    def __init__(self, engine: Engine, threads: int = 4) -> None:
        self._engine = engine
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="store")

    async def __call__(self, work: Callable[[Session], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._run, work)

    def _run(self, work: Callable[[Session], T]) -> T:
        with Session(self._engine, expire_on_commit=False) as session:
            return work(session)

    def here(self, work: Callable[[Session], T]) -> T:
        """``work`` on the calling thread. For short reads, where the hand-off to a store thread
        and back costs more than the work: SQLite reads a page cache, and a reader never waits
        for a writer (WAL). A store thread gets the interpreter lock only in turns while the
        event loop is busy (a burst of handshakes); the same read on the loop does not wait."""
        return self._run(work)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._engine.dispose()


class LogThreadRunner(ThreadRunner):
    """SQLite's update log: one thread, so appends and compaction writes take turns."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, threads=1)
        self._append = DriverAppender(engine)

    async def store_updates(self, entries: Sequence[tuple[int, bytes]]) -> int:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._append, entries)

    def close(self) -> None:
        self._pool.submit(self._append.close)  # on its own thread, before the pool stops
        super().close()


class SessionRunner:
    """PostgreSQL: ``work`` runs on the event loop through an async session's ``run_sync``."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def __call__(self, work: Callable[[Session], T]) -> T:
        async with self._sessions() as session:
            return await session.run_sync(work)

    async def store_updates(self, entries: Sequence[tuple[int, bytes]]) -> int:
        return await self(partial(store_updates_blocking, entries=entries))

    def close(self) -> None:
        pass


def store_runner(database_url: str, sessions: SessionFactory, threads: int = 4) -> StoreRunner:
    """Reads, joins and room loads: on SQLite ``threads`` threads."""
    engine = sqlite_file_engine(database_url)
    return SessionRunner(sessions) if engine is None else ThreadRunner(engine, threads)


def here_runner(store: StoreRunner) -> HereRunner | None:
    """Short reads on the event loop's thread: on SQLite (None on PostgreSQL, where ``store``
    runs them on the loop already, without blocking it)."""
    return store.here if isinstance(store, ThreadRunner) else None


def update_log_runner(database_url: str, sessions: SessionFactory) -> UpdateLogRunner:
    """The update writer's own runner (appends, and the writes of compactions)."""
    engine = sqlite_file_engine(database_url)
    return SessionRunner(sessions) if engine is None else LogThreadRunner(engine)
