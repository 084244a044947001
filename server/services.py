"""What a running server holds: its settings, database, update writer and rooms."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from charter_drafts.database import SessionFactory, create_engine, create_session_factory
from server.rooms import Rooms
from server.settings import Settings
from server.throttle import FailureThrottle
from server.writer import UpdateWriter

SIGN_IN_WINDOW = 15 * 60.0


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    writer: UpdateWriter
    rooms: Rooms
    account_throttle: FailureThrottle
    address_throttle: FailureThrottle

    @classmethod
    def create(cls, settings: Settings) -> Services:
        engine = create_engine(settings.resolved_database_url)
        sessions = create_session_factory(engine)
        writer = UpdateWriter(sessions)
        return cls(
            settings,
            engine,
            sessions,
            writer,
            Rooms(sessions, writer, settings),
            FailureThrottle(settings.sign_in_failures_per_account, SIGN_IN_WINDOW),
            FailureThrottle(settings.sign_in_failures_per_address, SIGN_IN_WINDOW),
        )

    async def start(self) -> None:
        self.writer.start()

    async def stop(self) -> None:
        await self.rooms.close()
        await self.writer.stop()
        await self.engine.dispose()
