"""What a running server holds: its settings, database, update writer and rooms."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from charter_drafts.charters import charter_ids_blocking
from charter_drafts.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    warm_pool,
)
from charter_drafts.document.schema import warm_up as warm_up_documents
from charter_drafts.document.store import (
    StoreRunner,
    here_runner,
    store_runner,
    update_log_runner,
)
from server.callers.throttle import FailureThrottle, RedisFailureThrottle, Throttle
from server.collector import freeze_startup_objects
from server.live.fanout import Fanout, LocalFanout, RedisFanout
from server.live.joins import JoinLookups, warm_up_blocking
from server.live.rooms import Rooms
from server.live.writer import UpdateWriter
from server.metrics import Metrics
from server.settings import Settings

log = logging.getLogger(__name__)

SIGN_IN_WINDOW = 15 * 60.0
REQUEST_WINDOW = 60 * 60.0
WARM_POOL_SECONDS = 10.0  # an unreachable store does not hold up the start for longer
KNOWN_CHARTERS = 10_000  # charters whose ids are read at the start (the newest)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    store: StoreRunner  # blocking store work in one go (joins, room loads)
    writer: UpdateWriter
    joins: JoinLookups  # the callers joining live documents, looked up together
    rooms: Rooms
    account_throttle: Throttle
    address_throttle: Throttle
    request_throttle: Throttle  # public endorsement requests, per address
    fanout: Fanout
    metrics: Metrics
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings) -> Services:
        engine = create_engine(
            settings.resolved_database_url, pool_size=settings.database_pool_size
        )
        sessions = create_session_factory(engine)
        metrics = Metrics()
        store = store_runner(settings.resolved_database_url, sessions)
        update_log = update_log_runner(settings.resolved_database_url, sessions)
        writer = UpdateWriter(update_log, store, metrics)
        fanout: Fanout = RedisFanout(settings.redis_url) if settings.redis_url else LocalFanout()
        return cls(
            settings,
            engine,
            sessions,
            store,
            writer,
            JoinLookups(store, here_runner(store)),
            Rooms(sessions, store, writer, settings, fanout, metrics),
            _throttle(settings, "account", settings.sign_in_failures_per_account),
            _throttle(settings, "address", settings.sign_in_failures_per_address),
            _throttle(
                settings, "request", settings.endorsement_requests_per_address, REQUEST_WINDOW
            ),
            fanout,
            metrics,
        )

    async def start(self) -> None:
        try:
            async with asyncio.timeout(WARM_POOL_SECONDS):
                opened = await warm_pool(self.engine, self.settings.database_pool_warm)
        except Exception as error:  # the store may come later: /readyz says so meanwhile
            log.warning("could not open the store's first connections: %r", error)
        else:
            if opened:
                log.info("opened %d connections to the store", opened)
        try:
            async with asyncio.timeout(WARM_POOL_SECONDS):
                await self.store(warm_up_blocking)
                known = await self.store(partial(charter_ids_blocking, most=KNOWN_CHARTERS))
            self.rooms.know(known)
        except Exception as error:  # as above: the first joins do this work instead
            log.warning("could not prepare the store's statements: %r", error)
        self.writer.start()
        await self.fanout.start(self.rooms.resync)
        if self.settings.redis_url:
            self._background = [
                asyncio.create_task(self._resync_periodically()),
                asyncio.create_task(self._expire_presence_periodically()),
            ]
        if self.settings.account_check_seconds > 0:
            self._background.append(asyncio.create_task(self._close_deactivated_periodically()))
        warm_up_documents()
        freeze_startup_objects()

    async def _resync_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.resync_seconds)
            try:
                await self.rooms.resync()
            except Exception:
                log.exception("periodic resync from the store failed")

    async def _close_deactivated_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.account_check_seconds)
            try:
                await self.rooms.close_deactivated()
            except Exception:
                log.exception("looking for deactivated accounts failed")

    async def _expire_presence_periodically(self) -> None:
        timeout = self.settings.presence_timeout_seconds
        while True:
            await asyncio.sleep(timeout / 3)
            self.rooms.expire_remote_presence(timeout)

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        await self.rooms.close(self.settings.shutdown_grace_seconds)
        await self.writer.stop()
        await self.fanout.stop()
        await self.account_throttle.close()
        await self.address_throttle.close()
        await self.request_throttle.close()
        self.store.close()
        await self.engine.dispose()


def _throttle(
    settings: Settings, kind: str, limit: int, window: float = SIGN_IN_WINDOW
) -> Throttle:
    """Sign-in failures per account or address, or public requests per address: shared by
    every process through Redis if set."""
    if settings.redis_url:
        return RedisFailureThrottle(settings.redis_url, limit, window, kind)
    return FailureThrottle(limit, window)
