"""A charter's live domain events as Server-Sent Events (``GET /api/charters/{slug}/events``).

The events come from the room service's hub (``server.live.events``): raised in every process
holding the charter, so a browser may be connected to any of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

HEARTBEAT_SECONDS = 15.0


async def stream(
    queue: asyncio.Queue[dict[str, Any] | None], user_id: int | None
) -> AsyncIterator[str]:
    """Server-Sent Events: each event as ``data: {json}``, a comment as a heartbeat."""
    yield ": connected\n\n"
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
        except TimeoutError:
            yield ": heartbeat\n\n"
            continue
        if event is None:
            return
        yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        if event["type"] == "membership" and event.get("user_id") == user_id and not event["role"]:
            return  # removed from the charter: nothing more for them here
