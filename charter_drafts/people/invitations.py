"""Invitations: the secretariat invites an email to a role; the link makes its holder a member."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.errors import Forbidden, Gone, NotFound
from charter_drafts.models import Invitation, Membership, Role, User, utcnow
from charter_drafts.people import audit
from charter_drafts.people.accounts import (
    check_display_name,
    create_user,
    find_user,
    normalise_email,
    password_matches,
)
from charter_drafts.people.credentials import digest, new_secret
from charter_drafts.people.memberships import add_member
from charter_drafts.texts import text

INVITATION_PREFIX = "cdi"
DEFAULT_VALIDITY = timedelta(days=14)


async def invite(
    session: AsyncSession,
    charter_id: int,
    email: str,
    role: Role,
    organisation_id: int | None,
    *,
    actor_id: int,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> tuple[Invitation, str]:
    """A new invitation and its secret (for the link, shown once); the caller commits."""
    secret = new_secret(INVITATION_PREFIX)
    invitation = Invitation(
        charter_id=charter_id,
        email=normalise_email(email),
        role=role.value,
        organisation_id=organisation_id,
        secret_hash=digest(secret),
        invited_by=actor_id,
        expires_at=utcnow() + valid_for,
    )
    session.add(invitation)
    await session.flush()
    audit.record(
        session,
        "invitation.create",
        actor_id=actor_id,
        charter_id=charter_id,
        target=f"invitation:{invitation.id}",
        email=invitation.email,
        role=role.value,
    )
    return invitation, secret


async def open_invitation(session: AsyncSession, secret: str) -> Invitation:
    """The invitation behind a link, if it can still be accepted."""
    query = select(Invitation).where(col(Invitation.secret_hash) == digest(secret))
    invitation = (await session.execute(query)).scalar()
    if invitation is None:
        raise NotFound("no such invitation; ask the secretariat for a new link")
    if invitation.accepted_at is not None:
        raise Gone("this invitation was used already")
    if invitation.revoked_at is not None:
        raise Gone("this invitation was withdrawn")
    if invitation.expires_at <= utcnow():
        raise Gone("this invitation has expired; ask the secretariat for a new link")
    return invitation


async def accept_invitation(
    session: AsyncSession, secret: str, display_name: str, password: str
) -> tuple[User, Membership]:
    """Join the charter: a new account, or the existing one if its password is given."""
    invitation = await open_invitation(session, secret)
    user = await find_user(session, invitation.email)
    if user is None:
        user = await create_user(session, invitation.email, display_name, password)
    elif not password_matches(user, password):
        raise Forbidden(
            text("an account for {email} exists: enter its password", email=invitation.email)
        )
    else:
        check_display_name(display_name)
    assert user.id is not None
    membership = await add_member(
        session,
        invitation.charter_id,
        user,
        Role(invitation.role),
        invitation.organisation_id,
        actor_id=user.id,
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by = user.id
    session.add(invitation)
    audit.record(
        session,
        "invitation.accept",
        actor_id=user.id,
        charter_id=invitation.charter_id,
        target=f"invitation:{invitation.id}",
    )
    return user, membership


async def list_invitations(session: AsyncSession, charter_id: int) -> Sequence[Invitation]:
    query = (
        select(Invitation)
        .where(col(Invitation.charter_id) == charter_id)
        .order_by(col(Invitation.id).desc())
    )
    return (await session.execute(query)).scalars().all()


async def revoke_invitation(
    session: AsyncSession, charter_id: int, invitation_id: int, *, actor_id: int
) -> Invitation:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.charter_id != charter_id:
        raise NotFound(text("no invitation {id} for this charter", id=invitation_id))
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        session.add(invitation)
        audit.record(
            session,
            "invitation.revoke",
            actor_id=actor_id,
            charter_id=charter_id,
            target=f"invitation:{invitation.id}",
        )
    return invitation
