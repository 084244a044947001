"""Broadcast frames written once and straight to each client's socket.

A broadcast sends the same message to every connection of a room. A server's websocket frames are
not masked, so the frame (header and payload) is the same bytes for every client: it is encoded
once, by websockets' own ``Frame``, and written to each connection's socket. Going through the
ASGI ``send`` instead costs a chain of coroutines (Starlette's websocket, the session middleware's
send wrapper, the protocol's ``send``) and a new encoding for every client: measured, most of the
server's CPU for a broadcast to a few hundred readers.

Only our own websocket protocol (``server.live.websocket_protocol``) is written to directly:
``direct_writer`` recognises the ASGI ``send`` it hands the application (kept in the scope by
``server.live.entry``) and returns None under any other server, which then keeps using ASGI
``send`` for every message. The protocol writes a frame at once only while nothing else waits
(connection open, nothing closing, transport not paused by flow control); otherwise the caller
falls back to ASGI ``send``, which waits for the transport to drain, in order.
"""

from __future__ import annotations

from starlette.types import Scope
from websockets.frames import Frame, Opcode

from server.live.websocket_protocol import WebSocketProtocol

SCOPE_KEY = "charter_drafts.asgi_send"  # set by server.live.entry


def encode_frame(message: bytes) -> bytes:
    """One unmasked, unfragmented binary frame carrying ``message``."""
    return Frame(Opcode.BINARY, message).serialize(mask=False)


def direct_writer(scope: Scope) -> WebSocketProtocol | None:
    """The connection under this websocket scope, if it is ours to write frames to."""
    protocol = getattr(scope.get(SCOPE_KEY), "__self__", None)
    return protocol if isinstance(protocol, WebSocketProtocol) else None
