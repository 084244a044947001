"""A charter's live domain events as Server-Sent Events: every event for its members
(``GET /api/charters/{slug}/events``), and for anyone the little a visitor may know
(``GET /api/charters/{slug}/public-events``): that a version's public endorsers changed, or that
a version was published.

The events come from the room service's hub (``server.live.events``): raised in every process
holding the charter, so a browser may be connected to any of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from charter_drafts.errors import Busy
from charter_drafts.texts import text

HEARTBEAT_SECONDS = 15.0
BUSY_RETRY_SECONDS = 30

Event = dict[str, Any]


def everything(event: Event) -> Event | None:
    return event


def public_view(event: Event) -> Event | None:
    """What a visitor may learn of a domain event, if anything: no ids, nothing pending,
    rejected or private; only that a version's public list of endorsers changed, or that a
    version was published."""
    if event["type"] == "version":
        return {"type": "version", "number": event["number"]}
    listed = event.get("action") in ("verified", "withdrawn") and event.get("public") is True
    if event["type"] == "endorsement" and listed:
        return {"type": "endorsers", "version": event["version"]}
    return None


class StreamGate:
    """At most ``limit`` public streams open at once in this process: each holds a connection
    and a queue, and a visitor needs no account to open one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def enter(self) -> None:
        if self.open >= self.limit:
            refusal = text(
                "too many live pages are open here; try again in {wait} s", wait=BUSY_RETRY_SECONDS
            )
            raise Busy(refusal, retry_after=BUSY_RETRY_SECONDS)
        self.open += 1

    def leave(self) -> None:
        self.open -= 1


async def stream(
    queue: asyncio.Queue[dict[str, Any] | None],
    user_id: int | None,
    view: Callable[[Event], Event | None] = everything,
) -> AsyncIterator[str]:
    """Server-Sent Events: each event (as ``view`` shows it, if at all) as ``data: {json}``,
    a comment as a heartbeat."""
    yield ": connected\n\n"
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
        except TimeoutError:
            yield ": heartbeat\n\n"
            continue
        if event is None:
            return
        shown = view(event)
        if shown is not None:
            yield f"event: {shown['type']}\ndata: {json.dumps(shown)}\n\n"
        if event["type"] == "membership" and event.get("user_id") == user_id and not event["role"]:
            return  # removed from the charter: nothing more for them here
