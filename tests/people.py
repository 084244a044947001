"""Who calls in the permission tests: demo members, an outsider, a site admin, no one."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.servers import DEMO_PASSWORD, ServerProcess

SECRETARIAT = "secretariat@example.org"
EDITOR = "editor@example.org"
COMMENTER = "commenter@example.org"
OBSERVER = "observer@example.org"
OUTSIDER = "outsider@example.org"
SITE_ADMIN = "admin@example.org"
ANONYMOUS = None

EVERYONE = [ANONYMOUS, OUTSIDER, SITE_ADMIN, OBSERVER, COMMENTER, EDITOR, SECRETARIAT]


def add_accounts(server: ServerProcess) -> None:
    """The outsider (no membership) and the site administrator, made with the CLI."""
    env = {"CHARTER_PASSWORD": DEMO_PASSWORD}
    for email, extra in ((OUTSIDER, []), (SITE_ADMIN, ["--site-admin"])):
        result = server.cli_with(env, "create-user", "--email", email, "--name", email, *extra)
        assert result.returncode == 0, result.stderr


def client(server: ServerProcess, who: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.token(who)}"} if who else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def stored_document(server: ServerProcess) -> list[bytes]:
    """The raw bytes the store holds for the demo charter's document (snapshot, then log)."""
    snapshot = "SELECT data FROM document_snapshot WHERE charter_id = 1"
    log = "SELECT data FROM document_update WHERE charter_id = 1 ORDER BY id"
    url = server.database_url
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split(":///", 1)[1]) as connection:
            return [bytes(r[0]) for q in (snapshot, log) for r in connection.execute(q)]

    async def read() -> list[bytes]:
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            rows: list[Any] = [*await connection.fetch(snapshot), *await connection.fetch(log)]
            return [bytes(row[0]) for row in rows]
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()
