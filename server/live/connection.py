"""One client's websocket: frames written at once when the socket takes them, else queued.

A message goes straight to the socket (``frames``) while nothing is queued for this client
and its transport is not backed up. Otherwise it waits in a bounded queue that a task drains through
ASGI ``send``, which waits for the socket to drain; the task exists only while there is a backlog
(or a close to send), so an idle client costs no task. A client too slow to keep up is disconnected
(it resyncs when it reconnects) rather than skipped or allowed to grow the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from starlette.websockets import WebSocket, WebSocketDisconnect

from charter_drafts.permissions import Member
from charter_drafts.texts import Text
from server.live.frames import encode_frame
from server.live.websocket_protocol import WebSocketProtocol

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 1013  # "try again later": the client fell too far behind
MAX_CLOSE_REASON = 120  # bytes of UTF-8 (a close frame's payload is 125 at most, with the code)


def close_reason(reason: str | Text, language: str) -> str:
    """A close frame's reason in ``language``, cut to fit (at a character's boundary)."""
    rendered = reason.render(language) if isinstance(reason, Text) else reason
    return rendered.encode()[:MAX_CLOSE_REASON].decode(errors="ignore")


class Connection:
    """Sends protocol messages to one websocket, one message per frame, in order."""

    __slots__ = (
        "_close",
        "_direct",
        "_queue",
        "_queued_bytes",
        "_sender",
        "awareness_ids",
        "closed",
        "display_name",
        "language",
        "max_queue",
        "max_queue_bytes",
        "member",
        "peer",
        "token_id",
        "websocket",
        "window",
    )

    def __init__(
        self,
        websocket: WebSocket,
        member: Member,
        *,
        display_name: str = "",
        max_queue: int,
        max_queue_bytes: int,
        window: int,
        direct: WebSocketProtocol | None = None,
        token_id: int | None = None,
        language: str = "en",
    ) -> None:
        self.websocket = websocket
        self.member = member  # replaced when the member's role changes
        self.token_id = token_id  # the API token it signed in with (None: session cookie)
        self.display_name = display_name  # shown to others in presence
        self.language = language  # of the refusals and close reasons it is sent
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.awareness_ids: tuple[int, ...] = ()  # usually one: a tuple is a sixth of a set
        self.window = asyncio.Semaphore(window)
        self._direct = direct  # its socket, to write broadcast frames to at once (None: ASGI)
        # Only while there is a backlog: an idle connection keeps no queue and no task.
        self._queue: deque[bytes] | None = None
        self._queued_bytes = 0
        self._sender: asyncio.Task[None] | None = None
        self._close: tuple[int, str] | None = None
        self.closed = False  # the close frame went out, or the peer is gone
        client = websocket.client
        self.peer = f"{client.host}:{client.port}" if client else "?"

    def send(self, message: bytes, frame: bytes | None = None) -> bool:
        """Send a message (``frame``: it already encoded as a frame, for broadcasts).

        True if it went straight to the socket. A full queue disconnects the client instead of
        dropping the message.
        """
        if self._close is not None:
            return False
        direct = self._direct
        if self._sender is None and direct and direct.write_frame(frame or encode_frame(message)):
            return True
        if self._queue is None:
            self._queue = deque()
        # The budget bounds the backlog already waiting, so one large message (a big document's
        # sync step 2) is always accepted by a client that is keeping up.
        if len(self._queue) >= self.max_queue or self._queued_bytes > self.max_queue_bytes:
            log.warning("%s: send queue full, disconnecting a slow client", self.peer)
            self.close(CLOSE_TOO_SLOW, Text("client too slow; reconnect to resync"))
            return False
        self._queue.append(message)
        self._queued_bytes += len(message)
        self._start_sender()
        return False

    def release_window(self) -> None:
        """One of this client's updates is stored: it may have one more in flight."""
        self.window.release()

    def close(self, code: int, reason: str | Text) -> None:
        """Close after nothing more is sent; what was queued is dropped."""
        if self._close is None:
            self._close = (code, close_reason(reason, self.language))
            self._queue = None
            self._queued_bytes = 0
            sender = self._sender
            if sender is not None:
                # It waits in a send for a socket that is not drained (a client too slow, or
                # that stopped reading): the close goes out now instead, behind what was sent.
                sender.cancel()
                self._sender = None
            self._start_sender()

    async def finish(self, grace: float) -> None:
        """Wait (at most ``grace`` seconds) for the close frame to go out, then stop sending."""
        sender = self._sender
        if sender is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await asyncio.shield(sender)
        if not sender.done():
            sender.cancel()

    def _start_sender(self) -> None:
        if self._sender is None and not self.closed:
            self._sender = asyncio.create_task(self._run_sender())

    async def _run_sender(self) -> None:
        """Drain the backlog through ASGI ``send``; then send the close frame if one is due."""
        websocket = self.websocket
        try:
            while self._queue and self._close is None:
                message = self._queue.popleft()
                self._queued_bytes -= len(message)
                await websocket.send_bytes(message)
            if self._close is not None:
                code, reason = self._close
                with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                    await websocket.close(code, reason)
                self.closed = True
        except (WebSocketDisconnect, OSError, RuntimeError) as error:
            # The peer went away mid-send; the receive loop sees the disconnect too.
            log.debug("%s: send failed: %r", self.peer, error)
            self.closed = True
        finally:
            if self._sender is asyncio.current_task():
                self._sender = None
            if not self._queue:
                self._queue = None
