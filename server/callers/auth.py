"""Who is calling: a signed session cookie, or an API token (Bearer header, or ?token= on the
websocket); and what they are on a given charter."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.requests import HTTPConnection

from charter_drafts.errors import DomainError, Forbidden
from charter_drafts.models import ApiToken, Membership, User
from charter_drafts.people.memberships import as_member_of, member_of_blocking, membership_join
from charter_drafts.people.tokens import token_holders_blocking, token_owner_blocking
from charter_drafts.permissions import Member
from server.callers.headers import header

SESSION_USER = "uid"
SESSION_CSRF = "csrf"
SESSION_EPOCH = "ep"  # the account's session epoch at sign-in (absent: 0)


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    token: ApiToken | None  # None: signed in with the session cookie


def bearer_token(connection: HTTPConnection) -> str | None:
    authorization = header(connection.scope, b"authorization") or ""
    scheme, _, value = authorization.partition(" ")
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
    return user is not None and _signed_in(user.active, user.session_epoch, presented)


def _signed_in(active: bool, epoch: int, presented: Credentials) -> bool:
    return active and epoch == presented.epoch


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
    signed_in = session.get(User, presented.user_id)
    if signed_in is None or not session_valid(signed_in, presented):
        return None
    return Principal(signed_in, None)


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
        _refuse_other_charter(caller.token.charter_id, charter_id)
    return member_of_blocking(session, caller.user, charter_id)


def _refuse_other_charter(token_charter_id: int | None, charter_id: int) -> None:
    """A token of another charter is refused outright rather than taken for a non-member."""
    if token_charter_id not in (None, charter_id):
        raise Forbidden("this API token is for another charter")


@dataclass(frozen=True, slots=True)
class Joined:
    """A caller joining a live document: a member of its charter (None: anonymous), with their
    display name and the API token they presented, if any."""

    member: Member | None
    display_name: str = ""
    token_id: int | None = None
    note_use: bool = False  # the token's use is to be noted (``note_tokens_used_blocking``)


ANONYMOUS = Joined(None)


# Built once, as ``charter_drafts.people.tokens``' statement for tokens (on every join's path).
_SIGNED_IN = (
    select(
        col(User.id),
        col(User.display_name),
        col(User.active),
        col(User.session_epoch),
        col(User.site_admin),
        col(Membership.role),
        col(Membership.organisation_id),
    )
    .select_from(User)
    .outerjoin(Membership, membership_join(bindparam("charter_id")))
    .where(col(User.id).in_(bindparam("user_ids", expanding=True)))
)


def joining_callers_blocking(
    session: Session, presented: Collection[Credentials], charter_id: int
) -> dict[Credentials, Joined | DomainError]:
    """``principal_blocking`` and ``member_for_blocking`` for many callers joining the same
    charter's live document at once (every statement is on the path of their first sync): one
    statement for the tokens and one for the signed-in users, whatever their number, reading
    only the columns a join needs. Each caller's answer, or the refusal ``principal_blocking``
    or ``member_for_blocking`` would raise. Reads only (see ``Joined.note_use``)."""
    answers: dict[Credentials, Joined | DomainError] = {}
    secrets = {p.token for p in presented if p.token is not None}
    holders = token_holders_blocking(session, secrets, charter_id) if secrets else {}
    for credential in presented:
        if credential.token is None:
            continue
        holder = holders[credential.token]
        if isinstance(holder, DomainError):
            answers[credential] = holder
            continue
        try:
            _refuse_other_charter(holder.token_charter_id, charter_id)
        except Forbidden as refusal:
            answers[credential] = refusal
            continue
        answers[credential] = Joined(
            holder.member, holder.display_name, holder.token_id, note_use=holder.due
        )
    user_ids = {p.user_id for p in presented if p.token is None and p.user_id is not None}
    rows = {}
    if user_ids:
        result = session.connection().execute(
            _SIGNED_IN, {"user_ids": list(user_ids), "charter_id": charter_id}
        )
        rows = {row[0]: row for row in result}
    for credential in presented:
        if credential.token is not None:
            continue
        row = rows.get(credential.user_id)
        if row is None or not _signed_in(row[2], row[3], credential):
            answers[credential] = ANONYMOUS
            continue
        user_id, name, _, _, admin, role, organisation = row
        assert user_id is not None  # the key it was found by
        member = as_member_of(user_id, site_admin=admin, role=role, organisation_id=organisation)
        answers[credential] = Joined(member, name)
    return answers
