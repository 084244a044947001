"""Who is calling: a signed session cookie, or an API token (Bearer header, or ?token= on the
websocket); and what they are on a given charter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from charter_drafts.errors import Forbidden
from charter_drafts.memberships import member_of
from charter_drafts.models import ApiToken, User
from charter_drafts.permissions import Member
from charter_drafts.tokens import token_owner

SESSION_USER = "uid"
SESSION_CSRF = "csrf"


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    token: ApiToken | None  # None: signed in with the session cookie


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if connection.scope["type"] == "websocket":
        return connection.query_params.get("token") or None
    return None


async def principal(connection: HTTPConnection, session: AsyncSession) -> Principal | None:
    """The caller, or None if anonymous. A bad token raises ``Unauthenticated``."""
    secret = bearer_token(connection)
    if secret is not None:
        user, token = await token_owner(session, secret)
        return Principal(user, token)
    user_id = connection.session.get(SESSION_USER) if "session" in connection.scope else None
    if not isinstance(user_id, int):
        return None
    user = await session.get(User, user_id)
    if user is None or not user.active:
        connection.session.clear()
        return None
    return Principal(user, None)


async def member_for(
    session: AsyncSession, caller: Principal | None, charter_id: int
) -> Member | None:
    """The caller as a member of the charter; None if anonymous. A token of another charter is
    refused outright rather than treated as a non-member."""
    if caller is None:
        return None
    if caller.token is not None and caller.token.charter_id not in (None, charter_id):
        raise Forbidden("this API token is for another charter")
    return await member_of(session, caller.user, charter_id)
