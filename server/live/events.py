"""Live domain events for open browsers, as Server-Sent Events.

The chosen transport (ARCHITECTURE leaves it to the server): ``GET /api/charters/{slug}/events``,
``text/event-stream``, one JSON object per event. Events are raised in every process holding the
charter (the Redis fan-out carries the changes), so a browser may be connected to any of them.
A subscriber too slow to take its events loses its stream (it reconnects and refetches).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

log = logging.getLogger(__name__)

MAX_PENDING = 100
HEARTBEAT_SECONDS = 15.0


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any] | None]]] = {}

    def publish(self, charter_id: int, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(charter_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.info("event subscriber of charter %s too slow; closing its stream", charter_id)
                queue.get_nowait()
                queue.put_nowait(None)

    @contextlib.contextmanager
    def subscription(self, charter_id: int) -> Iterator[asyncio.Queue[dict[str, Any] | None]]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(MAX_PENDING)
        self._subscribers.setdefault(charter_id, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(charter_id, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(charter_id, None)


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
