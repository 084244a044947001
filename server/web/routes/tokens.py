"""A user's own API tokens: issue (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.charters import get_charter
from charter_drafts.errors import Forbidden, NotFound, Unauthenticated
from charter_drafts.models import ApiToken, Phase
from charter_drafts.people.memberships import member_of
from charter_drafts.people.tokens import issue_token, revoke_token, tokens_of
from charter_drafts.permissions import Action, CharterTarget, require
from charter_drafts.texts import text
from server.web.inputs import Input, read_json
from server.web.routes.context import Call, call, created, no_content


class TokenCreate(Input):
    name: str
    charter: str | None = None  # a charter's slug; None: every charter the user belongs to


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "user_id": token.user_id,
        "charter_id": token.charter_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _signed_in(c: Call) -> int:
    if c.caller is None:
        raise Unauthenticated("sign in, or send an API token, to do this")
    assert c.caller.user.id is not None
    return c.caller.user.id


async def mine(request: Request) -> JSONResponse:
    async with call(request) as c:
        found = await tokens_of(c.session, user_id=_signed_in(c))
    return JSONResponse({"tokens": [token_json(t) for t in found]})


async def issue(request: Request) -> JSONResponse:
    async with call(request) as c:
        _signed_in(c)
        assert c.caller is not None
        data = await read_json(request, TokenCreate)
        charter_id = None
        if data.charter is not None:
            charter = await get_charter(c.session, data.charter)
            assert charter.id is not None
            member = await member_of(c.session, c.caller.user, charter.id)
            require(member, Action.read_draft, CharterTarget(Phase(charter.phase)))
            charter_id = charter.id
        if c.caller.token is not None and c.caller.token.charter_id not in (None, charter_id):
            raise Forbidden("a token for one charter cannot issue tokens for others")
        token, secret = await issue_token(c.session, c.caller.user, data.name, charter_id)
        await c.session.commit()
    return created({**token_json(token), "secret": secret})


async def revoke(request: Request) -> Response:
    async with call(request) as c:
        user_id = _signed_in(c)
        token_id = int(request.path_params["token_id"])
        if token_id not in {t.id for t in await tokens_of(c.session, user_id=user_id)}:
            raise NotFound(text("you have no token {id}", id=token_id))
        await revoke_token(c.session, token_id, actor_id=user_id)
        await c.session.commit()
        c.services.rooms.token_revoked(token_id)  # its open live documents close
    return no_content()


routes = [
    Route("/api/tokens", mine, methods=["GET"]),
    Route("/api/tokens", issue, methods=["POST"]),
    Route("/api/tokens/{token_id:id}", revoke, methods=["DELETE"]),
]
