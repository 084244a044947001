"""Broadcast frames written once and straight to each client's socket.

A broadcast sends the same message to every connection of a room. A server's websocket frames are
not masked, so the frame (header and payload) is the same bytes for every client: it is encoded
once, by websockets' own ``Frame``, and written to each connection's transport. Going through the
ASGI ``send`` instead costs a chain of coroutines (Starlette's websocket, each middleware's send
wrapper, uvicorn's protocol) and a new encoding for every client: measured, most of the server's
CPU for a broadcast to a few hundred readers.

Only uvicorn's ``websockets-sansio`` protocol is written to directly: ``raw_transport`` recognises
the ASGI ``send`` it hands the application (a bound method of that protocol) and returns None for
anything else, which then keeps using ASGI ``send`` for every message. A direct write happens only
while the protocol would itself write a data frame at once: handshake done, connection open,
nothing closing, transport not paused by flow control. Otherwise the caller falls back to ASGI
``send``, which waits for the transport to drain, in order.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope
from websockets.frames import Frame, Opcode
from websockets.protocol import State

SCOPE_KEY = "charter_drafts.asgi_send"  # set by server.live_entry


def encode_frame(message: bytes) -> bytes:
    """One unmasked, unfragmented binary frame carrying ``message``."""
    return Frame(Opcode.BINARY, message).serialize(mask=False)


class RawTransport:
    """Writes whole frames to one uvicorn websockets-sansio connection, when it may."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    def write(self, frame: bytes) -> bool:
        """Write ``frame`` now if the connection takes it at once; False: use ASGI ``send``."""
        protocol = self._protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN
            or protocol.conn.extensions
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(frame)
        return True


def raw_transport(scope: Scope) -> RawTransport | None:
    """Direct access to the connection under this websocket scope, if it is uvicorn's sansio one."""
    send = scope.get(SCOPE_KEY)
    protocol = getattr(send, "__self__", None)
    if type(protocol).__name__ != "WebSocketsSansIOProtocol":
        return None
    expected = ("transport", "writable", "conn", "close_sent", "disconnected")
    if not all(hasattr(protocol, name) for name in expected):
        return None
    return RawTransport(protocol)
