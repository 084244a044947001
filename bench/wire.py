"""A websocket client that handles every frame in the read that brought it.

The ``websockets`` asyncio client hands each message to the reading task through a queue: one
task wake-up per frame, about 15 µs of the load generator's CPU, so at 300 readers the arrival
stamps of one broadcast were spread over the 5 ms the load generator took to get to them,
whichever server sent them. Here websockets' sans-I/O ``ClientProtocol`` parses the bytes in
the transport's ``data_received`` callback, and every message found there is passed on at once
with the time of that call: the stamp is taken when the bytes reached this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import USER_AGENT, Response
from websockets.protocol import State
from websockets.uri import parse_uri

OnMessage = Callable[[float, bytes], None]


class Wire(asyncio.Protocol):
    """One client connection; ``on_message(received, data)`` for every binary message."""

    def __init__(self, url: str, on_message: OnMessage) -> None:
        self.url = url
        self._uri = parse_uri(url)
        self._protocol = ClientProtocol(self._uri, max_size=None)
        self._on_message = on_message
        self._transport: asyncio.WriteTransport | None = None
        self._fragments: list[bytes] = []
        loop = asyncio.get_running_loop()
        self._upgraded: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    @classmethod
    async def connect(cls, url: str, on_message: OnMessage) -> Wire:
        """Open the TCP connection and do the upgrade; raise if it is refused."""
        wire = cls(url, on_message)
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: wire, wire._uri.host, wire._uri.port)
        try:
            await wire._upgraded
        except BaseException:  # refused (an HTTP status), cancelled or timed out
            if wire._transport is not None:
                wire._transport.abort()
            raise
        return wire

    # What the load generator calls

    def send(self, message: bytes) -> None:
        if self._protocol.state is State.OPEN:
            self._protocol.send_binary(message)
            self._flush()

    async def close(self, grace: float = 5.0) -> None:
        """Close, waiting at most ``grace`` seconds for the server to end the connection."""
        if self._protocol.state is State.OPEN:
            self._protocol.send_close(1000)
            self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), grace)
        if self._transport is not None:
            self._transport.abort()

    @property
    def close_code(self) -> int | None:
        return self._protocol.close_code

    @property
    def close_reason(self) -> str | None:
        return self._protocol.close_reason

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a TCP transport (uvloop's too)
        request = self._protocol.connect()
        # The request the websockets asyncio client sends (and browsers send one too): servers
        # that keep the upgrade request per connection keep the same bytes.
        request.headers["User-Agent"] = USER_AGENT
        self._protocol.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        received = time.perf_counter()
        self._protocol.receive_data(data)
        for event in self._protocol.events_received():
            if isinstance(event, Response):
                self._upgrade_done()
            elif isinstance(event, Frame):
                self._frame(received, event)
        self._flush()

    def eof_received(self) -> bool | None:
        self._protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._upgraded.done():
            self._upgraded.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    # Inside

    def _upgrade_done(self) -> None:
        if self._upgraded.done():
            return
        error = self._protocol.handshake_exc
        if error is None:
            self._upgraded.set_result(None)
        else:
            self._upgraded.set_exception(error)

    def _frame(self, received: float, frame: Frame) -> None:
        if frame.opcode is Opcode.BINARY or (frame.opcode is Opcode.CONT and self._fragments):
            if frame.fin and not self._fragments:
                self._on_message(received, bytes(frame.data))
            elif frame.fin:
                self._fragments.append(bytes(frame.data))
                message, self._fragments = b"".join(self._fragments), []
                self._on_message(received, message)
            else:
                self._fragments.append(bytes(frame.data))
        # Pings are answered and closes acknowledged by the protocol itself (data_to_send).

    def _flush(self) -> None:
        transport = self._transport
        if transport is None:
            return
        for data in self._protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                transport.write_eof()
