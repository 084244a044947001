"""The y-websocket wire protocol (y-protocols): reading client messages strictly, writing ours.

Encoding uses pycrdt's helpers. Reading is done here because pycrdt's ``Decoder`` trusts its
input (a declared length past the end of the frame is silently cut short); every field a client
sends is checked, and a frame must hold exactly one message with nothing after it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pycrdt import (
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_update_message,
    write_var_uint,
)
from pycrdt._sync import create_sync_step1_message, create_sync_step2_message

MAX_AWARENESS_STATE = 64 * 1024


class MessageType(IntEnum):
    SYNC = YMessageType.SYNC
    AWARENESS = YMessageType.AWARENESS
    AUTH = 2
    QUERY_AWARENESS = 3


class ProtocolError(ValueError):
    """A frame that is not a well-formed y-websocket message."""


@dataclass(frozen=True, slots=True)
class SyncMessage:
    kind: YSyncMessageType
    payload: bytes  # a state vector for step 1, an update for step 2 and update


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: dict[str, Any] | None  # None: the client left


@dataclass(frozen=True, slots=True)
class AwarenessMessage:
    entries: list[AwarenessEntry]


@dataclass(frozen=True, slots=True)
class AuthMessage:
    denied: bool
    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwarenessMessage:
    pass


Message = SyncMessage | AwarenessMessage | AuthMessage | QueryAwarenessMessage


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value, shift = 0, 0
        while True:
            if self.pos >= len(self.data):
                raise ProtocolError("truncated number")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 49:  # lib0 numbers fit in 53 bits
                raise ProtocolError("number too large")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("declared length runs past the end of the frame")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError("string is not UTF-8") from error

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{len(self.data) - self.pos} unexpected bytes after the message")


def read_message(frame: bytes) -> Message:
    """Parse one client frame; raise ``ProtocolError`` for anything malformed."""
    reader = _Reader(frame)
    kind = reader.var_uint()
    message: Message
    if kind == MessageType.SYNC:
        sub = reader.var_uint()
        if sub not in (0, 1, 2):
            raise ProtocolError(f"unknown sync message type {sub}")
        message = SyncMessage(YSyncMessageType(sub), reader.var_bytes())
    elif kind == MessageType.AWARENESS:
        message = AwarenessMessage(_read_awareness(reader.var_bytes()))
    elif kind == MessageType.AUTH:
        denied = reader.var_uint() == 0
        message = AuthMessage(denied, reader.var_string())
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwarenessMessage()
    else:
        raise ProtocolError(f"unknown message type {kind}")
    reader.end()
    return message


def _read_awareness(payload: bytes) -> list[AwarenessEntry]:
    reader = _Reader(payload)
    count = reader.var_uint()
    if count > 1000:
        raise ProtocolError("too many awareness states in one message")
    entries = []
    for _ in range(count):
        client_id, clock = reader.var_uint(), reader.var_uint()
        raw = reader.var_string()
        if len(raw) > MAX_AWARENESS_STATE:
            raise ProtocolError("awareness state too large")
        try:
            state = json.loads(raw) if raw else None
        except (ValueError, RecursionError) as error:  # nested deeper than Python's stack
            raise ProtocolError("awareness state is not JSON") from error
        if state is not None and not isinstance(state, dict):
            raise ProtocolError("awareness state is not a JSON object or null")
        entries.append(AwarenessEntry(client_id, clock, state))
    reader.end()
    return entries


def sync_step1(state_vector: bytes) -> bytes:
    return create_sync_step1_message(state_vector)


def sync_step2(update: bytes) -> bytes:
    return create_sync_step2_message(update)


def update_message(update: bytes) -> bytes:
    return create_update_message(update)


def awareness_message(entries: list[AwarenessEntry]) -> bytes:
    """Encode awareness states anew (never the client's bytes)."""
    body = [write_var_uint(len(entries))]
    for entry in entries:
        state = json.dumps(entry.state, separators=(",", ":")).encode()
        body += [write_var_uint(entry.client_id), write_var_uint(entry.clock)]
        body += [write_var_uint(len(state)), state]
    return create_awareness_message(b"".join(body))


def permission_denied(reason: str) -> bytes:
    """A y-protocols auth message: permission denied, with a reason for the user."""
    encoded = reason.encode()
    return bytes([MessageType.AUTH, 0]) + write_var_uint(len(encoded)) + encoded
