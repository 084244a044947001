"""The composition root: routes, middleware, lifespan and error handlers. No logic here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from server import api, errors, pages
from server.services import Services
from server.settings import Settings
from server.websocket import charter_socket

STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings) -> Starlette:
    services = Services.create(settings)

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
            *api.routes,
            WebSocketRoute("/ws/charters/{slug}", charter_socket),
            Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
        ],
        exception_handlers=errors.handlers,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.services = services
    return app
