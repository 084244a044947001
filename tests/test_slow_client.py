"""A client too slow to keep up is disconnected, not skipped, and the others carry on."""

from __future__ import annotations

import asyncio
import re
from socket import IPPROTO_TCP, TCP_INFO

import pytest
import websockets

from server.client import LiveClient
from tests.conftest import ServerFactory
from tests.servers import ServerProcess, eventually_async, read_until_closed

pytestmark = pytest.mark.timeout(120)
ESTABLISHED = 1


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


def tcp_state(socket: websockets.ClientConnection) -> int:
    """The kernel's state of the client's TCP connection (1: established), read without
    reading the socket."""
    raw = socket.transport.get_extra_info("socket")
    return raw.getsockopt(IPPROTO_TCP, TCP_INFO, 1)[0]


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"SEND_QUEUE_MESSAGES": "4", "PING_INTERVAL_SECONDS": "60"}, "send queue full"),
        ({"SEND_QUEUE_BYTES": "400000000", "PING_INTERVAL_SECONDS": "2"}, "keepalive ping"),
    ],
)
async def test_a_client_that_never_reads_is_released(
    make_server: ServerFactory, env: dict[str, str], why: str
) -> None:
    """The close waited for a send buffer the peer never drains: the socket stayed open with
    megabytes unsent in the kernel for minutes. Now it is dropped a few seconds after."""
    server = make_server(env=env)
    async with (
        websockets.connect(server.ws_url(), max_size=None, max_queue=1, close_timeout=1) as stalled,
        LiveClient.connect(server.ws_url()) as writer,
    ):
        await asyncio.wait_for(writer.synced.wait(), 10)
        assert tcp_state(stalled) == ESTABLISHED
        chunk = "y" * 100_000
        for _ in range(60):  # 6 MB: more than the socket buffers hold
            writer.text("participation", "body").insert(0, chunk)
            await asyncio.sleep(0.01)
        # Whatever decided it (the send queue or the keepalive ping), the TCP connection ends
        # even though this client never reads another byte.
        await eventually_async(lambda: tcp_state(stalled) != ESTABLISHED, 30)
        assert "dropped with" in server.log_text()
        assert why in server.log_text()
        # The others carry on.
        received = writer.updates_received
        writer.text("participation", "title").insert(0, "after ")
        await eventually_async(lambda: writer.updates_received > received, 10)
