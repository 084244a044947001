"""The site's accounts as its administrators see them: found by name or e-mail, each with its
state and, for a deactivated one, when, by whom and why (from the audit trail)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.models import AuditEntry, User

MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class Deactivation:
    at: datetime
    by: str | None  # the administrator's name; None: the command line
    reason: str


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    display_name: str
    active: bool
    site_admin: bool
    deactivation: Deactivation | None  # the latest, for a deactivated account


async def find_accounts(
    session: AsyncSession, search: str = "", limit: int = MAX_LISTED
) -> tuple[list[Account], int]:
    """The accounts whose name or e-mail contains ``search`` (all if empty), by name, at most
    ``limit`` of them; and how many match in all."""
    words = " ".join(search.split())[:200]
    matching = select(User)
    if words:
        pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        matching = matching.where(
            or_(
                func.lower(col(User.email)).like(pattern, escape="\\"),
                func.lower(col(User.display_name)).like(pattern, escape="\\"),
            )
        )
    total = int(
        (await session.execute(select(func.count()).select_from(matching.subquery()))).scalar_one()
    )
    ordered = matching.order_by(func.lower(col(User.display_name)), col(User.id)).limit(limit)
    users = list((await session.execute(ordered)).scalars())
    deactivations = await _latest_deactivations(
        session, [user.id for user in users if not user.active and user.id is not None]
    )
    accounts = [
        Account(
            user.id,
            user.email,
            user.display_name,
            user.active,
            user.site_admin,
            deactivations.get(user.id),
        )
        for user in users
        if user.id is not None
    ]
    return accounts, total


async def _latest_deactivations(
    session: AsyncSession, user_ids: list[int]
) -> dict[int, Deactivation]:
    """Each account's latest deactivation in the audit trail (one statement)."""
    if not user_ids:
        return {}
    targets = {f"user:{user_id}": user_id for user_id in user_ids}
    query = (
        select(
            col(AuditEntry.target),
            col(AuditEntry.created_at),
            col(AuditEntry.details),
            col(User.display_name),
        )
        .outerjoin(User, col(User.id) == col(AuditEntry.actor_id))
        .where(
            col(AuditEntry.action) == "account.deactivate",
            col(AuditEntry.target).in_(targets),
        )
        .order_by(col(AuditEntry.id))
    )
    found: dict[int, Deactivation] = {}
    for target, at, details, actor in await session.execute(query):
        reason = str(json.loads(details or "{}").get("reason", ""))
        found[targets[target]] = Deactivation(at, actor, reason)  # a later one replaces it
    return found
