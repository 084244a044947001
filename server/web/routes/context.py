"""What every handler needs: the services, a database session, the caller, the charter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from charter_drafts.charters import get_charter
from charter_drafts.models import Charter, Phase
from charter_drafts.permissions import CharterTarget, Member
from server.callers.auth import Principal, member_for, principal
from server.services import Services


@dataclass
class Call:
    services: Services
    session: AsyncSession
    caller: Principal | None

    @property
    def user_id(self) -> int | None:
        return self.caller.user.id if self.caller else None


@dataclass
class CharterCall(Call):
    charter: Charter
    member: Member | None

    @property
    def target(self) -> CharterTarget:
        return CharterTarget(Phase(self.charter.phase))

    @property
    def charter_id(self) -> int:
        assert self.charter.id is not None
        return self.charter.id


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@asynccontextmanager
async def call(request: Request) -> AsyncIterator[Call]:
    services = services_of(request)
    async with services.sessions() as session:
        yield Call(services, session, await principal(request, session))


@asynccontextmanager
async def charter_call(request: Request) -> AsyncIterator[CharterCall]:
    """The charter named by ``{slug}`` and the caller as its member. Raises ``NotFound``."""
    services = services_of(request)
    async with services.sessions() as session:
        caller = await principal(request, session)
        charter = await get_charter(session, request.path_params["slug"])
        assert charter.id is not None
        member = await member_for(session, caller, charter.id)
        yield CharterCall(services, session, caller, charter, member)


def created(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=201)


def no_content() -> Response:
    return Response(status_code=204)
