"""Clients joining at the same moment are looked up together (``server.live.joins``): each
still gets the answer its own credentials call for (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random

import pytest
import websockets

from tests.accounts import SESSION_COOKIE, Account, as_session, new_member
from tests.people import OUTSIDER, SECRETARIAT, SITE_ADMIN, add_accounts, client
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(180)


async def _first(url: str, headers: dict[str, str] | None = None) -> int:
    """0 if the server's sync step 1 arrives; else the code the socket was closed with."""
    async with websockets.connect(url, additional_headers=headers) as socket:
        try:
            await asyncio.wait_for(socket.recv(), 15)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        return 0


async def test_joins_at_once_each_get_their_own_answer(server: ServerProcess) -> None:
    add_accounts(server)
    with client(server, SITE_ADMIN) as http:
        made = http.post(
            "/api/charters",
            json={"slug": "batch-other", "title": "Other", "secretariat_email": SECRETARIAT},
        )
        assert made.status_code == 201, made.text
    member, revoked, gone = new_member(server), new_member(server), new_member(server)
    with as_session(server, revoked) as http:
        tokens = http.get("/api/tokens").json()["tokens"]
        assert http.delete(f"/api/tokens/{tokens[0]['id']}").status_code == 204
    with client(server, SITE_ADMIN) as http:
        done = http.post(f"/api/users/{gone.user_id}/deactivate", json={"reason": "test"})
        assert done.status_code == 200
    scoped = server.token(SECRETARIAT, charter="lampedusa")
    base = f"ws://127.0.0.1:{server.port}/ws/charters"
    cookie = {"Cookie": f"{SESSION_COOKIE}={member.cookie}"}
    stale_cookie = {"Cookie": f"{SESSION_COOKIE}={gone.cookie}"}
    cases: list[tuple[str, dict[str, str] | None, int]] = [
        (f"{base}/lampedusa?token={member.token}", None, 0),
        (f"{base}/lampedusa", cookie, 0),
        (f"{base}/lampedusa?token={server.token(SECRETARIAT)}", None, 0),
        (f"{base}/batch-other?token={server.token(SECRETARIAT)}", None, 0),
        (f"{base}/lampedusa?token={revoked.token}", None, 4401),
        (f"{base}/lampedusa?token={gone.token}", None, 4401),
        (f"{base}/lampedusa", stale_cookie, 4401),
        (f"{base}/lampedusa?token=cdt_not-a-token", None, 4401),
        (f"{base}/lampedusa", None, 4401),
        (f"{base}/lampedusa?token={server.token(OUTSIDER)}", None, 4403),
        (f"{base}/batch-other?token={scoped}", None, 4403),
        (f"{base}/batch-other?token={member.token}", None, 4403),
        (f"{base}/no-such-charter?token={member.token}", None, 4404),
    ]
    # Each case several times, shuffled, all at once: most share a batch with the others.
    runs = [case for case in cases for _ in range(4)]
    random.Random(7).shuffle(runs)
    got = await asyncio.gather(*(_first(url, headers) for url, headers, _ in runs))
    assert [(url, code) for (url, _, _), code in zip(runs, got, strict=True)] == [
        (url, want) for url, _, want in runs
    ]


async def test_a_join_notes_when_its_token_was_used(server: ServerProcess) -> None:
    """A join notes the token's use (to the minute), as an HTTP call does, just after its
    look-up (a write kept off the joins' path); a token that was not presented, or was refused,
    is not noted."""
    used, unused, revoked = new_member(server), new_member(server), new_member(server)
    with as_session(server, revoked) as http:
        (token,) = http.get("/api/tokens").json()["tokens"]
        assert http.delete(f"/api/tokens/{token['id']}").status_code == 204
    base = f"ws://127.0.0.1:{server.port}/ws/charters/lampedusa"
    codes = await asyncio.gather(
        *(_first(f"{base}?token={used.token}") for _ in range(3)),
        _first(f"{base}?token={revoked.token}"),
    )
    assert codes == [0, 0, 0, 4401]

    def last_used(account: Account) -> str | None:
        with as_session(server, account) as http:
            listed = http.get("/api/tokens")
        assert listed.status_code == 200, listed.text
        (token,) = listed.json()["tokens"]
        return token["last_used_at"]

    await eventually_async(lambda: last_used(used))
    # Notes are written a batch of joins at a time, after its answers: by now all of them.
    assert last_used(unused) is None
    assert last_used(revoked) is None
