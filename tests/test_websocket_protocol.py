"""The websocket layer itself (``server.live.websocket_protocol``): upgrade, frames, keepalive,
logs.

Some clients here speak websockets' sans-I/O client over a plain TCP stream, so a test decides
exactly what goes on the wire and when: pings left unanswered, bad UTF-8, a malformed request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from charter_drafts.document.schema import load_document, read_clauses
from server.client import LiveClient
from server.live.protocol import SyncMessage, read_message, sync_step1
from tests.conftest import ServerFactory
from tests.servers import EDITOR, ServerProcess, eventually_async, read_until_closed

pytestmark = pytest.mark.timeout(120)

PING_INTERVAL = 0.5
EMPTY_STATE_VECTOR = b"\x00"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A demo server that pings every half second and logs everything (DEBUG)."""
    data_dir: Path = tmp_path_factory.mktemp("websocket-protocol")
    process = ServerProcess(
        data_dir,
        f"sqlite+aiosqlite:///{data_dir / 'charter-drafts.sqlite3'}",
        {"PING_INTERVAL_SECONDS": str(PING_INTERVAL)},
    )
    process.start("--demo", "--log-level", "debug")
    yield process
    process.stop()


class RawClient:
    """websockets' sans-I/O client over a TCP stream; it answers nothing unless told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol: ClientProtocol | None = None
        self.events: list[Frame | Response] = []

    @classmethod
    async def open(cls, url: str) -> RawClient:
        """Send the upgrade request."""
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        client = cls(reader, writer)
        client.protocol = ClientProtocol(parse_uri(url), max_size=None)
        client.protocol.send_request(client.protocol.connect())
        writer.write(b"".join(client.protocol.data_to_send()))
        await writer.drain()
        return client

    async def read_until(self, done: object, within: float = 10) -> None:
        """Read and parse until ``done(events)`` is true or the server closes the connection."""
        assert self.protocol is not None
        async with asyncio.timeout(within):
            while not done(self.events):  # type: ignore[operator]
                data = await self.reader.read(65536)
                if not data:
                    self.protocol.receive_eof()
                    return
                self.protocol.receive_data(data)
                self.events += self.protocol.events_received()  # type: ignore[arg-type]

    def frames(self, opcode: Opcode) -> list[Frame]:
        return [e for e in self.events if isinstance(e, Frame) and e.opcode is opcode]

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def masked(opcode: Opcode, payload: bytes) -> bytes:
    """A client's frame (clients mask theirs)."""
    return Frame(opcode, payload).serialize(mask=True)


def step2_clauses(frame: bytes) -> list[str]:
    message = read_message(frame)
    assert isinstance(message, SyncMessage)
    return [clause.key for clause in read_clauses(load_document([message.payload]))]


async def test_the_log_names_the_socket_path_never_its_token(server: ServerProcess) -> None:
    """Not even at DEBUG, where every socket is logged."""
    token = server.token(EDITOR)
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
    await eventually_async(lambda: "websocket /ws/charters/lampedusa accepted" in server.log_text())
    assert token not in server.log_text()


async def test_a_socket_that_answers_no_ping_is_closed_one_that_answers_stays(
    server: ServerProcess,
) -> None:
    async with LiveClient.connect(server.ws_url()) as answering:  # websockets answers pings
        await asyncio.wait_for(answering.synced.wait(), 10)
        silent = await RawClient.open(server.ws_url())
        try:
            await silent.read_until(lambda events: False, within=10 * PING_INTERVAL)
        finally:
            await silent.close()
        assert silent.frames(Opcode.PING), "the server pings"
        assert silent.protocol is not None
        assert silent.protocol.close_rcvd is not None
        assert silent.protocol.close_rcvd.code == 1011
        assert silent.protocol.close_rcvd.reason == "keepalive ping timeout"
        # Meanwhile, the client that answers was pinged as often and is still served.
        assert answering.socket.state is State.OPEN
        answering.text("preamble", "title").insert(0, "still here: ")
        await eventually_async(lambda: answering.updates_received > 0)


async def test_a_message_in_several_fragments_is_read_whole(server: ServerProcess) -> None:
    message = sync_step1(EMPTY_STATE_VECTOR)
    async with websockets.connect(server.ws_url(), max_size=None) as socket:
        await socket.recv()  # the server's sync step 1
        await socket.send([message[:1], message[1:2], message[2:]])  # three frames, one message
        reply = await asyncio.wait_for(socket.recv(), 10)
    assert isinstance(reply, bytes)
    assert "preamble" in step2_clauses(reply)


async def test_a_malformed_upgrade_request_gets_400_and_the_server_carries_on(
    server: ServerProcess,
) -> None:
    port = urlsplit(server.base_url).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(  # no Sec-WebSocket-Key, no version
        b"GET /ws/charters/lampedusa HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)  # until the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)


async def test_an_oversized_upgrade_request_gets_431_and_the_server_carries_on(
    server: ServerProcess,
) -> None:
    port = urlsplit(server.base_url).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /ws/charters/lampedusa HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nX-Padding: " + b"a" * 70_000 + b"\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)  # until the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"\r\n\r\n" in answer  # a whole response, then the end of the connection
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)


async def test_a_socket_refused_before_its_upgrade_gets_403(server: ServerProcess) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/elsewhere"):
            pass
    assert refused.value.response.status_code == 403


async def test_a_ping_from_the_client_gets_its_pong(server: ServerProcess) -> None:
    async with websockets.connect(server.ws_url(), max_size=None) as socket:
        await socket.recv()
        pong = await socket.ping(b"are you there")
        latency = await asyncio.wait_for(pong, 5)
    assert latency >= 0


async def test_text_that_is_not_utf8_closes_with_1007(server: ServerProcess) -> None:
    client = await RawClient.open(server.ws_url())
    try:
        await client.read_until(lambda events: bool(client.frames(Opcode.BINARY)))  # step 1
        client.writer.write(masked(Opcode.TEXT, b"\xff\xfe not utf-8"))
        await client.read_until(lambda events: False)  # until closed
    finally:
        await client.close()
    assert client.protocol is not None
    assert client.protocol.close_rcvd is not None
    assert client.protocol.close_rcvd.code == 1007


async def test_shutdown_closes_live_sockets_with_1012(make_server: ServerFactory) -> None:
    own = make_server()
    async with websockets.connect(own.ws_url(), max_size=None) as socket:
        await socket.recv()
        stopping = asyncio.get_running_loop().run_in_executor(None, own.stop)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await read_until_closed(socket, 20)
        await stopping
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
