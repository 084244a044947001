"""Signing in and out (JSON), and accepting an invitation (JSON)."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.errors import DomainError, Invalid, TooMany
from charter_drafts.models import User
from charter_drafts.people import audit
from charter_drafts.people.accounts import authenticate, normalise_email
from charter_drafts.people.invitations import accept_invitation, open_invitation
from charter_drafts.texts import text
from server.callers.auth import SESSION_CSRF, SESSION_EPOCH, SESSION_USER
from server.services import Services
from server.web.inputs import Input, read_json
from server.web.routes.context import call, created, services_of
from server.web.security import CLEAR_BROWSER_COPIES, csrf_token


class SignIn(Input):
    email: str
    password: str


class Acceptance(Input):
    display_name: str
    password: str


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "site_admin": user.site_admin,
    }


def start_session(connection: HTTPConnection, user: User) -> str:
    """Sign ``user`` in on this browser: a fresh session and CSRF token."""
    connection.session.clear()
    connection.session[SESSION_USER] = user.id
    if user.session_epoch:
        connection.session[SESSION_EPOCH] = user.session_epoch
    return csrf_token(connection)


async def sign_in_user(
    services: Services, connection: HTTPConnection, email: str, password: str
) -> User:
    """Check credentials under the throttles; raises ``Unauthenticated`` or ``TooMany``."""
    try:
        account = normalise_email(email)
    except Invalid:
        account = email.strip().lower()[:320]
    address = connection.client.host if connection.client else "?"
    keys = (f"account:{account}", f"address:{address}")
    wait = max(
        await services.account_throttle.retry_after(keys[0]),
        await services.address_throttle.retry_after(keys[1]),
    )
    if wait:
        refusal = text("too many failed sign-ins; try again in {wait} s", wait=wait)
        raise TooMany(refusal, retry_after=wait)
    async with services.sessions() as session:
        try:
            user = await authenticate(session, email, password)
        except DomainError:
            await services.account_throttle.fail(keys[0])
            await services.address_throttle.fail(keys[1])
            audit.record(session, "session.refused", actor_id=None, target=f"account:{account}")
            await session.commit()
            raise
        audit.record(session, "session.start", actor_id=user.id, target=f"user:{user.id}")
        await session.commit()
    await services.account_throttle.clear(keys[0])
    return user


async def current(request: Request) -> JSONResponse:
    async with call(request) as c:
        user = c.caller.user if c.caller else None
    return JSONResponse(
        {"user": user_json(user) if user else None, "csrf_token": csrf_token(request)}
    )


async def sign_in(request: Request) -> JSONResponse:
    data = await read_json(request, SignIn)
    user = await sign_in_user(services_of(request), request, data.email, data.password)
    token = start_session(request, user)
    return JSONResponse({"user": user_json(user), "csrf_token": token})


async def sign_out(request: Request) -> Response:
    request.session.pop(SESSION_USER, None)
    request.session.pop(SESSION_CSRF, None)
    request.session.pop(SESSION_EPOCH, None)
    return Response(status_code=204, headers=CLEAR_BROWSER_COPIES)


async def invitation(request: Request) -> JSONResponse:
    async with call(request) as c:
        found = await open_invitation(c.session, request.path_params["secret"])
    return JSONResponse({"email": found.email, "role": found.role, "charter_id": found.charter_id})


async def accept(request: Request) -> JSONResponse:
    data = await read_json(request, Acceptance)
    services = services_of(request)
    async with services.sessions() as session:
        user, membership = await accept_invitation(
            session, request.path_params["secret"], data.display_name, data.password
        )
        await session.commit()
    token = start_session(request, user)
    return created({"user": user_json(user), "role": membership.role, "csrf_token": token})


routes = [
    Route("/api/session", current, methods=["GET"]),
    Route("/api/session", sign_in, methods=["POST"]),
    Route("/api/session", sign_out, methods=["DELETE"]),
    Route("/api/invitations/{secret}", invitation, methods=["GET"]),
    Route("/api/invitations/{secret}/accept", accept, methods=["POST"]),
]
