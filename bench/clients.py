"""Clients of the comparison beyond ``loadgen``'s: pipelined writers that count their own echoes,
and a new reader's view of a room."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from functools import partial

from loadgen import (
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    Reader,
    WireReader,
    Writer,
    now,
)
from pycrdt import Doc
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from charter_drafts.document.schema import load_document, read_clauses
from server.live.protocol import AuthMessage, read_message, sync_step2


async def close_all(clients: Sequence[Reader]) -> None:
    for start in range(0, len(clients), 200):
        await asyncio.gather(*(c.close() for c in clients[start : start + 200]))


def state_clock(state: bytes, client: int) -> int:
    """A client's clock in an encoded state vector (lib0 varints: count, then client, clock)."""
    values, value, shift = [], 0, 0
    for byte in state:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            values.append(value)
            value, shift = 0, 0
    pairs = values[1:]
    return dict(zip(pairs[0::2], pairs[1::2], strict=True)).get(client, 0)


class Pipelined(Writer):
    """A writer that keeps at most ``window`` updates unacknowledged (not yet broadcast back to
    it), so it sends as fast as the server takes them without an unbounded queue. It counts its
    echoes by its marker prefix and, unlike ``Writer``, does not apply others' updates."""

    __slots__ = ("acked", "prefix", "space")

    def __init__(self, prefix: bytes) -> None:
        super().__init__()
        self.prefix = prefix
        self.acked = 0
        self.space = asyncio.Event()

    def count_acks(self, frame: bytes) -> None:
        self.acked += frame.count(self.prefix)

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                received = now()
                head = frame[:2]
                if head == SYNC_UPDATE:
                    self.frames.append((received, frame))  # type: ignore[arg-type]
                    self.count_acks(frame)  # type: ignore[arg-type]
                    self.space.set()
                elif head == SYNC_STEP2:
                    self.doc.apply_update(read_message(frame).payload)  # type: ignore[arg-type, union-attr]
                    self.synced_at = received
                    self.synced.set()
                elif head == SYNC_STEP1:
                    payload = read_message(frame).payload  # type: ignore[arg-type, union-attr]
                    await socket.send(sync_step2(self.doc.get_update(payload)))
                else:
                    message = read_message(frame)  # type: ignore[arg-type]
                    if isinstance(message, AuthMessage) and message.denied:
                        self.denials.append(message.reason)
        except ConnectionClosed:
            pass
        self._ended(socket.close_code, socket.close_reason)

    async def pump(self, edit: Callable[[int], None], until: float, window: int, limit: int) -> int:
        """Make and send updates (``edit(seq)`` makes update ``seq``) until ``until`` or
        ``limit`` updates, keeping at most ``window`` unacknowledged; return how many were sent."""
        assert self.socket is not None
        seq = 0
        while seq < limit and now() < until:
            if seq - self.acked >= window:
                self.space.clear()
                if seq - self.acked >= window:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.space.wait(), max(0.001, until - now()))
                    if self.dropped:
                        break
                    continue
            if not await self.send_edit(partial(edit, seq)):
                break
            seq += 1
            if seq % 16 == 0:
                await asyncio.sleep(0)  # let the other writers and the readers run
        return seq


class Typist(Pipelined):
    """Counts its acknowledged updates by its own clock in the echoes (its updates carry no
    marker: each inserts one character, so each advances its clock by one)."""

    __slots__ = ("base", "mirror")

    def __init__(self) -> None:
        super().__init__(b"")
        self.mirror: Doc | None = None
        self.base = 0

    def count_acks(self, frame: bytes) -> None:
        assert self.mirror is not None
        self.mirror.apply_update(read_message(frame).payload)  # type: ignore[union-attr]
        self.acked = state_clock(self.mirror.get_state(), self.doc.client_id) - self.base

    def start_counting(self) -> None:
        self.mirror = load_document([self.doc.get_update()])
        self.base = state_clock(self.doc.get_state(), self.doc.client_id)


async def fresh_view(url: str) -> list[tuple[str, str, str]]:
    """The document as a newly joined client sees it: (key, title, body) in order."""
    reader = WireReader()
    try:
        await reader.open(url)
        await reader.wait_synced(30)
        return [(c.key, c.title, c.body) for c in read_clauses(reader.document())]
    finally:
        await reader.close()
