"""The composition root: routes, middleware, lifespan and error handlers. No logic here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Literal, TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.live.endpoint import live_socket
from server.live.entry import LiveEntry
from server.services import Services
from server.settings import Settings
from server.web import (
    account_pages,
    endorsement_pages,
    errors,
    forms,
    history_pages,
    pages,
    report,
    review,
    versions_pages,
)
from server.web.events import StreamGate
from server.web.routes import (
    accounts,
    amendments,
    charters,
    clauses,
    comments,
    endorsements,
    members,
    ops,
    organisations,
    revisions,
    session,
    tokens,
    versions,
)
from server.web.security import SecurityMiddleware

STATIC = Path(__file__).resolve().parent.parent / "static"


async def stylesheet(request: Request) -> Response:
    return FileResponse(STATIC / "app.css", media_type="text/css")


async def no_favicon(request: Request) -> Response:
    return Response(status_code=204)


class _Cookie(TypedDict):
    """The session cookie's settings, for the HTTP middleware and the live sockets alike."""

    secret_key: str
    session_cookie: str
    max_age: int
    same_site: Literal["lax", "strict", "none"]
    https_only: bool


def create_app(settings: Settings) -> LiveEntry:
    services = Services.create(settings)
    cookie: _Cookie = {
        "secret_key": settings.resolved_secret_key(),
        "session_cookie": "charter_drafts_session",
        "max_age": 14 * 24 * 3600,
        "same_site": "lax",
        "https_only": settings.secure_cookies,
    }

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = Starlette(
        routes=[
            *pages.routes,
            *forms.routes,
            *account_pages.routes,
            *review.routes,
            *report.routes,
            *versions_pages.routes,
            *history_pages.routes,
            *endorsement_pages.routes,
            *charters.routes,
            *clauses.routes,
            *amendments.routes,
            *comments.routes,
            *versions.routes,
            *revisions.routes,
            *endorsements.routes,
            *members.routes,
            *tokens.routes,
            *accounts.routes,
            *session.routes,
            *organisations.routes,
            *ops.routes,
            # Only what the browser needs: not the client's sources, lock file or node_modules.
            Route("/static/app.css", stylesheet, methods=["GET", "HEAD"]),
            Mount("/static/dist", StaticFiles(directory=STATIC / "dist", check_dir=False)),
            Route("/favicon.ico", no_favicon, methods=["GET", "HEAD"]),
        ],
        middleware=[
            Middleware(SessionMiddleware, **cookie),
            Middleware(SecurityMiddleware, allowed_origins=settings.allowed_origin_list),
        ],
        exception_handlers=errors.handlers,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.public_streams = StreamGate(settings.public_streams_max)
    # The live document's sockets skip the HTTP middleware: only the session cookie is needed.
    live = partial(live_socket, services)
    return LiveEntry(app, live, partial(SessionMiddleware, **cookie))
