"""Accounts made for one test (so deactivating them leaves the demo members alone), and what
such a user has open: a signed-in browser, an API token, a live document, an event stream."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from tests.people import SECRETARIAT, SITE_ADMIN, client
from tests.servers import DEMO_PASSWORD, ServerProcess, read_until_closed

CHARTER = "/api/charters/lampedusa"
SESSION_COOKIE = "charter_drafts_session"


@dataclass
class Account:
    email: str
    user_id: int
    cookie: str  # a signed-in session
    csrf: str
    token: str  # an API token of theirs


def new_member(server: ServerProcess, role: str = "editor") -> Account:
    """A fresh account, member of the demo charter, signed in once and with an API token."""
    email = f"member-{uuid.uuid4().hex[:10]}@example.org"
    env = {"CHARTER_PASSWORD": DEMO_PASSWORD}
    made = server.cli_with(env, "create-user", "--email", email, "--name", "A member")
    assert made.returncode == 0, made.stderr
    added = server.cli("add-member", "--charter", "lampedusa", "--email", email, "--role", role)
    assert added.returncode == 0, added.stderr
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        signed = http.post("/api/session", json={"email": email, "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.text
        csrf = signed.json()["csrf_token"]
        issued = http.post("/api/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf})
        assert issued.status_code == 201, issued.text
        cookie = http.cookies[SESSION_COOKIE]
    return Account(email, signed.json()["user"]["id"], cookie, csrf, issued.json()["secret"])


def as_session(server: ServerProcess, account: Account) -> httpx.Client:
    """The account's browser: its session cookie and CSRF header."""
    return httpx.Client(
        base_url=server.base_url,
        cookies={SESSION_COOKIE: account.cookie},
        headers={"X-CSRF-Token": account.csrf},
        timeout=10,
    )


def as_token(server: ServerProcess, account: Account) -> httpx.Client:
    headers = {"Authorization": f"Bearer {account.token}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def signs_in(server: ServerProcess, email: str) -> int:
    """The status of a sign-in with the right password."""
    response = httpx.post(
        server.base_url + "/api/session",
        json={"email": email, "password": DEMO_PASSWORD},
        timeout=10,
    )
    return response.status_code


def admin(server: ServerProcess) -> httpx.Client:
    return client(server, SITE_ADMIN)


def secretariat(server: ServerProcess) -> httpx.Client:
    return client(server, SECRETARIAT)


def stored_account(server: ServerProcess, user_id: int) -> tuple[bool, int, int]:
    """The account as stored: active, session epoch, how many of its tokens are live."""
    active, epoch = query(server, 'SELECT active, session_epoch FROM "user" WHERE id = ?', user_id)[
        0
    ]
    live = "SELECT count(*) FROM api_token WHERE user_id = ? AND revoked_at IS NULL"
    return bool(active), int(epoch), int(query(server, live, user_id)[0][0])


def query(server: ServerProcess, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows straight from the server's store (SQLite or PostgreSQL); ``?`` marks a value."""
    url = server.database_url
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split(":///", 1)[1]) as connection:
            return [tuple(row) for row in connection.execute(sql, params)]
    parts = sql.split("?")
    numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))

    async def read() -> list[tuple[Any, ...]]:
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return [tuple(row) for row in await connection.fetch(numbered, *params)]
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def audit_of(server: ServerProcess, user_id: int) -> list[tuple[str, int | None, dict[str, Any]]]:
    """The account's audit entries, oldest first: (action, actor, details)."""
    rows = query(
        server,
        "SELECT action, actor_id, details, created_at FROM audit_entry "
        "WHERE target = ? AND action LIKE 'account.%' ORDER BY id",
        f"user:{user_id}",
    )
    assert all(row[3] is not None for row in rows)  # when
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


@asynccontextmanager
async def live_socket(server: ServerProcess, account: Account) -> AsyncIterator[Any]:
    """A live document opened with the account's token, past the server's first message."""
    url = f"{server.ws_url(as_=None)}?token={account.token}"
    async with websockets.connect(url) as socket:
        await asyncio.wait_for(socket.recv(), 10)
        yield socket


@asynccontextmanager
async def event_stream(server: ServerProcess, account: Account) -> AsyncIterator[Any]:
    """The charter's event stream in the account's browser (session cookie), connected."""
    async with (
        httpx.AsyncClient(
            base_url=server.base_url,
            cookies={SESSION_COOKIE: account.cookie},
            timeout=httpx.Timeout(10, read=30),  # longer than the 15 s between heartbeats
        ) as http,
        http.stream("GET", CHARTER + "/events") as events,
    ):
        assert events.status_code == 200
        lines = events.aiter_lines()
        assert await anext(lines) == ": connected"
        yield lines


async def closed_within(socket: Any, seconds: float) -> websockets.ConnectionClosed:
    """The close the server sends within ``seconds``."""
    try:
        await asyncio.wait_for(read_until_closed(socket, seconds), seconds)
    except websockets.ConnectionClosed as closed:
        return closed
    raise AssertionError("the socket stayed open")


async def ends_within(lines: AsyncIterator[str], seconds: float) -> list[str]:
    """The stream's remaining lines, which must end within ``seconds``."""

    async def rest() -> list[str]:
        return [line async for line in lines]

    return await asyncio.wait_for(rest(), seconds)


async def refused_code(server: ServerProcess, account: Account) -> int:
    """The close code a new live document opened with the account's token gets at once."""
    url = f"{server.ws_url(as_=None)}?token={account.token}"
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code
