"""The server side of every websocket: handshake, frames and the ASGI interface, lean per socket.

Every connection starts as one (``server.live.front``, uvicorn's ``http=``), as does an upgrade
uvicorn's HTTP protocol hands on (``ws=``). The protocol work is websockets' sans-I/O layer:
``server.live.upgrade`` reads the usual upgrade request, a ``ServerProtocol`` any other and
answers it if refused, then a ``Protocol`` in the OPEN state parses and writes the frames
(masking, control frames, UTF-8, the closing handshake, the size limit).

Why not uvicorn's own websockets protocol: measured over 1,000 idle readers, it kept about 20 KiB
per socket, most of the server's memory in a plenary. The upgrade request stayed alive three times
over (websockets' handshake parser keeps it in a generator frame for the connection's life, the
protocol kept it and its response, the scope its headers), every socket had an ``asyncio.Queue``
and two ``asyncio.Event`` (five deques of about 760 bytes) and a keepalive timer of its own. It
also logged each socket's whole URL, so a ``?token=`` secret went into the log. Here the handshake
objects are dropped once the response is out, a socket keeps a slotted object, the frame parser,
the scope and its task, an inbox list only while messages wait for the application, and the
keepalive pings of all sockets share one timer (``websocket_shared``, with the header table
sockets share); the log shows the path without the query.

Flow control both ways, as uvicorn's: a message the application has not taken yet stops reading
from the socket until it has (``INFLIGHT_PER_CONNECTION`` in ``server.live.endpoint`` relies on it),
and ``send`` waits while the transport's buffer is over its high-water mark. ``write_frame`` lets
``server.live.frames`` write an encoded broadcast frame straight to the socket when nothing waits.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.utils import ClientDisconnected, get_remote_addr
from uvicorn.server import ServerState
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.protocol import SEND_EOF, Protocol, Side, State
from websockets.server import ServerProtocol
from websockets.typing import BytesLike

from server.live.turns import app_started
from server.live.upgrade import Upgrade, quick_upgrade, switching_protocols, websockets_upgrade
from server.live.websocket_shared import shared_by

log = logging.getLogger(__name__)
# websockets' own per-connection lines ("connection open", "connection closed") repeat ours.
wire_log = logging.getLogger(f"{__name__}.wire")
wire_log.setLevel(logging.WARNING)

ASGIMessage = dict[str, Any]
# Bytes read while waiting for the end of an upgrade request before the connection is dropped
# (uvicorn hands over whole requests; websockets answers 431 to a header line over 8 KiB).
MAX_REQUEST_BYTES = 64 * 1024
# Seconds to wait for the peer's answer to our close frame (or for a full send buffer to drain
# once we closed); then the connection is dropped.
CLOSE_TIMEOUT = 5.0


class WebSocketProtocol(asyncio.Protocol):
    """One websocket connection, from the upgrade request to the closed TCP connection."""

    __slots__ = (
        "_accepted",
        "_alive",
        "_close_sent",
        "_close_timer",
        "_disconnect",
        "_drain",
        "_early",
        "_fragments",
        "_frames",
        "_handshake",
        "_inbox",
        "_key_accept",
        "_lost",
        "_pinged",
        "_read_paused",
        "_scope",
        "_server",
        "_text",
        "_transport",
        "_waiter",
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self._server = shared_by(config, server_state, app_state)
        self._transport: asyncio.Transport | None = None
        # websockets' handshake, for a request ``quick_upgrade`` does not take, or a refusal.
        self._handshake: ServerProtocol | None = None
        self._early = b""  # bytes received before the upgrade is done
        # The request's accept key, until the app accepts (``switching_protocols`` answers).
        self._key_accept: str | None = None
        self._frames: Protocol | None = None  # after the upgrade
        self._scope: dict[str, Any] | None = None
        self._inbox: list[ASGIMessage] | None = None  # events the app has not taken yet
        self._waiter: asyncio.Future[ASGIMessage] | None = None  # the app waiting for one
        self._drain: asyncio.Future[None] | None = None  # while the transport's buffer is full
        self._disconnect: ASGIMessage | None = None  # once told, told again on every receive
        self._fragments: list[BytesLike] | None = None  # of a fragmented message
        self._text = False
        self._accepted = False  # the upgrade response (or a refusal) went out
        self._close_sent = False
        self._lost = False
        self._read_paused = False
        self._alive = True  # something arrived since the last keepalive ping
        self._pinged = False
        self._close_timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._server.state.connections.add(self)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        server = self._server
        server.state.connections.discard(self)
        server.forget(self)
        self._lost = True
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        self._tell_disconnect(1006, "")
        self._wake_senders()

    def pause_writing(self) -> None:
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self._wake_senders()

    def data_received(self, data: bytes) -> None:
        frames = self._frames
        if frames is None:
            self._receive_upgrade(data)
            return
        frames.receive_data(data)
        self._alive = True
        for frame in frames.events_received():
            self._on_frame(frames, cast(Frame, frame))
        self._write_out(frames)
        if frames.parser_exc is not None:  # a protocol error, a message too big, bad UTF-8
            sent = frames.close_sent
            self._tell_disconnect(sent.code if sent else 1006, sent.reason if sent else "")

    def eof_received(self) -> bool | None:
        return None  # the transport closes; connection_lost tells the app

    # uvicorn's server calls these

    def shutdown(self) -> None:
        """The server is stopping: close with 1012 (service restart); an upgrade request the
        app has not answered yet is refused with 503, a connection with no whole request yet
        is closed."""
        transport = self._transport
        assert transport is not None
        if not self._accepted and self._scope is not None:
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE)
        elif not self._close_sent and self._frames is not None:
            self._tell_disconnect(1012, "")
            self._close(self._frames, 1012, "")
        self._shut()

    def keepalive(self) -> None:
        """Called every ping interval: ping, or close if the previous ping went unanswered."""
        frames = self._frames
        if frames is None or self._close_sent or frames.state is not State.OPEN:
            return
        # While the app has not taken what came (back-pressure), the socket is not read: the
        # silence is ours, not the peer's.
        if self._pinged and not self._alive and not self._read_paused:
            log.info("%s: no answer to the keepalive ping; closing", self._peer())
            frames.fail(1011, "keepalive ping timeout")
            self._close_sent = True
            self._write_out(frames)
            self._tell_disconnect(1011, "keepalive ping timeout")
            return
        self._alive = False
        self._pinged = True
        frames.send_ping(b"")
        self._write_out(frames)

    # The ASGI interface

    async def receive(self) -> ASGIMessage:
        inbox = self._inbox
        if inbox:
            event = inbox.pop(0)
            if not inbox:
                self._inbox = None
                self._resume_reading()
            return event
        if self._disconnect is not None:
            return self._disconnect
        waiter: asyncio.Future[ASGIMessage] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            return await waiter
        finally:
            self._waiter = None

    async def send(self, message: ASGIMessage) -> None:
        # A close does not wait for the buffer to drain: a peer that never reads would hold it
        # (and the socket) for good. It is written behind what waits; the abort timer ends it.
        if self._drain is not None and message["type"] != "websocket.close":
            await asyncio.shield(self._drain)
        if self._lost:
            raise ClientDisconnected()
        kind = message["type"]
        if not self._accepted:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._refuse(HTTPStatus.FORBIDDEN)
            else:
                raise RuntimeError(
                    f"Expected 'websocket.accept' or 'websocket.close', got '{kind}'"
                )
            return
        frames = self._frames
        if self._close_sent or frames is None:  # closing: the app's close, the peer's, a ping's
            raise ClientDisconnected()
        try:
            if kind == "websocket.send":
                data = message.get("bytes")
                if data is not None:
                    frames.send_binary(data)
                else:
                    frames.send_text(message["text"].encode())
                self._write_out(frames)
            elif kind == "websocket.close":
                code, reason = message.get("code", 1000), message.get("reason") or ""
                self._tell_disconnect(code, reason)
                self._close(frames, code, reason)
            else:
                raise RuntimeError(f"Expected 'websocket.send' or 'websocket.close', got '{kind}'")
        except InvalidState:  # the peer's close frame came first
            raise ClientDisconnected() from None

    def write_frame(self, frame: bytes) -> bool:
        """Write an encoded data frame now if the socket takes it at once; False: use ``send``."""
        frames = self._frames
        transport = self._transport
        if (
            frames is None
            or self._close_sent
            or self._lost
            or self._drain is not None
            or frames.state is not State.OPEN
            or transport is None
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True

    # The upgrade

    def _receive_upgrade(self, data: bytes) -> None:
        buffered = self._early + data
        if self._scope is not None or self._accepted:  # frames sent before our response
            if len(buffered) > MAX_REQUEST_BYTES + (self._server.max_size or 0):
                self._shut()
            else:
                self._early = buffered  # read after it
            return
        end = buffered.find(b"\r\n\r\n")
        upgrade = quick_upgrade(buffered[:end]) if end >= 0 else None
        if upgrade is None:
            if end < 0 and len(buffered) <= MAX_REQUEST_BYTES and b"GET /".startswith(buffered[:5]):
                self._early = buffered  # the plain upgrade's head, not whole yet
            else:
                self._other_request(buffered, end)
            return
        self._early = buffered[end + 4 :]
        self._key_accept = upgrade.accept
        self._start_app(upgrade)

    def _other_request(self, buffered: bytes, end: int) -> None:
        """A request ``quick_upgrade`` does not take (``end``: where its head ends, or -1 if it
        has not yet): websockets' handshake reads it, and answers what is wrong."""
        if end < 0:
            if len(buffered) > MAX_REQUEST_BYTES:
                self._shut()
            else:
                self._early = buffered
            return
        self._early = buffered[end + 4 :]
        handshake = self._handshake = _handshake()
        upgrade = websockets_upgrade(handshake, buffered[: end + 4])
        if upgrade is None:  # refused: the handshake holds its answer
            self._accepted = self._close_sent = True
            self._write_out(handshake)
            self._shut()
            return
        self._key_accept = upgrade.accept
        self._start_app(upgrade)

    def _start_app(self, upgrade: Upgrade) -> None:
        server = self._server
        transport = self._transport
        assert transport is not None
        self._scope = scope = server.scope_of(upgrade.target, upgrade.headers, transport)
        self._put({"type": "websocket.connect"})
        task = asyncio.get_running_loop().create_task(self._run_app(scope))
        app_started(task.get_loop())  # the joins' look-up waits for the tasks of this turn
        server.state.tasks.add(task)
        task.add_done_callback(server.state.tasks.discard)

    async def _run_app(self, scope: dict[str, Any]) -> None:
        try:
            await self._server.app(scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except Exception:
            log.exception("%s: error in the websocket application", self._peer())
            self._end(HTTPStatus.INTERNAL_SERVER_ERROR, 1011)
        else:
            if not self._accepted:
                log.error("%s: the application neither accepted nor refused", self._peer())
            self._end(HTTPStatus.INTERNAL_SERVER_ERROR, 1000)
        if self._close_timer is None and self._transport is not None:
            self._shut()

    def _end(self, status: HTTPStatus, code: int) -> None:
        """The app is done: refuse an upgrade it never answered, close a socket it left open."""
        frames = self._frames
        if not self._accepted:
            self._refuse(status)
        elif frames is not None and not self._close_sent and frames.state is State.OPEN:
            self._close(frames, code, "")

    def _accept(self, message: ASGIMessage) -> None:
        raw = [*self._server.state.default_headers, *message.get("headers", [])]
        if message.get("subprotocol"):
            raw.append((b"Sec-WebSocket-Protocol", message["subprotocol"].encode("latin-1")))
        transport, key_accept = self._transport, self._key_accept
        assert transport is not None
        assert key_accept is not None
        if not transport.is_closing():
            transport.write(switching_protocols(key_accept, raw))
        self._accepted = True
        # The handshake parser keeps the request alive: a frame parser of its own from here.
        self._frames = Protocol(
            Side.SERVER, state=State.OPEN, max_size=self._server.max_size, logger=wire_log
        )
        self._handshake = self._key_accept = None
        self._server.watch(self)
        # DEBUG: one line per socket is most of the cost of a join (measured: a tenth of the
        # server's time while 2,000 clients joined); the metrics count them.
        log.debug("%s - websocket %s accepted", self._peer(), self._path())
        early, self._early = self._early, b""
        if early:
            self.data_received(early)

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer the upgrade request with an HTTP error instead of the websocket."""
        if self._accepted:
            return
        handshake = self._handshake = self._handshake or _handshake()
        self._accepted = self._close_sent = True
        log.info("%s - websocket %s refused: %d", self._peer(), self._path(), status)
        handshake.send_response(handshake.reject(status, f"{status.phrase}\n"))
        self._write_out(handshake)
        self._tell_disconnect(1006, "")
        self._shut()

    # Frames

    def _on_frame(self, frames: Protocol, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._on_message(opcode is Opcode.TEXT, frame.data)
            else:
                self._text, self._fragments = opcode is Opcode.TEXT, [frame.data]
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._on_message(self._text, data)
        elif opcode is Opcode.CLOSE and not self._close_sent:
            received = frames.close_rcvd
            self._close_sent = True  # websockets answered it; the TCP connection closes next
            if received is None:
                self._tell_disconnect(1005, "")
            else:
                self._tell_disconnect(received.code, received.reason)
        # Pings are answered by websockets itself; any frame (a pong too) counts as alive.

    def _on_message(self, text: bool, data: BytesLike) -> None:
        if self._close_sent:
            return  # the app is past its close: read on only for the peer's answer
        if text:
            try:
                self._put({"type": "websocket.receive", "text": str(data, "utf-8")})
            except UnicodeDecodeError:
                assert self._frames is not None
                self._frames.fail(1007, "invalid UTF-8")
                self._close_sent = True
                self._tell_disconnect(1007, "invalid UTF-8")
        else:
            # bytes, not a view or bytearray: what the app gets is its own (pycrdt takes bytes).
            self._put({"type": "websocket.receive", "bytes": bytes(data)})

    def _close(self, frames: Protocol, code: int, reason: str) -> None:
        frames.send_close(code, reason)
        self._close_sent = True
        self._write_out(frames)
        self._resume_reading()  # for the peer's answer
        self._abort_later()

    def _write_out(self, protocol: Protocol) -> None:
        """Write what the websocket protocol has for the network; close at its end of stream."""
        transport = self._transport
        assert transport is not None
        chunks = protocol.data_to_send()
        if not chunks:
            return
        end = SEND_EOF in chunks
        data = b"".join(chunks)
        if data and not transport.is_closing():
            transport.write(data)
        if end:
            self._shut()

    # Events for the app

    def _put(self, event: ASGIMessage) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(event)
            return
        if self._inbox is None:
            self._inbox = []
        self._inbox.append(event)
        # Back-pressure: read no more until the app has taken what waits.
        if not self._read_paused and self._transport is not None and not self._lost:
            self._read_paused = True
            self._transport.pause_reading()

    def _tell_disconnect(self, code: int, reason: str) -> None:
        if self._disconnect is None:
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._put(self._disconnect)

    def _resume_reading(self) -> None:
        if self._read_paused and not self._lost and self._transport is not None:
            self._read_paused = False
            self._transport.resume_reading()

    def _wake_senders(self) -> None:
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _shut(self) -> None:
        """Close the TCP connection once what is buffered is sent, or ``CLOSE_TIMEOUT`` from
        now whatever is left: a peer that stops reading would keep it open for good."""
        if self._transport is not None:
            self._transport.close()
            self._abort_later()

    def _abort_later(self) -> None:
        if self._close_timer is None and self._transport is not None and not self._lost:
            loop = asyncio.get_running_loop()
            self._close_timer = loop.call_later(CLOSE_TIMEOUT, self._abort_now)

    def _abort_now(self) -> None:
        self._close_timer = None
        transport = self._transport
        if transport is not None and not self._lost:
            unsent = transport.get_write_buffer_size()
            log.info("%s: closing timed out; dropped with %d bytes unsent", self._peer(), unsent)
            transport.abort()

    def _peer(self) -> str:
        client = get_remote_addr(self._transport) if self._transport else None
        return f"{client[0]}:{client[1]}" if client else "?"

    def _path(self) -> str:
        return self._scope["path"] if self._scope else "?"  # never the query: it may hold a token


def _handshake() -> ServerProtocol:
    return ServerProtocol(max_size=None, logger=wire_log)
