"""Revisions with two server processes on one PostgreSQL store and Redis: members on both type in
one clause at once, both processes hold its room and settle it; each settle is one revision,
with every member who typed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from server.client import LiveClient
from tests.conftest import database_url_for
from tests.people import EDITOR, client
from tests.revising import BODY, SETTLE, append, new_clause, revisions
from tests.servers import RedisProcess, ServerProcess, eventually_async

pytestmark = [pytest.mark.timeout(240), pytest.mark.postgres]
EDITOR2 = "editor2@example.org"
ROUNDS = 4


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with ExitStack() as stack:
        url = database_url_for("postgres", tmp_path, stack)
        redis = RedisProcess(tmp_path)
        redis.start()
        stack.callback(redis.stop)
        env = {"REDIS_URL": redis.url, "SECRET_KEY": "pair-secret", **SETTLE}
        servers = []
        for name in ("a", "b"):
            data = tmp_path / name
            data.mkdir()
            server = ServerProcess(data, url, env)
            server.start("--demo")
            stack.callback(lambda s=server: s.process is not None and s.kill())
            servers.append(server)
        yield servers[0], servers[1]


def user_id(server: ServerProcess, who: str) -> int:
    with client(server, who) as http:
        return int(http.get("/api/session").json()["user"]["id"])


async def test_each_settle_is_one_revision_with_everyone_who_typed(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    key = new_clause(a)
    people = {user_id(a, EDITOR), user_id(a, EDITOR2)}
    async with (
        LiveClient.connect(a.ws_url(as_=EDITOR)) as on_a,
        LiveClient.connect(b.ws_url(as_=EDITOR2)) as on_b,
    ):
        await asyncio.wait_for(on_a.synced.wait(), 10)
        await asyncio.wait_for(on_b.synced.wait(), 10)
        await eventually_async(lambda: key in on_b.clause_texts())
        expected = BODY
        for round_ in range(ROUNDS):
            # Both type at once, each at an end of the body; both processes settle the clause.
            on_a.text(key, "body").insert(0, f"A{round_} ")
            append(on_b, key, f" B{round_}")
            expected = f"A{round_} {expected} B{round_}"
            for live in (on_a, on_b):
                await eventually_async(
                    lambda live=live, text=expected: str(live.text(key, "body")) == text
                )
            await eventually_async(lambda text=expected: revisions(a, key)[0]["body"] == text)
            await asyncio.sleep(float(SETTLE["REVISION_SETTLE_SECONDS"]) * 2)
            history = revisions(b, key)
            # Exactly one revision for this settle, with both members.
            assert len(history) == round_ + 2, [(r["source"], r["body"]) for r in history]
            assert history[0]["source"] == "live"
            assert history[0]["body"] == expected
            await eventually_async(
                lambda: {p["id"] for p in revisions(a, key)[0]["contributors"]} == people
            )
    sources = [r["source"] for r in revisions(a, key)]
    assert sources == ["live"] * ROUNDS + ["structure"]
