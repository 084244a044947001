"""Members of a charter: their role and the organisation they act for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from charter_drafts.errors import Conflict, Invalid, NotFound
from charter_drafts.models import Membership, Organisation, Role, User
from charter_drafts.people import audit
from charter_drafts.permissions import Member
from charter_drafts.texts import text


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    email: str
    display_name: str
    role: str
    organisation: Organisation | None


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid(text("role must be one of: {choices}", choices=", ".join(Role))) from None


async def member_of(session: AsyncSession, user: User, charter_id: int) -> Member:
    """The user as a member of this charter (role None if they have none there)."""
    return await session.run_sync(member_of_blocking, user, charter_id)


def member_of_blocking(session: Session, user: User, charter_id: int) -> Member:
    assert user.id is not None
    return as_member(user, session.execute(_membership_query(user.id, charter_id)).scalar())


def as_member(user: User, membership: Membership | None) -> Member:
    """The user with their membership of a charter (None: they have none there)."""
    assert user.id is not None
    return as_member_of(
        user.id,
        site_admin=user.site_admin,
        role=membership.role if membership else None,
        organisation_id=membership.organisation_id if membership else None,
    )


def as_member_of(
    user_id: int, *, site_admin: bool, role: str | None, organisation_id: int | None
) -> Member:
    """``as_member`` from the columns read (``role`` None: no membership of the charter)."""
    return Member(
        user_id=user_id,
        role=Role(role) if role is not None else None,
        site_admin=site_admin,
        organisation_id=organisation_id,
    )


def membership_join(charter_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """The condition that joins a user (``User``) to their membership of the charter (or of the
    charter a bound parameter names)."""
    return and_(col(Membership.user_id) == col(User.id), col(Membership.charter_id) == charter_id)


async def _membership(session: AsyncSession, user_id: int, charter_id: int) -> Membership | None:
    return (await session.execute(_membership_query(user_id, charter_id))).scalar()


def _membership_query(user_id: int, charter_id: int) -> Select[Membership]:
    return select(Membership).where(
        col(Membership.user_id) == user_id, col(Membership.charter_id) == charter_id
    )


async def add_member(
    session: AsyncSession,
    charter_id: int,
    user: User,
    role: Role,
    organisation_id: int | None,
    *,
    actor_id: int | None,
) -> Membership:
    """Make a user a member; the caller commits. ``Conflict`` if they are one already."""
    assert user.id is not None
    if await _membership(session, user.id, charter_id) is not None:
        raise Conflict(text("{email} is a member of this charter already", email=user.email))
    membership = Membership(
        user_id=user.id, charter_id=charter_id, role=role.value, organisation_id=organisation_id
    )
    session.add(membership)
    await session.flush()
    audit.record(
        session,
        "member.add",
        actor_id=actor_id,
        charter_id=charter_id,
        target=f"user:{user.id}",
        role=role.value,
        organisation_id=organisation_id,
    )
    return membership


async def change_member(
    session: AsyncSession,
    charter_id: int,
    user_id: int,
    *,
    role: Role | None,
    organisation_id: int | None,
    clear_organisation: bool = False,
    actor_id: int,
) -> Membership:
    membership = await _membership(session, user_id, charter_id)
    if membership is None:
        raise NotFound(text("user {id} is not a member of this charter", id=user_id))
    before = (membership.role, membership.organisation_id)
    if role is not None and role.value != membership.role:
        if membership.role == Role.secretariat.value:
            await _keep_one_secretariat(session, charter_id)
        membership.role = role.value
    if organisation_id is not None or clear_organisation:
        membership.organisation_id = organisation_id
    session.add(membership)
    audit.record(
        session,
        "member.change",
        actor_id=actor_id,
        charter_id=charter_id,
        target=f"user:{user_id}",
        before={"role": before[0], "organisation_id": before[1]},
        after={"role": membership.role, "organisation_id": membership.organisation_id},
    )
    return membership


async def remove_member(
    session: AsyncSession, charter_id: int, user_id: int, *, actor_id: int
) -> None:
    membership = await _membership(session, user_id, charter_id)
    if membership is None:
        raise NotFound(text("user {id} is not a member of this charter", id=user_id))
    if membership.role == Role.secretariat.value:
        await _keep_one_secretariat(session, charter_id)
    await session.delete(membership)
    audit.record(
        session,
        "member.remove",
        actor_id=actor_id,
        charter_id=charter_id,
        target=f"user:{user_id}",
        role=membership.role,
    )


async def _keep_one_secretariat(session: AsyncSession, charter_id: int) -> None:
    query = select(func.count()).where(
        col(Membership.charter_id) == charter_id, col(Membership.role) == Role.secretariat.value
    )
    if (await session.execute(query)).scalar_one() <= 1:
        raise Conflict("a charter keeps at least one secretariat member")


async def list_members(session: AsyncSession, charter_id: int) -> Sequence[MemberView]:
    query = (
        select(Membership, User, Organisation)
        .join(User, col(Membership.user_id) == col(User.id))
        .outerjoin(Organisation, col(Membership.organisation_id) == col(Organisation.id))
        .where(col(Membership.charter_id) == charter_id)
        .order_by(col(User.display_name))
    )
    rows = (await session.execute(query)).all()
    return [
        MemberView(membership.user_id, user.email, user.display_name, membership.role, organisation)
        for membership, user, organisation in rows
    ]
