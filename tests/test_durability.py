"""Nothing a client has seen is lost: crashes, restarts, compaction, unloading."""

from __future__ import annotations

import asyncio
import re
import signal
import time

import pytest
import websockets
from pycrdt import YSyncMessageType

from charter_drafts.document.schema import load_document, read_clauses
from server.client import LiveClient
from server.live.protocol import SyncMessage, read_message, sync_step1
from tests.conftest import BACKENDS, ServerFactory
from tests.people import OBSERVER
from tests.servers import ServerProcess, eventually_async, postgres_admin

pytestmark = pytest.mark.timeout(240)

MARKER = re.compile(r"<w\d+\.\d+>")


def markers(text: str) -> set[str]:
    return set(MARKER.findall(text))


async def write_burst(client: LiveClient, writer: int, stop: asyncio.Event) -> int:
    count = 0
    while not stop.is_set() and count < 5000:
        client.text("preamble", "body").insert(0, f"<w{writer}.{count}>")
        count += 1
        await asyncio.sleep(0.002)
    return count


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_burst_loses_nothing_any_client_received(
    make_server: ServerFactory, backend: str
) -> None:
    server = make_server(backend)
    for round_ in range(3):
        stop = asyncio.Event()
        async with (
            LiveClient.connect(server.ws_url()) as writer_a,
            LiveClient.connect(server.ws_url()) as writer_b,
            LiveClient.connect(server.ws_url()) as reader,
        ):
            for client in (writer_a, writer_b, reader):
                await asyncio.wait_for(client.synced.wait(), 10)
            bursts = asyncio.gather(
                write_burst(writer_a, 2 * round_, stop), write_burst(writer_b, 2 * round_ + 1, stop)
            )
            await eventually_async(lambda: reader.updates_received > 20)
            # Kill while both writers still send and the store is mid-commit.
            server.kill()
            seen = markers(str(reader.text("preamble", "body")))
            stop.set()
            await bursts
        assert len(seen) > 20
        server.start()
        async with LiveClient.connect(server.ws_url()) as fresh:
            await asyncio.wait_for(fresh.synced.wait(), 10)
            stored = markers(str(fresh.text("preamble", "body")))
        missing = seen - stored
        assert not missing, f"round {round_}: {len(missing)} updates seen by a client were lost"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_compaction_keeps_the_text_across_restarts(
    make_server: ServerFactory, backend: str
) -> None:
    server = make_server(backend, env={"COMPACT_AFTER": "25", "ROOM_IDLE_SECONDS": "0.3"})
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        for index in range(300):
            text = client.text("commitments-action", "body")
            text.insert(index % 50, f"[{index}]")
            if index % 7 == 0:
                del text[len(text) - 2]
            if index % 40 == 0:
                await asyncio.sleep(0.05)
        expected = client.clause_texts()
        await eventually_async(lambda: api_texts(server) == expected, within=20)
    # One process: the room's own document is the new snapshot every time.
    assert "folded from the live document" in server.log_text()
    assert "folded from the store" not in server.log_text()
    assert "refused a fold from memory" not in server.log_text()
    # Unloaded after idle (compacting again), then read back from the store.
    await eventually_async(lambda: "room lampedusa unloaded" in server.log_text())
    assert api_texts(server) == expected
    assert "refused a fold from memory" not in server.log_text()
    server.stop()
    server.start()
    assert api_texts(server) == expected
    async with LiveClient.connect(server.ws_url()) as fresh:
        await asyncio.wait_for(fresh.synced.wait(), 10)
        assert fresh.clause_texts() == expected


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_room_loaded_from_its_snapshot_serves_new_and_returning_clients(
    make_server: ServerFactory, backend: str
) -> None:
    """New clients get the stored snapshot as it is; a returning one its diff; edits go on."""
    server = make_server(backend, env={"ROOM_IDLE_SECONDS": "0.3"})
    async with LiveClient.connect(server.ws_url()) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        for index in range(40):
            editor.text("preamble", "body").insert(0, f"<a{index}>")
        earlier = editor.doc.get_update()  # what a client that leaves now has
        for index in range(40):
            editor.text("preamble", "title").insert(0, f"<b{index}>")
        expected = editor.clause_texts()
        await eventually_async(lambda: api_texts(server) == expected)
    await eventually_async(lambda: "room lampedusa unloaded" in server.log_text())

    async with (
        LiveClient.connect(server.ws_url()) as first,
        LiveClient.connect(server.ws_url(as_=OBSERVER)) as second,
    ):
        for client in (first, second):
            await asyncio.wait_for(client.synced.wait(), 10)
            assert client.clause_texts() == expected
        # A returning client asks only for what it lacks.
        returning = load_document([earlier])
        async with websockets.connect(server.ws_url(as_=OBSERVER)) as socket:
            await socket.send(sync_step1(returning.get_state()))
            while True:
                message = read_message(await asyncio.wait_for(socket.recv(), 10))
                if isinstance(message, SyncMessage) and message.kind == YSyncMessageType.SYNC_STEP2:
                    break
        assert len(message.payload) < len(first.doc.get_update())
        returning.apply_update(message.payload)
        assert {c.key: (c.title, c.body) for c in read_clauses(returning)} == expected
        # The first edit after the load is vetted, stored and relayed like any other.
        first.text("preamble", "body").insert(0, "<after>")
        await eventually_async(lambda: "<after>" in str(second.text("preamble", "body")))
        expected = first.clause_texts()
        await eventually_async(lambda: api_texts(server) == expected)


async def test_sigterm_flushes_and_the_restarted_server_has_every_edit(
    make_server: ServerFactory,
) -> None:
    server = make_server()
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        for index in range(100):
            client.text("balanced-narratives", "title").insert(0, f"{index % 10}")
        expected = client.clause_texts()
        await eventually_async(lambda: api_texts(server) == expected)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log_text()
    server.start()
    assert api_texts(server) == expected


@pytest.mark.postgres
async def test_sigterm_while_the_store_is_down_exits_after_the_grace(
    make_server: ServerFactory,
) -> None:
    """Shutdown waits SHUTDOWN_GRACE_SECONDS for the store, then goes without what it refused."""
    server = make_server("postgres", env={"SHUTDOWN_GRACE_SECONDS": "2"})
    database = server.database_url.rsplit("/", 1)[1]
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        before = client.clause_texts()
        postgres_admin(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            postgres_admin(  # the name is the test's own generated one
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
                f"WHERE datname = '{database}'"
            )
            client.text("preamble", "body").insert(0, "<never stored>")
            await eventually_async(lambda: "storing 1 updates failed" in server.log_text())
            started = time.monotonic()
            server.stop()
            stopped_after = time.monotonic() - started
        finally:
            postgres_admin(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    assert stopped_after < 20
    assert "shutting down without storing 1 accepted updates" in server.log_text()
    # No one was shown the update the store refused, and the store never had it.
    server.start()
    assert api_texts(server) == before


def api_texts(server: ServerProcess) -> dict[str, tuple[str, str]]:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return {c["id"]: (c["title"], c["body"]) for c in clauses}
