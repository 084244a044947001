"""The append-only audit log: every change to who may do what, and to a charter's structure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.models import AuditEntry


def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    charter_id: int | None = None,
    target: str = "",
    **details: Any,
) -> None:
    """Add an entry to the caller's transaction (it commits with the change it describes)."""
    session.add(
        AuditEntry(
            charter_id=charter_id,
            actor_id=actor_id,
            action=action,
            target=target[:200],
            details=json.dumps(details, sort_keys=True, default=str),
        )
    )


async def entries(
    session: AsyncSession, charter_id: int, *, limit: int = 100, before: int | None = None
) -> Sequence[AuditEntry]:
    """Newest first; page with ``before`` (an entry id)."""
    query = select(AuditEntry).where(col(AuditEntry.charter_id) == charter_id)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    query = query.order_by(col(AuditEntry.id).desc()).limit(limit)
    return (await session.execute(query)).scalars().all()
