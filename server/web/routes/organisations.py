"""Organisations: listed for members choosing one; created along with invitations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from charter_drafts.errors import Unauthenticated
from charter_drafts.people.organisations import list_organisations
from server.web.routes.context import call
from server.web.routes.members import organisation_json


async def organisations(request: Request) -> JSONResponse:
    async with call(request) as c:
        if c.caller is None:
            raise Unauthenticated("sign in to see organisations")
        found = await list_organisations(c.session)
    return JSONResponse({"organisations": [organisation_json(o) for o in found]})


routes = [Route("/api/organisations", organisations, methods=["GET"])]
