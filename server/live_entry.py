"""The outermost ASGI app: live-document sockets go straight to their endpoint.

An open websocket holds every coroutine between the server and its endpoint for as long as it
lives: Starlette's error and exception middleware, the router and route wrappers, the session and
security middleware. The live document needs none of them but the session cookie
(``charter_socket`` checks the Origin itself), so its sockets take a short path through one session
middleware; every other request, and the lifespan, goes to the Starlette app. The server's own ASGI
``send`` is kept in the socket's scope for ``server.frames``.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from server.frames import SCOPE_KEY

LIVE_PATH = re.compile(r"/ws/charters/(?P<slug>[^/]+)")


class LiveEntry:
    def __init__(self, app: Starlette, live: ASGIApp) -> None:
        self.app = app
        self.live = live
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = LIVE_PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # the endpoint finds the services on the app's state
        scope["path_params"] = match.groupdict()
        scope[SCOPE_KEY] = send
        await self.live(scope, receive, send)
