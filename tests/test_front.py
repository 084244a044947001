"""The front of every connection (``server.live.front``): the plain upgrade is served at once,
anything else goes to uvicorn's HTTP protocol with every byte read so far.

First against uvicorn's own parser: a request the front takes is one uvicorn reads as the same
upgrade. Then over real sockets: requests in pieces, pipelined, an upgrade after a request on a
kept-alive connection, an upgrade with its first frame in the same write, the shutdown.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import httptools
import pytest
from pycrdt import YSyncMessageType
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from charter_drafts.document.schema import load_document, read_clauses
from server.live.protocol import SyncMessage, read_message, sync_step1
from server.live.upgrade import quick_upgrade
from tests.conftest import ServerFactory
from tests.servers import ServerProcess
from tests.test_upgrade import taken_mutations

pytestmark = pytest.mark.timeout(120)


class UvicornReading:
    """What uvicorn's HTTP protocol reads of a request before it hands an upgrade on: its
    ``httptools`` parser's callbacks, and the request rebuilt as uvicorn rebuilds it."""

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def rebuilt(self, head: bytes) -> bytes | None:
        """The request uvicorn hands to its websocket protocol, or None if it hands on none."""
        parser = httptools.HttpRequestParser(self)
        try:
            parser.feed_data(head + b"\r\n\r\n")
        except httptools.HttpParserUpgrade:
            pass
        except httptools.HttpParserError:
            return None
        else:
            return None  # no upgrade
        connection = upgrade = b""
        for name, value in self.headers:  # uvicorn's test: the last of each wins
            if name == b"connection":
                connection = value
            elif name == b"upgrade":
                upgrade = value
        options = [option.strip().lower() for option in connection.split(b",")]
        if b"upgrade" not in options or upgrade.lower() != b"websocket":
            return None
        lines = [parser.get_method() + b" " + self.url + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in self.headers]
        return b"\r\n".join(lines)


def test_every_request_the_front_takes_is_the_upgrade_uvicorn_would_hand_on() -> None:
    """20,000 mutations of the plain request: each one the front reads itself, uvicorn's parser
    reads as an upgrade too, and the request it rebuilds reads the same (target, headers, key)."""
    for head, upgrade in taken_mutations(20261206):
        rebuilt = UvicornReading().rebuilt(head)
        assert rebuilt is not None, head
        assert quick_upgrade(rebuilt) == upgrade, head


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("front")
    process = ServerProcess(data_dir, f"sqlite+aiosqlite:///{data_dir / 'charter-drafts.sqlite3'}")
    process.start("--demo")
    yield process
    process.stop()


async def exchange(
    server: ServerProcess, pieces: list[bytes], until: bytes, count: int = 1
) -> bytes:
    """Write ``pieces`` one at a time (a pause between), then read until ``until`` was seen
    ``count`` times or the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.02)
        answer = b""
        async with asyncio.timeout(10):
            while answer.count(until) < count:
                data = await reader.read(65536)
                if not data:
                    break
                answer += data
        return answer
    finally:
        writer.close()
        await writer.wait_closed()


def get(path: str, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + connection + b"\r\n"


def upgrade_request(server: ServerProcess) -> tuple[ClientProtocol, bytes]:
    client = ClientProtocol(parse_uri(server.ws_url()), max_size=None)
    client.send_request(client.connect())
    return client, b"".join(client.data_to_send())


async def test_requests_in_small_pieces_are_served(server: ServerProcess) -> None:
    page = get("/api/charters", close=True)
    answer = await exchange(server, [page[:2], page[2:9], page[9:]], b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    body = b'{"body": "not json'
    post = (
        b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    answer = await exchange(server, [post[:3], post[3:40], post[40:]], b"JSON")
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert answer.endswith(b'not valid JSON"}')  # the whole body reached the application

    client, request = upgrade_request(server)
    answer = await exchange(server, [request[:4], request[4:30], request[30:]], b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 101 ")
    client.receive_data(answer)
    assert isinstance(client.events_received()[0], Response)


async def test_pipelined_requests_are_each_answered(server: ServerProcess) -> None:
    pipelined = get("/healthz") + get("/healthz", close=True)
    answer = await exchange(server, [pipelined], b"HTTP/1.1 ", 2)
    assert answer.count(b"HTTP/1.1 200 ") == 2


async def test_an_upgrade_after_a_request_on_the_same_connection(server: ServerProcess) -> None:
    """The connection is uvicorn's by then: its own way to the websocket protocol still works."""
    _, request = upgrade_request(server)
    answer = await exchange(server, [get("/healthz"), request], b"HTTP/1.1 ", 2)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 101 Switching Protocols" in answer


async def test_an_unusual_upgrade_is_answered_by_websockets(server: ServerProcess) -> None:
    _, request = upgrade_request(server)
    request = request.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8")
    answer = await exchange(server, [request], b"\r\n\r\n")
    # RFC 6455, 4.4: an unknown version is answered 426, naming the version spoken.
    assert answer.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")
    assert b"\r\nSec-WebSocket-Version: 13\r\n" in answer
    assert b"invalid Sec-WebSocket-Version header: 8" in answer
    # Any other refusal stays websockets' 400.
    _, request = upgrade_request(server)
    request = request.replace(b"Sec-WebSocket-Key: ", b"Sec-WebSocket-Key: x")
    answer = await exchange(server, [request], b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Sec-WebSocket-Version" not in answer


async def test_a_frame_in_the_same_write_as_the_upgrade_is_read(server: ServerProcess) -> None:
    """A client's sync step 1 right behind its request: the server answers it with step 2."""
    client, request = upgrade_request(server)
    frame = Frame(Opcode.BINARY, sync_step1(b"\x00")).serialize(mask=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request + frame)
    step2: SyncMessage | None = None
    async with asyncio.timeout(10):
        while step2 is None:
            data = await reader.read(65536)
            assert data, "closed before step 2"
            client.receive_data(data)
            for event in client.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                    message = read_message(event.data)
                    if not isinstance(message, SyncMessage):
                        continue
                    if message.kind is YSyncMessageType.SYNC_STEP2:
                        step2 = message
    writer.close()
    await writer.wait_closed()
    clauses = [clause.key for clause in read_clauses(load_document([bytes(step2.payload)]))]
    assert "preamble" in clauses


async def test_a_connection_that_sent_nothing_does_not_hold_up_the_shutdown(
    make_server: ServerFactory,
) -> None:
    own = make_server()
    reader, writer = await asyncio.open_connection("127.0.0.1", own.port)
    code = await asyncio.get_running_loop().run_in_executor(None, own.stop)
    assert code == -signal.SIGTERM  # uvicorn's own end after its shutdown: not killed later
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, no answer
    writer.close()
    await writer.wait_closed()
