"""What every websocket of one uvicorn server shares: settings, the keepalive timer, headers.

``websocket_protocol`` is one socket; this is the little state its sockets have in common,
kept once per server instead of once per socket: the app and the settings it reads from
uvicorn's config, the ping timer (sockets are pinged in groups, so the pings of thousands of
sockets are spread over the interval instead of written in one turn of the loop), and a table of
header names and common (name, value) pairs (one browser or one library sends the same
``User-Agent``, ``Host``, ``Upgrade``… on every socket).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast
from urllib.parse import unquote

from uvicorn.config import Config
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.server import ServerState

ASGI = {"version": "3.0", "spec_version": "2.4"}
PING_GROUPS = 10  # the sockets are pinged in this many groups, one after the other
# Headers whose values are the same for many sockets: each distinct (name, value) is kept once
# for all of them, as is every header name.
SHARED_VALUES = frozenset(
    {
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "host",
        "origin",
        "pragma",
        "sec-websocket-extensions",
        "sec-websocket-version",
        "upgrade",
        "user-agent",
    }
)
MAX_SHARED = 4096  # distinct names and (name, value) pairs kept; the table starts again beyond it
_names: dict[str, bytes] = {}
_pairs: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def scope_headers(request: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """The request's headers (names lower-case) as ASGI wants them: bytes."""
    if len(_names) >= MAX_SHARED or len(_pairs) >= MAX_SHARED:
        _names.clear()
        _pairs.clear()
    headers = []
    for lower, value in request:
        if lower in SHARED_VALUES:
            pair = _pairs.get((lower, value))
            if pair is None:
                pair = _pairs[lower, value] = (lower.encode(), value.encode("latin-1"))
            headers.append(pair)
            continue
        encoded = _names.get(lower)
        if encoded is None:
            encoded = _names[lower] = lower.encode("latin-1")
        headers.append((encoded, value.encode("latin-1")))
    return headers


class Pinged(Protocol):
    def keepalive(self) -> None: ...


class Shared:
    """One uvicorn server's sockets: its app and settings, and the ping timer."""

    def __init__(self, config: Config, state: ServerState, app_state: dict[str, Any]) -> None:
        self.config = config
        self.app = cast(Callable[..., Awaitable[None]], config.loaded_app)
        self.root_path = config.root_path
        self.max_size = config.ws_max_size
        self.ping_interval = config.ws_ping_interval
        self.app_state = app_state
        self.state = state
        self.groups: list[set[Pinged]] = [set() for _ in range(PING_GROUPS)]  # accepted, not lost
        self._joined = 0
        self._turn = 0
        self._pinger: asyncio.TimerHandle | None = None

    def scope_of(
        self, target: str, headers: list[tuple[str, str]], transport: asyncio.Transport
    ) -> dict[str, Any]:
        """The ASGI scope of an upgrade request for ``target`` (path and query) with ``headers``
        (names lower-case)."""
        raw_path, _, query = target.partition("?")
        subprotocols = [
            token.strip()
            for name, value in headers
            if name == "sec-websocket-protocol"
            for token in value.split(",")
        ]
        return {
            "type": "websocket",
            "asgi": ASGI,
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(transport) else "ws",
            "server": get_local_addr(transport),
            "client": get_remote_addr(transport),
            "root_path": self.root_path,
            "path": self.root_path + unquote(raw_path),
            "raw_path": (self.root_path + raw_path).encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "headers": scope_headers(headers),
            "subprotocols": subprotocols,
            "state": self.app_state.copy(),
            "extensions": {},
        }

    def watch(self, socket: Pinged) -> None:
        self.groups[self._joined % PING_GROUPS].add(socket)
        self._joined += 1
        if self._pinger is None and self.ping_interval:
            self._schedule()

    def forget(self, socket: Pinged) -> None:
        for group in self.groups:
            group.discard(socket)

    def _schedule(self) -> None:
        assert self.ping_interval
        loop = asyncio.get_running_loop()
        self._pinger = loop.call_later(self.ping_interval / PING_GROUPS, self._ping_group)

    def _ping_group(self) -> None:
        """Ping the sockets of the next group; each group comes round once an interval."""
        self._pinger = None
        self._turn = (self._turn + 1) % PING_GROUPS
        for socket in list(self.groups[self._turn]):
            socket.keepalive()
        if any(self.groups):
            self._schedule()


_shared: dict[int, Shared] = {}  # by id of uvicorn's ServerState: one per server in the process


def shared_by(config: Config, state: ServerState, app_state: dict[str, Any]) -> Shared:
    """What the sockets of this uvicorn server share (made with its first socket)."""
    shared = _shared.get(id(state))
    if shared is None or shared.state is not state:
        shared = _shared[id(state)] = Shared(config, state, app_state)
    return shared
