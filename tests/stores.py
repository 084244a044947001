"""A migrated store with the demo charter, for tests of the domain's store functions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.orm import Session

from charter_drafts.database import create_engine, create_session_factory
from tests.conftest import ServerFactory

StoreRun = Callable[[Callable[[Session], Any]], Awaitable[Any]]


def demo_database(make_server: ServerFactory, backend: str) -> str:
    """A fresh, migrated database holding the demo charter: its URL."""
    server = make_server(backend, start=False)
    for command in ("migrate", "seed-demo"):
        done = server.cli(command)
        assert done.returncode == 0, done.stderr
    return server.database_url


@asynccontextmanager
async def demo_store(make_server: ServerFactory, backend: str) -> AsyncIterator[StoreRun]:
    """Run blocking store functions on a fresh demo database, as the server runs them."""
    engine = create_engine(demo_database(make_server, backend))
    sessions = create_session_factory(engine)

    async def run(work: Callable[[Session], Any]) -> Any:
        async with sessions() as session:
            return await session.run_sync(work)

    try:
        yield run
    finally:
        await engine.dispose()
