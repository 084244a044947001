"""A y-websocket client in Python (pycrdt + websockets), for scripts, tests and benchmarks.

>>> async with LiveClient.connect("ws://127.0.0.1:8000/ws/charters/lampedusa") as client:
...     await client.synced.wait()
...     client.text("preamble", "body").insert(0, "Draft: ")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import websockets
from pycrdt import Doc, Map, Text, TransactionEvent, YSyncMessageType

from charter_drafts.document.schema import clauses_of, load_document, read_clauses
from server.live.protocol import (
    AuthMessage,
    AwarenessEntry,
    AwarenessMessage,
    SyncMessage,
    awareness_message,
    read_message,
    sync_step1,
    sync_step2,
    update_message,
)


class LiveClient:
    """Keeps a pycrdt document in sync with a charter; local changes are sent as they happen."""

    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket
        self.doc: Doc[Any] = load_document([])
        self.synced = asyncio.Event()
        self.updates_received = 0
        self.denials: list[str] = []
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self._applying = False
        self._awareness_clock = 0
        self._subscription = self.doc.observe(self._on_transaction)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, **options: Any) -> AsyncIterator[LiveClient]:
        async with websockets.connect(url, max_size=None, **options) as socket:
            client = cls(socket)
            await client.send(sync_step1(client.doc.get_state()))
            try:
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    def text(self, clause: str, field: str) -> Text:
        value = clauses_of(self.doc)[clause]
        assert isinstance(value, Map)
        text = value[field]
        assert isinstance(text, Text)
        return text

    def clause_texts(self) -> dict[str, tuple[str, str]]:
        return {c.key: (c.title, c.body) for c in read_clauses(self.doc)}

    async def send(self, message: bytes) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.send(message)

    async def set_presence(self, state: dict[str, Any] | None) -> None:
        self._awareness_clock += 1
        entry = AwarenessEntry(self.doc.client_id, self._awareness_clock, state)
        await self.send(awareness_message([entry]))

    def _on_transaction(self, event: TransactionEvent) -> None:
        if not self._applying:
            message = update_message(event.update)
            asyncio.get_running_loop().create_task(self.send(message))

    def _apply(self, update: bytes) -> None:
        self._applying = True
        try:
            self.doc.apply_update(update)
        finally:
            self._applying = False

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.socket:
                assert isinstance(frame, bytes), "the server sends binary frames only"
                self.received.put_nowait(frame)
                message = read_message(frame)
                if isinstance(message, SyncMessage):
                    if message.kind == YSyncMessageType.SYNC_STEP1:
                        await self.send(sync_step2(self.doc.get_update(message.payload)))
                    else:
                        self._apply(message.payload)
                        if message.kind == YSyncMessageType.SYNC_STEP2:
                            self.synced.set()
                        else:
                            self.updates_received += 1
                elif isinstance(message, AwarenessMessage):
                    for entry in message.entries:
                        self.awareness[entry.client_id] = entry.state
                elif isinstance(message, AuthMessage) and message.denied:
                    self.denials.append(message.reason)
