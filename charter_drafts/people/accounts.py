"""User accounts: creation, argon2id password hashes, authentication, deactivation."""

from __future__ import annotations

import re
from collections.abc import Collection

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.errors import Conflict, Invalid, NotFound, Unauthenticated
from charter_drafts.models import ApiToken, User, utcnow
from charter_drafts.people import audit
from charter_drafts.texts import text

MIN_PASSWORD = 10
MAX_REASON = 500
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise Invalid("enter a valid email address")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(text("a password needs at least {count} characters", count=MIN_PASSWORD))
    if len(password) > 1024:
        raise Invalid("that password is too long")


def check_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise Invalid("a display name has 1 to 120 characters")
    return name


async def find_user(session: AsyncSession, email: str) -> User | None:
    query = select(User).where(col(User.email) == normalise_email(email))
    return (await session.execute(query)).scalar()


async def create_user(
    session: AsyncSession, email: str, display_name: str, password: str, *, site_admin: bool = False
) -> User:
    """Add a user; the caller commits. Raises ``Conflict`` if the email is taken."""
    email = normalise_email(email)
    check_password(password)
    if await find_user(session, email) is not None:
        raise Conflict(text("an account for {email} exists already", email=email))
    user = User(
        email=email,
        display_name=check_display_name(display_name),
        password_hash=_hasher.hash(password),
        site_admin=site_admin,
    )
    session.add(user)
    await session.flush()
    return user


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The active user with these credentials; one refusal for every way of being wrong."""
    try:
        user = await find_user(session, email)
    except Invalid:
        user = None
    if user is None:
        password_matches(User(email="", display_name="", password_hash=_DUMMY_HASH), password)
        raise Unauthenticated("wrong email or password")
    if not password_matches(user, password) or not user.active:
        raise Unauthenticated("wrong email or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(text("no user {id}", id=user_id))
    return user


def _reason(reason: str, *, required: bool) -> str:
    reason = " ".join(reason.split())
    if required and not reason:
        raise Invalid("give a reason")
    if len(reason) > MAX_REASON:
        raise Invalid(text("a reason has at most {count} characters", count=MAX_REASON))
    return reason


async def deactivate_user(
    session: AsyncSession, user: User, *, actor_id: int | None, reason: str
) -> int:
    """Suspend an account everywhere; the caller commits, then closes what the user has open.

    The account can no longer sign in; its sessions stop working at their next request (the
    session epoch moves on, so a reactivation does not bring them back) and its API tokens are
    revoked. Audited with who (``actor_id``; None: the command line), when and why. Returns how
    many tokens were revoked. Raises ``Conflict`` if the account is deactivated already.
    """
    reason = _reason(reason, required=True)
    if not user.active:
        raise Conflict(text("the account {email} is deactivated already", email=user.email))
    assert user.id is not None
    user.active = False
    user.session_epoch += 1
    session.add(user)
    revoked = await session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    tokens = int(getattr(revoked, "rowcount", 0) or 0)
    audit.record(
        session,
        "account.deactivate",
        actor_id=actor_id,
        target=f"user:{user.id}",
        reason=reason,
        tokens_revoked=tokens,
    )
    await session.flush()
    return tokens


async def reactivate_user(
    session: AsyncSession, user: User, *, actor_id: int | None, reason: str = ""
) -> None:
    """Let a deactivated account sign in again (its earlier sessions and tokens stay ended);
    the caller commits. Raises ``Conflict`` if the account is active."""
    reason = _reason(reason, required=False)
    if user.active:
        raise Conflict(text("the account {email} is active", email=user.email))
    user.active = True
    session.add(user)
    audit.record(
        session, "account.reactivate", actor_id=actor_id, target=f"user:{user.id}", reason=reason
    )
    await session.flush()


async def inactive_among(session: AsyncSession, user_ids: Collection[int]) -> set[int]:
    """Those of the accounts that are deactivated (one statement)."""
    if not user_ids:
        return set()
    query = select(col(User.id)).where(col(User.id).in_(user_ids), col(User.active).is_(False))
    return {user_id for user_id in (await session.execute(query)).scalars() if user_id is not None}
