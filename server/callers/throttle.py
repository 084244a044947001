"""Throttling repeated failures (sign-in) per key, with a sliding window.

In memory for one process; with ``REDIS_URL``, in Redis (a sorted set of failure times per key),
so every process behind a load balancer counts the same failures: otherwise each process allowed
its own ``SIGN_IN_FAILURES_PER_*`` and a guesser spread over N processes got N times as many.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Throttle(Protocol):
    async def retry_after(self, key: str) -> int: ...
    async def fail(self, key: str) -> None: ...
    async def clear(self, key: str) -> None: ...
    async def close(self) -> None: ...


class FailureThrottle:
    """At most ``limit`` failures per key within ``window`` seconds, then refusals until the
    oldest ages out (this process only)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    async def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 if it may now."""
        now = time.monotonic()
        failures = self._recent(key, now)
        if len(failures) < self.limit:
            return 0
        return max(1, int(failures[0] + self.window - now) + 1)

    async def fail(self, key: str) -> None:
        now = time.monotonic()
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    async def close(self) -> None:
        pass


class RedisFailureThrottle:
    """The same rule, counted in Redis for every process (wall-clock times, shared).

    If Redis cannot be reached, this process counts on its own meanwhile (logged): sign-in keeps
    working, throttled per process as without Redis.
    """

    def __init__(self, url: str, limit: int, window: float, prefix: str) -> None:
        self.limit = limit
        self.window = window
        self._prefix = f"charter-drafts:throttle:{prefix}:"
        self._redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._local = FailureThrottle(limit, window)

    async def retry_after(self, key: str) -> int:
        name = self._prefix + key
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, "-inf", now - self.window)
                pipe.zcard(name)
                pipe.zrange(name, 0, 0, withscores=True)
                _, count, oldest = await pipe.execute()
        except RedisError as error:
            log.warning("sign-in throttle: Redis unreachable, counting here: %r", error)
            return await self._local.retry_after(key)
        if count < self.limit or not oldest:
            return 0
        return max(1, int(oldest[0][1] + self.window - now) + 1)

    async def fail(self, key: str) -> None:
        name = self._prefix + key
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
                pipe.expire(name, int(self.window) + 1)
                await pipe.execute()
        except RedisError as error:
            log.warning("sign-in throttle: Redis unreachable, counting here: %r", error)
            await self._local.fail(key)

    async def clear(self, key: str) -> None:
        await self._local.clear(key)
        try:
            await self._redis.delete(self._prefix + key)
        except RedisError as error:
            log.warning("sign-in throttle: Redis unreachable: %r", error)

    async def close(self) -> None:
        await self._redis.aclose()
