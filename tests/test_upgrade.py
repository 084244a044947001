"""The quick reading of the usual upgrade request (``server.live.upgrade``) against websockets'
own handshake: it never accepts a request websockets refuses, and what it accepts it reads and
answers as websockets does. Then over a real socket: the 101 the server writes for it."""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from websockets.http11 import Request
from websockets.server import ServerProtocol
from websockets.utils import accept_key

from server.live.upgrade import Upgrade, quick_upgrade, switching_protocols
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(120)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
PLAIN = (
    "GET /ws/charters/lampedusa?token=cdt_x&lang=fr HTTP/1.1\r\n"
    "Host: 127.0.0.1:8000\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
    "Origin: http://127.0.0.1:8000"
).encode("latin-1")

MUTATIONS = b"\x00\x01\t\r\n :,;=/aAzZ09-_+" + bytes(range(0x7E, 0x82))


def websockets_reading(head: bytes) -> tuple[str, list[tuple[str, str]], str] | None:
    """What websockets' handshake makes of ``head``: target, headers and accept key, or None
    if it refuses the request."""
    handshake = ServerProtocol(max_size=None)
    handshake.receive_data(head + b"\r\n\r\n")
    events = handshake.events_received()
    if not events:
        return None
    request = events[0]
    assert isinstance(request, Request)
    response = handshake.accept(request)
    if response.status_code != 101:
        return None
    headers = [(name.lower(), value) for name, value in request.headers.raw_items()]
    return request.path, headers, response.headers["Sec-WebSocket-Accept"]


def mutated(rng: random.Random, request: bytes) -> bytes:
    """``request`` with one to three bytes changed, inserted or removed (some of them bytes
    that matter to HTTP: separators, line ends, controls, the first non-ASCII)."""
    head = bytearray(request)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(head))
        choice = rng.random()
        if choice < 0.4:
            head[at] = rng.choice(MUTATIONS)
        elif choice < 0.7:
            head.insert(at, rng.choice(MUTATIONS))
        else:
            del head[at]
    return bytes(head)


def taken_mutations(seed: int, count: int = 20_000) -> Iterator[tuple[bytes, Upgrade]]:
    """Of ``count`` mutations of the plain request, each one ``quick_upgrade`` takes, with its
    reading; more than 1,000 of them (most changes fall in names or values that still make a
    valid request)."""
    rng = random.Random(seed)
    taken = 0
    for _ in range(count):
        head = mutated(rng, PLAIN)
        upgrade = quick_upgrade(head)
        if upgrade is not None:
            taken += 1
            yield head, upgrade
    assert taken > 1000


def test_the_plain_request_is_read_as_websockets_reads_it() -> None:
    upgrade = quick_upgrade(PLAIN)
    assert upgrade is not None
    assert (upgrade.target, upgrade.headers, upgrade.accept) == websockets_reading(PLAIN)
    assert upgrade.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455's example


@pytest.mark.parametrize(
    "head",
    [
        PLAIN.replace(b"GET ", b"POST "),
        PLAIN.replace(b"HTTP/1.1", b"HTTP/1.0"),
        PLAIN.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
        PLAIN.replace(b"Connection: Upgrade", b"Connection: keep-alive"),
        PLAIN.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"),
        PLAIN.replace(KEY.encode(), b"c2hvcnQ="),  # 5 bytes, not 16
        PLAIN.replace(KEY.encode(), b"not base64!"),
        PLAIN + b"\r\nSec-WebSocket-Key: " + KEY.encode(),  # twice
        PLAIN + b"\r\nUpgrade: websocket",
        PLAIN + b"\r\nX-Bad Name: 1",
        PLAIN + b"\r\nX-Control: a\x01b",
        PLAIN + b"\r\nX-Lone: a\rb",
        PLAIN + b"\r\nX-Long: " + b"a" * 9000,
        PLAIN + b"".join(b"\r\nX-%d: 1" % i for i in range(130)),
        PLAIN.replace(b"/ws/charters", b"http://elsewhere/ws/charters"),
        PLAIN.replace(b"lampedusa", b"lamp\xe9dusa"),
        PLAIN + b"\r\nContent-Length: 5",
        PLAIN + b"\r\nTransfer-Encoding: chunked",
    ],
)
def test_a_request_that_is_not_the_plain_one_is_left_to_websockets(head: bytes) -> None:
    assert quick_upgrade(head) is None


def test_mutated_requests_are_never_accepted_where_websockets_refuses() -> None:
    """20,000 requests, each the plain one with a few bytes changed, inserted or removed: each
    one either left to websockets, or read exactly as websockets reads it."""
    for head, upgrade in taken_mutations(20261205):
        reading = websockets_reading(head)
        assert reading == (upgrade.target, upgrade.headers, upgrade.accept), head


def test_the_answer_carries_the_accept_key_and_the_given_headers() -> None:
    key = base64.b64encode(bytes(range(16))).decode()
    answer = switching_protocols(accept_key(key), [(b"server", b"uvicorn"), (b"x-a", b"1")])
    assert answer == (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n"
        b"server: uvicorn\r\nx-a: 1\r\n\r\n"
    )


async def test_the_server_answers_a_plain_request_with_a_whole_101(server: ServerProcess) -> None:
    port = urlsplit(server.base_url).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /ws/charters/lampedusa?token=" + server.token().encode() + b" HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
        b"Sec-WebSocket-Key: " + KEY.encode() + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    writer.close()
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols"
    fields = {line.partition(": ")[0].lower(): line.partition(": ")[2] for line in lines[1:-2]}
    assert fields["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert fields["upgrade"] == "websocket"
    assert fields["connection"] == "Upgrade"
    assert "date" in fields  # uvicorn's, as for any of its answers
