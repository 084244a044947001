"""Live editing over the y-websocket protocol: sync, fan-out, awareness, rooms."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from pycrdt import Doc

from charter_drafts.document.schema import read_clauses
from server.client import LiveClient
from server.live.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    MessageType,
    SyncMessage,
    awareness_message,
    read_message,
    sync_step1,
)
from tests.conftest import ServerFactory
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(120)


def api_body(server: ServerProcess, clause: str) -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return next(c["body"] for c in clauses if c["id"] == clause)


async def synced(client: LiveClient) -> LiveClient:
    await asyncio.wait_for(client.synced.wait(), 10)
    return client


async def test_a_new_client_receives_the_whole_charter(server: ServerProcess) -> None:
    expected = server.get("/api/charters/lampedusa").json()["clauses"]
    async with LiveClient.connect(server.ws_url()) as client:
        await synced(client)
        texts = client.clause_texts()
    assert list(texts) == [c["id"] for c in expected]
    assert [texts[c["id"]] for c in expected] == [(c["title"], c["body"]) for c in expected]
    assert len(expected) >= 10


async def test_an_edit_reaches_every_client_the_sender_too_and_the_store(
    server: ServerProcess,
) -> None:
    async with (
        LiveClient.connect(server.ws_url()) as alice,
        LiveClient.connect(server.ws_url()) as bob,
    ):
        await synced(alice)
        await synced(bob)
        before = alice.updates_received
        alice.text("dignity-rights", "title").insert(0, "[A] ")
        await eventually_async(lambda: str(bob.text("dignity-rights", "title")).startswith("[A] "))
        # The server relays every update to every connection, the sender's own included.
        await eventually_async(lambda: alice.updates_received > before)
        bob.text("dignity-rights", "title").insert(0, "[B] ")
        await eventually_async(
            lambda: str(alice.text("dignity-rights", "title")).startswith("[B] [A] ")
        )
    title = next(
        c["title"]
        for c in server.get("/api/charters/lampedusa").json()["clauses"]
        if c["id"] == "dignity-rights"
    )
    assert title.startswith("[B] [A] ")


async def test_concurrent_edits_converge(server: ServerProcess) -> None:
    async with (
        LiveClient.connect(server.ws_url()) as one,
        LiveClient.connect(server.ws_url()) as two,
        LiveClient.connect(server.ws_url()) as three,
    ):
        clients = [await synced(c) for c in (one, two, three)]
        for round_ in range(30):
            for index, client in enumerate(clients):
                text = client.text("social-cohesion", "body")
                text.insert(0, f"<{index}.{round_}>")  # at 0: never inside a marker
                if round_ % 3 == 0:
                    del text[len(text) - 3 : len(text) - 1]  # the original tail, never a marker
            await asyncio.sleep(0.005)

        def same() -> bool:
            bodies = {str(c.text("social-cohesion", "body")) for c in clients}
            return len(bodies) == 1

        await eventually_async(same)
        body = str(one.text("social-cohesion", "body"))
    for index in range(3):
        for round_ in range(30):
            assert f"<{index}.{round_}>" in body
    async with LiveClient.connect(server.ws_url()) as fresh:
        await synced(fresh)
        assert str(fresh.text("social-cohesion", "body")) == body
    assert api_body(server, "social-cohesion") == body


async def test_awareness_is_relayed_and_removed_when_a_client_leaves(
    server: ServerProcess,
) -> None:
    async with LiveClient.connect(server.ws_url()) as watcher:
        await synced(watcher)
        async with LiveClient.connect(server.ws_url()) as visitor:
            await synced(visitor)
            await visitor.set_presence({"user": {"name": "Lampedusa clerk", "color": "#0a7"}})
            visitor_id = visitor.doc.client_id
            await eventually_async(lambda: watcher.awareness.get(visitor_id) is not None)
            # The server shows the member's own display name, whatever the client claims.
            assert watcher.awareness[visitor_id] == {
                "user": {"name": "Elena Editor", "color": "#0a7"}
            }
            # Query awareness (message type 3) is answered with every present state.
            await watcher.send(bytes([MessageType.QUERY_AWARENESS]))
            await eventually_async(
                lambda: any(
                    isinstance(m, AwarenessMessage)
                    and any(e.client_id == visitor_id for e in m.entries)
                    for m in _drain(watcher)
                )
            )
        # The server tells everyone when a connection's states go away with it.
        await eventually_async(
            lambda: visitor_id in watcher.awareness and watcher.awareness[visitor_id] is None
        )
    async with LiveClient.connect(server.ws_url()) as late:
        await synced(late)
        await asyncio.sleep(0.2)
        assert visitor_id not in late.awareness


async def test_a_client_cannot_speak_for_another_clients_presence(server: ServerProcess) -> None:
    async with (
        LiveClient.connect(server.ws_url()) as owner,
        LiveClient.connect(server.ws_url()) as impostor,
        LiveClient.connect(server.ws_url()) as watcher,
    ):
        for client in (owner, impostor, watcher):
            await synced(client)
        await owner.set_presence({"user": {"name": "Owner"}})
        owner_id = owner.doc.client_id
        owner_state = {"user": {"name": "Elena Editor"}}
        await eventually_async(lambda: watcher.awareness.get(owner_id) == owner_state)

        await impostor.send(awareness_message([AwarenessEntry(owner_id, 99, {"user": "X"})]))
        await impostor.set_presence({"user": {"name": "Impostor"}})
        await eventually_async(lambda: impostor.doc.client_id in watcher.awareness)
        assert watcher.awareness[owner_id] == owner_state


def _drain(client: LiveClient) -> list[object]:
    messages = []
    while not client.received.empty():
        messages.append(read_message(client.received.get_nowait()))
    return messages


async def test_unknown_charter_closes_with_4404(server: ServerProcess) -> None:
    async with websockets.connect(server.ws_url("no-such-charter")) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404
    assert "no-such-charter" in closed.value.rcvd.reason


async def test_server_speaks_first_with_sync_step1_one_message_per_frame(
    server: ServerProcess,
) -> None:
    async with websockets.connect(server.ws_url()) as socket:
        first = read_message(await asyncio.wait_for(socket.recv(), 10))
        assert isinstance(first, SyncMessage)
        assert first.kind == 0
        await socket.send(sync_step1(Doc().get_state()))
        while True:
            message = read_message(await asyncio.wait_for(socket.recv(), 10))
            if isinstance(message, SyncMessage) and message.kind == 1:
                break
    doc = Doc()
    doc.apply_update(message.payload)
    assert next(c.key for c in read_clauses(doc)) == "preamble"


async def test_twenty_clients_joining_an_unloaded_room_at_once_all_sync(
    make_server,
) -> None:
    server = make_server(env={"ROOM_IDLE_SECONDS": "0.2"})

    async def join() -> int:
        async with LiveClient.connect(server.ws_url()) as client:
            await synced(client)
            return len(client.clause_texts())

    for _ in range(3):
        counts = await asyncio.gather(*(join() for _ in range(20)))
        assert counts == [counts[0]] * 20
        assert counts[0] >= 10
        await asyncio.sleep(0.6)  # let the room unload, so the next round loads it again
    assert server.log_text().count("room lampedusa loaded") == 3


@pytest.mark.parametrize("token", ["cdt_not-a-token", None], ids=["bad-token", "anonymous"])
async def test_a_refused_caller_of_an_idle_charter_gets_nothing_and_leaves_no_room(
    make_server: ServerFactory, token: str | None
) -> None:
    """An idle charter loaded before starts loading while the caller is looked up; a refused
    caller is sent nothing but the close, and the room unloads again."""
    server = make_server(env={"ROOM_IDLE_SECONDS": "0.2"})
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
    await eventually_async(lambda: server.log_text().count("room lampedusa unloaded") == 1)
    url = server.ws_url(as_=None) + (f"?token={token}" if token else "")
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)  # the first thing received is the close
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    # It was loaded for the refused caller (while looking them up), then let go.
    await eventually_async(lambda: server.log_text().count("room lampedusa unloaded") == 2)
    assert server.log_text().count("room lampedusa loaded") == 2
    # A member still gets in and reads the charter.
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        assert "preamble" in client.clause_texts()
