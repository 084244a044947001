"""The JSON API under /api."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from charter_drafts.charters import list_charters
from charter_drafts.models import Charter
from server.reads import read_charter
from server.services import Services


def _charter_summary(charter: Charter) -> dict[str, Any]:
    return {
        "slug": charter.slug,
        "title": charter.title,
        "summary": charter.summary,
        "phase": charter.phase,
    }


async def charters(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    async with services.sessions() as session:
        found = await list_charters(session)
    return JSONResponse({"charters": [_charter_summary(c) for c in found]})


async def charter(request: Request) -> JSONResponse:
    text = await read_charter(request.app.state.services, request.path_params["slug"])
    return JSONResponse(
        {
            **_charter_summary(text.charter),
            "clauses": [
                {
                    "id": clause.key,
                    "number": clause.number,
                    "kind": clause.kind,
                    "title": clause.title,
                    "body": clause.body,
                }
                for clause in text.clauses
            ],
        }
    )


routes = [
    Route("/api/charters", charters, methods=["GET"]),
    Route("/api/charters/{slug}", charter, methods=["GET"]),
]
