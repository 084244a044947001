"""Blocking store work run in one go: a function of a plain (sync) ``Session``.

Joining a live document looks up the charter, the caller and their membership; loading a room
reads the charter, its stored state and its frozen clauses; the update writer appends and commits
a batch (on a runner of its own, so commits never queue behind reads). Through the async SQLite
driver every statement is several hand-offs to the driver's thread and back (about 1 ms per query
here), so these run as one blocking function instead: on SQLite in a small thread pool with a
blocking connection (one hand-off for the whole function), on PostgreSQL through the async
session's ``run_sync`` (asyncpg needs no thread). The same function serves both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from charter_drafts.database import SessionFactory, sqlite_file_engine

T = TypeVar("T")


class StoreRunner(Protocol):
    async def __call__(self, work: Callable[[Session], T]) -> T: ...

    def close(self) -> None: ...


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

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._engine.dispose()


class SessionRunner:
    """PostgreSQL: ``work`` runs on the event loop through an async session's ``run_sync``."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def __call__(self, work: Callable[[Session], T]) -> T:
        async with self._sessions() as session:
            return await session.run_sync(work)

    def close(self) -> None:
        pass


def store_runner(database_url: str, sessions: SessionFactory, threads: int = 4) -> StoreRunner:
    """``threads``: how many SQLite threads (the update writer has one of its own)."""
    engine = sqlite_file_engine(database_url)
    return SessionRunner(sessions) if engine is None else ThreadRunner(engine, threads)
