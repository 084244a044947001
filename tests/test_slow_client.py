"""A client too slow to keep up is disconnected, not skipped, and the others carry on."""

from __future__ import annotations

import asyncio
import re

import pytest
import websockets

from server.client import LiveClient
from tests.conftest import ServerFactory
from tests.servers import ServerProcess, eventually_async, read_until_closed

pytestmark = pytest.mark.timeout(120)


async def test_a_client_that_stops_reading_is_closed_with_1013(make_server: ServerFactory) -> None:
    server = make_server(env={"SEND_QUEUE_MESSAGES": "64", "SEND_QUEUE_BYTES": "4000000"})
    # max_queue=1: once one message waits unread, this client stops reading its socket.
    async with (
        websockets.connect(server.ws_url(), max_size=None, max_queue=1) as stalled,
        LiveClient.connect(server.ws_url()) as writer,
    ):
        await asyncio.wait_for(writer.synced.wait(), 10)
        chunk = "x" * 100_000
        for _ in range(200):  # 20 MB: more than socket buffers and the send queue hold
            writer.text("participation", "body").insert(0, chunk)
            await asyncio.sleep(0.01)  # a pace the healthy clients keep up with
        expected = writer.clause_texts()["participation"][1]
        assert len(expected) > 200 * 100_000
        # The others keep being served: everything is stored, and a new client gets it all.
        await eventually_async(lambda: participation_body(server) == expected, 60)
        async with LiveClient.connect(server.ws_url()) as fresh:
            await asyncio.wait_for(fresh.synced.wait(), 20)
            assert fresh.clause_texts()["participation"][1] == expected
        # ...while the stalled client was cut off: reading now ends with a 1013 close.
        await eventually_async(lambda: "disconnecting a slow client" in server.log_text(), 30)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await read_until_closed(stalled)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    # Healthy sockets were written to at once; the stalled one's backlog went through its queue.
    frames = broadcast_frames(server)
    assert frames["direct"] > 200
    assert frames["queued"] > 0


def broadcast_frames(server: ServerProcess) -> dict[str, float]:
    found = re.findall(
        r'^charter_drafts_broadcast_frames_total\{path="(\w+)"\} (\S+)$',
        server.get("/metrics", as_=None).text,
        re.MULTILINE,
    )
    return {path: float(value) for path, value in found}


def participation_body(server: ServerProcess) -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return str(next(c["body"] for c in clauses if c["id"] == "participation"))
