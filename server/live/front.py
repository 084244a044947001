"""The first request of every connection: a plain websocket upgrade is read here, the rest by
uvicorn's HTTP protocol.

uvicorn runs this as its ``http=`` protocol (``server.cli``). Through uvicorn alone, an upgrade
request went through its HTTP protocol first (an object with an ``httptools`` parser, a
Python call per header, the socket's addresses asked of the kernel, a scope) only to be rebuilt
as bytes and handed to the websocket protocol, which read it again: measured, about as much work
per socket as all of the websocket side's own, in a burst of reconnecting clients
(``bench/README.md``). Here the connection starts as a websocket; a request that is not the plain
upgrade (``server.live.upgrade.quick_upgrade``) — any page, any API call, an upgrade with
something unusual — goes, with every byte read so far, to uvicorn's own HTTP protocol
(``httptools``, else ``h11``) as if it had been there from the start; an unusual upgrade then
comes back through uvicorn's ``ws=`` protocol and websockets' handshake, as before.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from server.live.upgrade import Upgrade
from server.live.websocket_protocol import WebSocketProtocol


class FrontProtocol(WebSocketProtocol):
    """A connection's first request: the plain upgrade is served here, anything else handed on."""

    __slots__ = ()

    def _start_app(self, upgrade: Upgrade) -> None:
        self._server.state.total_requests += 1  # as uvicorn counts every request it reads
        super()._start_app(upgrade)

    def _other_request(self, buffered: bytes, end: int) -> None:
        """Hand the connection, with what it sent so far, to uvicorn's HTTP protocol."""
        server, transport = self._server, self._transport
        assert transport is not None
        self._early = b""
        server.state.connections.discard(self)
        config = server.config
        http: Any = AutoHTTPProtocol(  # type: ignore[call-arg]
            config=config, server_state=server.state, app_state=server.app_state
        )
        transport.set_protocol(http)
        http.connection_made(transport)
        http.data_received(buffered)
