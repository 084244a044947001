"""User accounts: creation, argon2id password hashes, authentication."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.errors import Conflict, Invalid, Unauthenticated
from charter_drafts.models import User
from charter_drafts.texts import text

MIN_PASSWORD = 10
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
