"""Several server processes on one PostgreSQL store, fanned out over Redis."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets

from server.client import LiveClient
from tests.conftest import database_url_for
from tests.servers import RedisProcess, ServerProcess, eventually_async, read_until_closed
from tests.streams import visitor_stream

pytestmark = [pytest.mark.timeout(240), pytest.mark.postgres]
MARKER = re.compile(r"<[ab]\d+\.\d+>")


@dataclass
class Cluster:
    a: ServerProcess
    b: ServerProcess
    redis: RedisProcess


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """Two processes; by default the periodic resync is too slow to matter, so what crosses
    between them crosses over Redis (a test may set other settings with indirect=True)."""
    settings: dict[str, str] = getattr(request, "param", {})
    with ExitStack() as stack:
        url = database_url_for("postgres", tmp_path, stack)
        redis = RedisProcess(tmp_path)
        redis.start()
        stack.callback(redis.stop)
        env = {
            "REDIS_URL": redis.url,
            "SECRET_KEY": "cluster-secret",
            "RESYNC_SECONDS": "600",
            # Short, so a test can see a dead process's clients leave; none of these clients
            # renews its presence, and no test needs it to last.
            "PRESENCE_TIMEOUT_SECONDS": "3",
            **settings,
        }
        servers = []
        for name in ("a", "b"):
            data = tmp_path / name
            data.mkdir()
            server = ServerProcess(data, url, env)
            server.start("--demo")
            stack.callback(lambda s=server: s.process is not None and s.kill())
            servers.append(server)
        yield Cluster(servers[0], servers[1], redis)


def body(client: LiveClient) -> str:
    return str(client.text("preamble", "body"))


async def test_clients_on_two_processes_converge(cluster: Cluster) -> None:
    async with (
        LiveClient.connect(cluster.a.ws_url()) as on_a,
        LiveClient.connect(cluster.b.ws_url()) as on_b,
    ):
        await asyncio.wait_for(on_a.synced.wait(), 10)
        await asyncio.wait_for(on_b.synced.wait(), 10)
        for index in range(50):
            on_a.text("preamble", "body").insert(0, f"<a0.{index}>")
            on_b.text("preamble", "body").insert(0, f"<b0.{index}>")
            await asyncio.sleep(0.002)
        await eventually_async(lambda: body(on_a) == body(on_b), 5)
        assert len(MARKER.findall(body(on_a))) == 100
        # Presence crosses processes too.
        await on_a.set_presence({"user": {"color": "#123"}})
        await eventually_async(lambda: on_b.awareness.get(on_a.doc.client_id) is not None)
    for server in (cluster.a, cluster.b):
        clauses = server.get("/api/charters/lampedusa").json()["clauses"]
        assert clauses[0]["body"] == body(on_a)


async def test_role_changes_reach_connections_on_the_other_process(cluster: Cluster) -> None:
    async with LiveClient.connect(cluster.b.ws_url()) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        with cluster.a.signed_in("secretariat@example.org") as http:
            members = http.get("/api/charters/lampedusa/members").json()["members"]
            me = next(m for m in members if m["email"] == "editor@example.org")
            member = f"/api/charters/lampedusa/members/{me['user_id']}"
            assert http.patch(member, json={"role": "observer"}).status_code == 200
            await asyncio.sleep(0.3)
            editor.text("preamble", "title").insert(0, "x")
            await eventually_async(lambda: editor.denials)
            assert "observer may not edit" in editor.denials[0]
            assert http.patch(member, json={"role": "editor"}).status_code == 200


async def test_presence_of_a_client_whose_process_died_goes_away(cluster: Cluster) -> None:
    async with LiveClient.connect(cluster.b.ws_url()) as watcher:
        await asyncio.wait_for(watcher.synced.wait(), 10)
        async with LiveClient.connect(cluster.a.ws_url()) as doomed:
            await asyncio.wait_for(doomed.synced.wait(), 10)
            await doomed.set_presence({"user": {"color": "#abc"}})
            gone_id = doomed.doc.client_id
            await eventually_async(lambda: watcher.awareness.get(gone_id) is not None)
            cluster.a.kill()  # its process never says the client left
        # The surviving process drops it once it is not renewed (PRESENCE_TIMEOUT_SECONDS).
        await eventually_async(lambda: watcher.awareness.get(gone_id) is None, 15)


async def test_a_revoked_token_closes_its_socket_on_the_other_process(cluster: Cluster) -> None:
    with cluster.a.signed_in("editor@example.org") as http:
        issued = http.post("/api/tokens", json={"name": "phone"}).json()
        url = f"{cluster.b.ws_url(as_=None)}?token={issued['secret']}"
        async with websockets.connect(url) as socket:
            await asyncio.wait_for(socket.recv(), 10)
            assert http.delete(f"/api/tokens/{issued['id']}").status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await read_until_closed(socket, 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


@pytest.mark.parametrize("cluster", [{"RESYNC_SECONDS": "1"}], indirect=True)
async def test_killing_one_process_mid_burst_loses_nothing_a_client_saw(cluster: Cluster) -> None:
    async with (
        LiveClient.connect(cluster.a.ws_url()) as writer_a,
        LiveClient.connect(cluster.b.ws_url()) as writer_b,
        LiveClient.connect(cluster.a.ws_url()) as reader_a,
        LiveClient.connect(cluster.b.ws_url()) as reader_b,
    ):
        for live in (writer_a, writer_b, reader_a, reader_b):
            await asyncio.wait_for(live.synced.wait(), 10)
        stop = asyncio.Event()

        async def burst(client: LiveClient, tag: str) -> None:
            for index in range(3000):
                if stop.is_set():
                    return
                client.text("preamble", "body").insert(0, f"<{tag}1.{index}>")
                await asyncio.sleep(0.002)

        bursts = asyncio.gather(burst(writer_a, "a"), burst(writer_b, "b"))
        await eventually_async(lambda: reader_b.updates_received > 40)
        cluster.a.kill()
        seen = set(MARKER.findall(body(reader_a))) | set(MARKER.findall(body(reader_b)))
        await asyncio.sleep(0.3)
        stop.set()
        await bursts
        # Process b carries on, and catches up with the store (what a stored but never
        # published); its reader ends up with everything anyone saw.
        await eventually_async(lambda: seen <= set(MARKER.findall(body(reader_b))), 15)
    assert len(seen) > 40
    cluster.a.start()
    async with LiveClient.connect(cluster.a.ws_url()) as fresh:
        await asyncio.wait_for(fresh.synced.wait(), 10)
        missing = seen - set(MARKER.findall(body(fresh)))
    assert not missing, f"{len(missing)} updates a client saw were lost"


async def test_clients_converge_after_redis_restarts(cluster: Cluster) -> None:
    async with (
        LiveClient.connect(cluster.a.ws_url()) as on_a,
        LiveClient.connect(cluster.b.ws_url()) as on_b,
    ):
        await asyncio.wait_for(on_a.synced.wait(), 10)
        await asyncio.wait_for(on_b.synced.wait(), 10)
        cluster.redis.stop()
        for index in range(20):
            on_a.text("preamble", "body").insert(0, f"<a2.{index}>")
            on_b.text("preamble", "body").insert(0, f"<b2.{index}>")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
        assert cluster.a.get("/readyz", as_=None).status_code == 503
        cluster.redis.start()
        await eventually_async(lambda: body(on_a) == body(on_b), 30)
        assert len(MARKER.findall(body(on_a))) == 40
        await eventually_async(lambda: cluster.a.get("/readyz", as_=None).status_code == 200)
        # And the fan-out works again, live.
        on_a.text("preamble", "title").insert(0, "Live again: ")
        await eventually_async(
            lambda: str(on_b.text("preamble", "title")).startswith("Live again: ")
        )


@pytest.mark.parametrize("cluster", [{"COMPACT_AFTER": "20"}], indirect=True)
async def test_compactions_while_both_processes_write_lose_nothing(cluster: Cluster) -> None:
    """Each process's room would fold its own document into the snapshot; the other's entries
    are interleaved with its own in the log, so the store refuses that and the compaction folds
    from the store instead. Every edit survives both processes' compactions and a restart."""
    async with (
        LiveClient.connect(cluster.a.ws_url()) as on_a,
        LiveClient.connect(cluster.b.ws_url()) as on_b,
    ):
        await asyncio.wait_for(on_a.synced.wait(), 10)
        await asyncio.wait_for(on_b.synced.wait(), 10)
        for index in range(150):
            on_a.text("preamble", "body").insert(0, f"<a3.{index}>")
            on_b.text("preamble", "body").insert(0, f"<b3.{index}>")
            await asyncio.sleep(0.004)
        await eventually_async(lambda: body(on_a) == body(on_b), 15)
        written = set(MARKER.findall(body(on_a)))
    assert len(written) == 300
    logs = cluster.a.log_text() + cluster.b.log_text()
    assert "folded from the store" in logs
    assert "the store refused a fold from memory" in logs
    for server in (cluster.a, cluster.b):
        server.stop()
    cluster.b.start()
    async with LiveClient.connect(cluster.b.ws_url()) as fresh:
        await asyncio.wait_for(fresh.synced.wait(), 10)
        assert set(MARKER.findall(body(fresh))) == written


def test_the_sign_in_throttle_is_shared_by_every_process(cluster: Cluster) -> None:
    """Each process counted its own failures: a guesser spread over N processes got N times
    as many tries."""
    email = "commenter@example.org"
    for server in (cluster.a, cluster.b, cluster.a, cluster.b, cluster.a):
        wrong = httpx.post(
            server.base_url + "/api/session", json={"email": email, "password": "x" * 12}
        )
        assert wrong.status_code == 401
    for server in (cluster.a, cluster.b):
        blocked = httpx.post(
            server.base_url + "/api/session", json={"email": email, "password": "demo-password"}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
    other = httpx.post(
        cluster.b.base_url + "/api/session",
        json={"email": "editor@example.org", "password": "demo-password"},
    )
    assert other.status_code == 200


async def test_a_visitor_on_one_process_hears_a_verification_made_on_the_other(
    cluster: Cluster,
) -> None:
    async with visitor_stream(cluster.a.base_url) as events:
        with cluster.b.signed_in("secretariat@example.org") as http:
            waiting = http.get("/api/charters/lampedusa/endorsements?status=pending").json()
            (request,) = waiting["endorsements"]  # the demo's one public request
            verified = http.post(f"/api/charters/lampedusa/endorsements/{request['id']}/verify")
            assert verified.status_code == 200, verified.text
        assert await events.next() == {"type": "endorsers", "version": "0.1"}
