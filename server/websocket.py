"""The live-document endpoint: adapts a Starlette websocket to a room.

Close codes: 1002 malformed message, 1003 text frame, 1007 update or state vector that does not
decode, 1008 too many refused updates, 1009 message too big, 1013 client too slow, 4404 unknown
charter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pycrdt import YSyncMessageType
from starlette.websockets import WebSocket

from charter_drafts.errors import Invalid, NotFound
from server.connection import Connection
from server.protocol import ProtocolError, SyncMessage, read_message
from server.services import Services

log = logging.getLogger(__name__)

CLOSE_PROTOCOL = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_NOT_FOUND = 4404


async def charter_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    settings = services.settings
    slug = websocket.path_params["slug"]
    await websocket.accept()
    try:
        room = await services.rooms.open(slug)
    except NotFound as error:
        await websocket.close(CLOSE_NOT_FOUND, error.message[:120])
        return
    connection = Connection(
        websocket,
        max_queue=settings.send_queue_messages,
        max_queue_bytes=settings.send_queue_bytes,
        window=settings.inflight_per_connection,
    )
    sender = asyncio.create_task(connection.run_sender())
    room.join(connection)
    try:
        while not connection.closed.is_set():
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            frame = event.get("bytes")
            if frame is None:
                _refuse(connection, CLOSE_UNSUPPORTED, "text frames are not part of the protocol")
                break
            if len(frame) > settings.max_message_size:
                _refuse(connection, CLOSE_TOO_BIG, "message too big")
                break
            try:
                message = read_message(frame)
            except ProtocolError as error:
                _refuse(connection, CLOSE_PROTOCOL, f"malformed message: {error}")
                break
            is_update = (
                isinstance(message, SyncMessage) and message.kind != YSyncMessageType.SYNC_STEP1
            )
            if is_update:
                await connection.window.acquire()
            try:
                stored = room.receive(connection, message)
            except Invalid as error:
                _refuse(connection, CLOSE_INVALID, error.message)
                stored = False
                break
            finally:
                if is_update and not stored:
                    connection.window.release()
    finally:
        room.leave(connection)
        services.rooms.release(room)
        connection.close(1000, "")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(sender, timeout=5)
        if not sender.done():
            sender.cancel()


def _refuse(connection: Connection, code: int, reason: str) -> None:
    log.warning("%s: closing with %d: %s", connection.peer, code, reason)
    connection.close(code, reason)
