"""The outermost ASGI app: live-document sockets go straight to their endpoint.

An open websocket holds every coroutine between the server and its endpoint for as long as it
lives: Starlette's error and exception middleware, the router and route wrappers, the session and
security middleware. The live document needs none of them but the session cookie
(``live_socket`` checks the Origin itself), so its sockets take a short path: Starlette's session
middleware reads the cookie into the scope around an app that returns at once (so no frame of it
stays for the socket's life; a request without cookies has an empty session, as the middleware
would give it), then the endpoint runs. Every other request, and the lifespan, goes
to the Starlette app. The server's own ASGI ``send`` is kept in the socket's scope for
``server.live.frames``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from server.callers.headers import header
from server.live.frames import SCOPE_KEY

LIVE_PATH = re.compile(r"/ws/charters/(?P<slug>[^/]+)")


async def _cookie_read(scope: Scope, receive: Receive, send: Send) -> None:
    """The session middleware's app here: it has put the session into the scope already."""


class LiveEntry:
    def __init__(
        self,
        app: Starlette,
        live: ASGIApp,
        session_reader: Callable[[ASGIApp], Callable[[Scope, Receive, Send], Awaitable[None]]],
    ) -> None:
        self.app = app
        self.live = live
        self.read_session = session_reader(_cookie_read)
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = LIVE_PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # the endpoint finds the services on the app's state
        scope["path_params"] = match.groupdict()
        scope[SCOPE_KEY] = send
        if header(scope, b"cookie") is not None:
            await self.read_session(scope, receive, send)
        else:  # what the session middleware makes of a request without cookies
            scope["session"] = {}
        await self.live(scope, receive, send)
