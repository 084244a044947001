"""A charter's live domain events, for the open browsers' event streams (``server.web.events``).

Events are raised in every process holding the charter (the Redis fan-out carries the changes),
so a browser may be connected to any of them. A subscriber too slow to take its events loses its
stream (it reconnects and refetches).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

MAX_PENDING = 100


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
