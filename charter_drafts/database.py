"""Engines and sessions for the two supported stores: SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'charter-drafts.sqlite3'}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


OVERFLOW = 10


def create_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine; SQLite gets WAL, full fsync on commit and a busy timeout.

    ``pool_size``: connections to PostgreSQL opened once and kept. Beyond them, up to
    ``OVERFLOW`` more open for a burst and close when returned; each costs PostgreSQL a new
    backend process (measured: a third of a core while 1,000 clients joined with a pool of 5),
    so the pool should cover the usual concurrency. The overflow is never zero: a request that
    holds a session while it waits for the update writer (which needs one) must not deadlock.
    """
    if not is_sqlite(url):
        return create_async_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=OVERFLOW
        )
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def warm_pool(engine: AsyncEngine, count: int) -> int:
    """PostgreSQL: open ``count`` of the pool's connections now (at most its size); how many.

    The pool opens a connection when it is first needed, and on PostgreSQL that costs a backend
    process (5 to 13 ms here, measured in the benchmark's cold loads): without this, the first
    joins after a start (a join is two sessions at once: the caller's look-up and the room's
    load) each waited for one. SQLite opens its connections at no such cost: nothing is done.
    """
    if engine.dialect.name == "sqlite":
        return 0
    count = max(0, min(count, engine.pool.size()))  # type: ignore[attr-defined]
    async with contextlib.AsyncExitStack() as held:  # all at once: each one a new connection
        for _ in range(count):
            await held.enter_async_context(engine.connect())
    return count


def sqlite_file_engine(url: str) -> Engine | None:
    """A blocking engine on the same SQLite file as ``url`` (None: not an SQLite file).

    For work done in a thread of its own in one call, where the async driver would hand every
    statement to its thread and back.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    engine = create_sync_engine(
        parsed.set(drivername="sqlite"),
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns, so "durable before visible" holds
    # through a power cut too, not only a process crash. Group commits keep it cheap.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
