"""API tokens for scripts: named, scoped to one charter (or to all of the user's), revocable."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.errors import DomainError, Invalid, NotFound, Unauthenticated
from charter_drafts.models import ApiToken, Membership, User, utcnow
from charter_drafts.people import audit
from charter_drafts.people.credentials import digest, new_secret
from charter_drafts.people.memberships import as_member_of, membership_join
from charter_drafts.permissions import Member
from charter_drafts.texts import text

TOKEN_PREFIX = "cdt"  # noqa: S105 (a label, not a secret)
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def issue_token(
    session: AsyncSession, user: User, name: str, charter_id: int | None
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once); the caller commits."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise Invalid("a token needs a name of 1 to 120 characters")
    assert user.id is not None
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        charter_id=charter_id,
        name=name,
        prefix=secret[:10],
        secret_hash=digest(secret),
    )
    session.add(token)
    await session.flush()
    audit.record(
        session, "token.issue", actor_id=user.id, charter_id=charter_id, target=f"token:{token.id}"
    )
    return token, secret


async def token_owner(session: AsyncSession, secret: str) -> tuple[User, ApiToken]:
    return await session.run_sync(token_owner_blocking, secret)


def token_owner_blocking(session: Session, secret: str) -> tuple[User, ApiToken]:
    """The active user a live token belongs to; notes when it was last used."""
    row = session.execute(_owner_query(secret)).first()
    return _live(session, row)


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """A live token's owner and their membership of one charter, as read for a live join."""

    token_id: int
    token_charter_id: int | None  # None: a token for all of the owner's charters
    member: Member
    display_name: str
    due: bool  # its use is to be noted (last noted over a minute ago, or never)


# Built once: on the path of every live join, building and compiling the statement cost more than
# running it (a lone join: 55 µs run through the connection, 335 µs built and run through the
# ORM session; 150 joins at once: 770 against 1,650 µs).
_HOLDERS = (
    select(
        col(ApiToken.secret_hash),
        col(ApiToken.id),
        col(ApiToken.charter_id),
        col(ApiToken.last_used_at),
        col(ApiToken.revoked_at),
        col(User.id),
        col(User.display_name),
        col(User.active),
        col(User.site_admin),
        col(Membership.role),
        col(Membership.organisation_id),
    )
    .select_from(ApiToken)
    .join(User, col(User.id) == col(ApiToken.user_id))
    .outerjoin(Membership, membership_join(bindparam("charter_id")))
    .where(col(ApiToken.secret_hash).in_(bindparam("digests", expanding=True)))
)


def token_holders_blocking(
    session: Session, secrets: Collection[str], charter_id: int
) -> dict[str, TokenHolder | DomainError]:
    """Each secret's live token, its owner and their membership of the charter, or its refusal:
    one statement however many (clients joining the same charter at once), reading columns
    rather than whole rows (building a model object per row was most of the time spent). Reads
    only: the live tokens whose use is due to be noted are ``TokenHolder.due``, for
    ``note_tokens_used_blocking`` (a write, and a commit, off the joins' path)."""
    by_digest = {digest(secret): secret for secret in secrets}
    result = session.connection().execute(
        _HOLDERS, {"digests": list(by_digest), "charter_id": charter_id}
    )
    rows = {row[0]: row for row in result}
    found: dict[str, TokenHolder | DomainError] = {}
    now = utcnow()
    for hashed, secret in by_digest.items():
        row = rows.get(hashed)
        if row is None:
            found[secret] = _unknown()
            continue
        _, token_id, token_charter, last_used, revoked, user_id, name, active, admin = row[:9]
        role, organisation = row[9:]
        refusal = _refusal(revoked, active=active)
        if refusal is not None:
            found[secret] = refusal
            continue
        assert token_id is not None  # primary keys
        assert user_id is not None
        member = as_member_of(user_id, site_admin=admin, role=role, organisation_id=organisation)
        found[secret] = TokenHolder(token_id, token_charter, member, name, _due(last_used, now))
    return found


def note_tokens_used_blocking(session: Session, token_ids: Collection[int]) -> None:
    """Note that these tokens were used now (``TokenHolder.due``), and commit."""
    if not token_ids:
        return
    query = update(ApiToken).where(col(ApiToken.id).in_(token_ids))
    session.execute(query.values(last_used_at=utcnow()))
    session.commit()


def _owner_query(secret: str) -> Select[ApiToken, User]:
    return select(ApiToken, User).join(User).where(col(ApiToken.secret_hash) == digest(secret))


def _live(session: Session, row: Sequence[Any] | None) -> tuple[User, ApiToken]:
    token, user = _checked(row)
    if _touch(session, token, utcnow()):
        session.commit()
    return user, token


def _checked(row: Sequence[Any] | None) -> tuple[ApiToken, User]:
    """The token and its owner if the token is live; else the refusal."""
    if row is None:
        raise _unknown()
    token, user = row
    refusal = _refusal(token.revoked_at, active=user.active)
    if refusal is not None:
        raise refusal
    return token, user


def _unknown() -> DomainError:
    return Unauthenticated("unknown API token")


def _refusal(revoked_at: datetime | None, *, active: bool) -> DomainError | None:
    """Why a known token is refused, if it is: revoked, or its owner deactivated."""
    if revoked_at is not None:
        return Unauthenticated("this API token was revoked")
    if not active:
        return Unauthenticated("this account is deactivated")
    return None


def _due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether the token's use is to be noted: last noted over a minute ago, or never."""
    return last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION


def _touch(session: Session, token: ApiToken, now: datetime) -> bool:
    """Note when the token was used (to the minute); whether there is something to commit."""
    if not _due(token.last_used_at, now):
        return False
    token.last_used_at = now
    session.add(token)
    return True


async def tokens_of(
    session: AsyncSession, *, user_id: int | None = None, charter_id: int | None = None
) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(col(ApiToken.id))
    if user_id is not None:
        query = query.where(col(ApiToken.user_id) == user_id)
    if charter_id is not None:
        query = query.where(col(ApiToken.charter_id) == charter_id)
    return (await session.execute(query)).scalars().all()


async def revoke_token(session: AsyncSession, token_id: int, *, actor_id: int) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(text("no token {id}", id=token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(
            session,
            "token.revoke",
            actor_id=actor_id,
            charter_id=token.charter_id,
            target=f"token:{token.id}",
        )
    return token
