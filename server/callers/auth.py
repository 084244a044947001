"""Who is calling: a signed session cookie, or an API token (Bearer header, or ?token= on the
websocket); and what they are on a given charter."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.requests import HTTPConnection

from charter_drafts.errors import DomainError, Forbidden
from charter_drafts.models import ApiToken, Membership, User
from charter_drafts.people.memberships import as_member, member_of_blocking, membership_join
from charter_drafts.people.tokens import (
    token_member_blocking,
    token_members_blocking,
    token_owner_blocking,
)
from charter_drafts.permissions import Member

SESSION_USER = "uid"
SESSION_CSRF = "csrf"
SESSION_EPOCH = "ep"  # the account's session epoch at sign-in (absent: 0)


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


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the caller presented: an API token's secret, or the signed-in user's id (and the
    session epoch it signed in under)."""

    token: str | None
    user_id: int | None
    epoch: int = 0


def credentials(connection: HTTPConnection) -> Credentials:
    secret = bearer_token(connection)
    if secret is not None:
        return Credentials(secret, None)
    session = connection.session if "session" in connection.scope else {}
    user_id, epoch = session.get(SESSION_USER), session.get(SESSION_EPOCH, 0)
    return Credentials(
        None, user_id if isinstance(user_id, int) else None, epoch if isinstance(epoch, int) else -1
    )


def session_valid(user: User | None, presented: Credentials) -> bool:
    """An active account, signed in since its last deactivation."""
    return user is not None and user.active and user.session_epoch == presented.epoch


async def principal(connection: HTTPConnection, session: AsyncSession) -> Principal | None:
    """The caller, or None if anonymous. A bad token raises ``Unauthenticated``."""
    presented = credentials(connection)
    caller = await session.run_sync(principal_blocking, presented)
    if caller is None and presented.user_id is not None:
        connection.session.clear()  # the account is gone or deactivated: signed out
    return caller


def principal_blocking(session: Session, presented: Credentials) -> Principal | None:
    if presented.token is not None:
        user, token = token_owner_blocking(session, presented.token)
        return Principal(user, token)
    if presented.user_id is None:
        return None
    user = session.get(User, presented.user_id)
    if user is None or not session_valid(user, presented):
        return None
    return Principal(user, None)


async def member_for(
    session: AsyncSession, caller: Principal | None, charter_id: int
) -> Member | None:
    return await session.run_sync(member_for_blocking, caller, charter_id)


def member_for_blocking(
    session: Session, caller: Principal | None, charter_id: int
) -> Member | None:
    """The caller as a member of the charter; None if anonymous. A token of another charter is
    refused outright rather than treated as a non-member."""
    if caller is None:
        return None
    if caller.token is not None:
        _refuse_other_charter(caller.token, charter_id)
    return member_of_blocking(session, caller.user, charter_id)


def _refuse_other_charter(token: ApiToken, charter_id: int) -> None:
    """A token of another charter is refused outright rather than taken for a non-member."""
    if token.charter_id not in (None, charter_id):
        raise Forbidden("this API token is for another charter")


def caller_on_charter_blocking(
    session: Session, presented: Credentials, charter_id: int
) -> tuple[Principal | None, Member | None]:
    """``principal_blocking`` and ``member_for_blocking`` in one statement (joining a live
    document, where every statement is on the path of the client's first sync)."""
    if presented.token is not None:
        user, token, membership = token_member_blocking(session, presented.token, charter_id)
        _refuse_other_charter(token, charter_id)
        return Principal(user, token), as_member(user, membership)
    if presented.user_id is None:
        return None, None
    query = (
        select(User, Membership)
        .outerjoin(Membership, membership_join(charter_id))
        .where(User.id == presented.user_id)
    )
    row = session.execute(query).first()
    if row is None or not session_valid(row[0], presented):
        return None, None
    return Principal(row[0], None), as_member(row[0], row[1])


Caller = tuple[Principal | None, Member | None]


def callers_on_charter_blocking(
    session: Session, presented: Collection[Credentials], charter_id: int
) -> dict[Credentials, Caller | DomainError]:
    """``caller_on_charter_blocking`` for many callers joining the same charter at once: one
    statement for the tokens and one for the signed-in users, whatever their number. Each
    caller's answer is what ``caller_on_charter_blocking`` returns, or the refusal it raises."""
    answers: dict[Credentials, Caller | DomainError] = {}
    secrets = {p.token for p in presented if p.token is not None}
    if secrets:
        owners = token_members_blocking(session, secrets, charter_id)
        for credential in presented:
            if credential.token is None:
                continue
            found = owners[credential.token]
            if isinstance(found, DomainError):
                answers[credential] = found
                continue
            user, token, membership = found
            try:
                _refuse_other_charter(token, charter_id)
            except Forbidden as refusal:
                answers[credential] = refusal
                continue
            answers[credential] = (Principal(user, token), as_member(user, membership))
    user_ids = {p.user_id for p in presented if p.token is None and p.user_id is not None}
    rows = {}
    if user_ids:
        query = (
            select(User, Membership)
            .outerjoin(Membership, membership_join(charter_id))
            .where(col(User.id).in_(user_ids))
        )
        rows = {row[0].id: row for row in session.execute(query)}
    for credential in presented:
        if credential.token is not None:
            continue
        row = rows.get(credential.user_id)
        if row is None or not session_valid(row[0], credential):
            answers[credential] = (None, None)
        else:
            answers[credential] = (Principal(row[0], None), as_member(row[0], row[1]))
    return answers
