"""Fan-out between server processes: one Redis pub/sub channel per charter.

What crosses: updates (after the publishing process stored them, so every process may show them
at once), awareness, and access changes (roles, phase, frozen clauses). A process subscribes to a
charter's channel before loading the room from the store, so nothing falls between the two.
What concerns every charter (a revoked API token, a deactivated account) goes on one channel
every process listens to; the command line publishes there too (``publish_once``).

Redis is a courier, not a store: a message lost while Redis is away is recovered from the store.
When the subscription comes back, every room resyncs from the store (state-vector diff).
Without ``REDIS_URL`` a single process needs none of this (``LocalFanout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from enum import Enum

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Handler = Callable[["Kind", bytes], None]


class Kind(Enum):
    update = b"U"
    awareness = b"A"
    member = b"M"
    charter = b"C"
    token_revoked = b"T"  # on the process channel: payload is the token's id
    user_deactivated = b"D"  # on the process channel: payload is the user's id
    event = b"E"  # on the process channel: a charter's domain event, {"charter_id", "event"}


class LocalFanout:
    """One process: nothing to fan out."""

    healthy = True

    async def start(self, on_reconnect: Callable[[], Awaitable[None]]) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def subscribe(self, charter_id: int, handler: Handler) -> None:
        return None

    async def unsubscribe(self, charter_id: int) -> None:
        return None

    def publish(self, charter_id: int, kind: Kind, payload: bytes) -> None:
        return None

    def on_process_message(self, handler: Handler) -> None:
        return None

    def publish_to_processes(self, kind: Kind, payload: bytes) -> None:
        return None

    async def ping(self) -> bool:
        return True


class RedisFanout:
    """Publishes through a bounded queue (never blocking a broadcast); listens on one task."""

    PREFIX = "charter-drafts:charter:"
    PROCESSES = b"charter-drafts:process"  # every process listens; it keeps the reader alive too

    def __init__(self, url: str, max_queue: int = 10_000) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._origin = uuid.uuid4().bytes  # this process: its own messages are skipped
        self._handlers: dict[bytes, Handler] = {}
        self._process_handler: Handler | None = None
        self._outbox: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue(max_queue)
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._on_reconnect: Callable[[], Awaitable[None]] | None = None
        self.healthy = False
        log.info("fan-out over Redis (process %s, pid %d)", self._origin.hex()[:8], os.getpid())

    def _channel(self, charter_id: int) -> bytes:
        return f"{self.PREFIX}{charter_id}".encode()

    async def start(self, on_reconnect: Callable[[], Awaitable[None]]) -> None:
        self._on_reconnect = on_reconnect
        await self._pubsub.subscribe(self.PROCESSES)
        self.healthy = True
        self._tasks = [
            asyncio.create_task(self._listen(), name="fanout-listen"),
            asyncio.create_task(self._send(), name="fanout-send"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.aclose()
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()

    async def subscribe(self, charter_id: int, handler: Handler) -> None:
        """Listen on the charter's channel (subscribed already: ``handler`` takes over)."""
        channel = self._channel(charter_id)
        self._handlers[channel] = handler
        if channel in self._pubsub.channels:  # the SUBSCRIBE went out before
            return
        try:
            await self._pubsub.subscribe(channel)
        except (RedisError, OSError) as error:
            # Resubscribed (and resynced from the store) when Redis is back.
            log.warning("subscribing to charter %s failed: %r", charter_id, error)

    async def unsubscribe(self, charter_id: int) -> None:
        channel = self._channel(charter_id)
        self._handlers.pop(channel, None)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(channel)

    def publish(self, charter_id: int, kind: Kind, payload: bytes) -> None:
        message = kind.value + self._origin + payload
        try:
            self._outbox.put_nowait((self._channel(charter_id), message))
        except asyncio.QueueFull:
            # Safe to drop: the update is stored; other processes resync when Redis recovers.
            log.warning("fan-out queue full; dropping a message for charter %s", charter_id)

    def on_process_message(self, handler: Handler) -> None:
        self._process_handler = handler

    def publish_to_processes(self, kind: Kind, payload: bytes) -> None:
        try:
            self._outbox.put_nowait((self.PROCESSES, kind.value + self._origin + payload))
        except asyncio.QueueFull:
            log.warning("fan-out queue full; dropping a message for every process")

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def _send(self) -> None:
        while True:
            channel, message = await self._outbox.get()
            try:
                await self._redis.publish(channel, message)
            except (RedisError, OSError) as error:
                log.warning("publishing to Redis failed (%r); others resync later", error)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                delay = 0.1
            except (RedisError, OSError) as error:
                self.healthy = False
                log.warning("Redis subscription lost (%r); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await self._reconnect()
                continue
            if message is not None and message.get("type") == "message":
                self._dispatch(message["channel"], message["data"])

    async def _reconnect(self) -> None:
        try:
            # Re-subscribes every channel it had subscribed (redis does not type it).
            await self._pubsub.connect()  # type: ignore[no-untyped-call]
            # ...but not those whose SUBSCRIBE failed while Redis was away.
            missing = [c for c in self._handlers if c not in self._pubsub.channels]
            if missing:
                await self._pubsub.subscribe(*missing)
            await self._pubsub.ping()
        except (RedisError, OSError):
            return
        self.healthy = True
        log.info("Redis subscription restored; resyncing open rooms from the store")
        if self._on_reconnect is not None:
            await self._on_reconnect()

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        handler = self._handlers.get(channel)
        if channel == self.PROCESSES:
            handler = self._process_handler
        if handler is None or len(data) < 17 or data[1:17] == self._origin:
            return
        try:
            kind = Kind(data[:1])
        except ValueError:
            log.warning("unknown fan-out message on %r", channel)
            return
        try:
            handler(kind, data[17:])
        except Exception:
            log.exception("handling a fan-out message on %r failed", channel)


Fanout = LocalFanout | RedisFanout


async def publish_once(url: str, kind: Kind, payload: bytes) -> int:
    """Publish one message on the process channel from outside a server (the command line):
    every running process connected to this Redis acts on it. Returns how many received it."""
    client = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        message = kind.value + uuid.uuid4().bytes + payload
        return int(await client.publish(RedisFanout.PROCESSES, message))
    finally:
        await client.aclose()
