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


Queue = asyncio.Queue[dict[str, Any] | None]


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[Queue]] = {}
        self._by_user: dict[int, set[Queue]] = {}  # the streams of each signed-in subscriber

    def publish(self, charter_id: int, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(charter_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.info("event subscriber of charter %s too slow; closing its stream", charter_id)
                _end(queue)

    def end_user(self, user_id: int) -> None:
        """End every stream of the user, on every charter (their account was deactivated)."""
        for queue in list(self._by_user.get(user_id, ())):
            _end(queue)

    def user_ids(self) -> set[int]:
        """The signed-in users with a stream open."""
        return set(self._by_user)

    @contextlib.contextmanager
    def subscription(self, charter_id: int, user_id: int | None = None) -> Iterator[Queue]:
        queue: Queue = asyncio.Queue(MAX_PENDING)
        self._subscribers.setdefault(charter_id, set()).add(queue)
        if user_id is not None:
            self._by_user.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            _leave(self._subscribers, charter_id, queue)
            if user_id is not None:
                _leave(self._by_user, user_id, queue)


def _end(queue: Queue) -> None:
    """Tell the stream to end: after what it has already, or at once if it is full."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(None)


def _leave(index: dict[int, set[Queue]], key: int, queue: Queue) -> None:
    members = index.get(key, set())
    members.discard(queue)
    if not members:
        index.pop(key, None)
