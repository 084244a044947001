"""One client's websocket: a bounded send queue drained by its own task.

A client too slow to keep up is disconnected (it resyncs when it reconnects) rather than skipped
or allowed to grow the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from starlette.websockets import WebSocket, WebSocketDisconnect

from charter_drafts.permissions import Member

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 1013  # "try again later": the client fell too far behind


class Connection:
    """Sends protocol messages to one websocket, one message per frame, in order."""

    def __init__(
        self,
        websocket: WebSocket,
        member: Member,
        *,
        display_name: str = "",
        max_queue: int,
        max_queue_bytes: int,
        window: int,
    ) -> None:
        self.websocket = websocket
        self.member = member  # replaced when the member's role changes
        self.display_name = display_name  # shown to others in presence
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.awareness_ids: set[int] = set()
        self.window = asyncio.Semaphore(window)
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self.closed = asyncio.Event()
        client = websocket.client
        self.peer = f"{client.host}:{client.port}" if client else "?"

    def send(self, message: bytes) -> None:
        """Queue a message; a full queue disconnects the client instead of dropping it."""
        if self._close is not None:
            return
        # The budget bounds the backlog already waiting, so one large message (a big document's
        # sync step 2) is always accepted by a client that is keeping up.
        if len(self._queue) >= self.max_queue or self._queued_bytes > self.max_queue_bytes:
            log.warning("%s: send queue full, disconnecting a slow client", self.peer)
            self.close(CLOSE_TOO_SLOW, "client too slow; reconnect to resync")
            return
        self._queue.append(message)
        self._queued_bytes += len(message)
        self._wakeup.set()

    def release_window(self) -> None:
        """One of this client's updates is stored: it may have one more in flight."""
        self.window.release()

    def close(self, code: int, reason: str) -> None:
        """Close after nothing more is sent; what was queued is dropped."""
        if self._close is None:
            self._close = (code, reason.encode()[:120].decode(errors="ignore"))
            self._queue.clear()
            self._queued_bytes = 0
            self._wakeup.set()

    async def run_sender(self) -> None:
        """Drain the queue until closed; then send the close frame."""
        websocket = self.websocket
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue and self._close is None:
                    message = self._queue.popleft()
                    self._queued_bytes -= len(message)
                    await websocket.send_bytes(message)
                if self._close is not None:
                    code, reason = self._close
                    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                        await websocket.close(code, reason)
                    return
        except (WebSocketDisconnect, OSError, RuntimeError) as error:
            # The peer went away mid-send; the receive loop sees the disconnect too.
            log.debug("%s: send failed: %r", self.peer, error)
        finally:
            self.closed.set()
