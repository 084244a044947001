"""Deactivating and reactivating accounts (site administrators; see ``permissions``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from charter_drafts.models import User
from charter_drafts.people.accounts import deactivate_user, get_user, reactivate_user
from charter_drafts.permissions import AccountTarget, Action, Member, require
from server.web.inputs import Input, read_json
from server.web.routes.context import Call, call


class Deactivation(Input):
    reason: str


class Reactivation(Input):
    reason: str = ""


def account_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "active": user.active,
        "site_admin": user.site_admin,
    }


def site_administrator(c: Call) -> Member:
    """The caller, who must be a site administrator. Raises ``Unauthenticated`` or
    ``Forbidden``."""
    member = None
    if c.caller is not None:
        assert c.caller.user.id is not None
        member = Member(c.caller.user.id, None, site_admin=c.caller.user.site_admin)
    require(member, Action.manage_accounts)
    assert member is not None
    return member


async def account_target(c: Call, request: Request) -> tuple[int, User]:
    """The caller (who must be a site administrator before learning whether the account
    exists) and the account named by ``{user_id}``, once the caller may act on it."""
    member = site_administrator(c)
    user = await get_user(c.session, int(request.path_params["user_id"]))
    assert user.id is not None
    require(member, Action.manage_accounts, AccountTarget(user.id))
    return member.user_id, user


async def deactivate_account(c: Call, actor_id: int, user: User, reason: str) -> int:
    """Deactivate and commit, then end what the account has open; the tokens revoked."""
    revoked = await deactivate_user(c.session, user, actor_id=actor_id, reason=reason)
    await c.session.commit()
    assert user.id is not None
    # Their live documents close (4401) and their event streams end, in every process.
    c.services.rooms.user_deactivated(user.id)
    return revoked


async def reactivate_account(c: Call, actor_id: int, user: User, reason: str) -> None:
    await reactivate_user(c.session, user, actor_id=actor_id, reason=reason)
    await c.session.commit()


async def deactivate(request: Request) -> JSONResponse:
    async with call(request) as c:
        actor_id, user = await account_target(c, request)
        data = await read_json(request, Deactivation)
        revoked = await deactivate_account(c, actor_id, user, data.reason)
    return JSONResponse({**account_json(user), "tokens_revoked": revoked})


async def reactivate(request: Request) -> JSONResponse:
    async with call(request) as c:
        actor_id, user = await account_target(c, request)
        data = await read_json(request, Reactivation)
        await reactivate_account(c, actor_id, user, data.reason)
    return JSONResponse(account_json(user))


routes = [
    Route("/api/users/{user_id:id}/deactivate", deactivate, methods=["POST"]),
    Route("/api/users/{user_id:id}/reactivate", reactivate, methods=["POST"]),
]
