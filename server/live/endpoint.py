"""The live-document endpoint: adapts a Starlette websocket to a room.

Close codes: 1002 malformed message, 1003 text frame, 1007 update or state vector that does not
decode, 1008 too many refused (or incomplete) updates, 1009 message too big, 1011 an error here or
(``websocket_protocol``) no answer to the keepalive ping, 1012 the server is stopping, 1013
client too slow, 4401 not signed in (no session cookie or ``?token=``), the token was revoked or
the account deactivated (open sockets close at once, in every process), 4403 not a member, a
token for another charter, an origin not ours or a membership removed, 4404 unknown charter.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from pycrdt import YSyncMessageType
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from charter_drafts.document.store import StoreRunner
from charter_drafts.errors import DomainError, Invalid
from charter_drafts.permissions import Action, Member, require
from charter_drafts.texts import Text, text
from server.callers.auth import credentials
from server.callers.language import language_of
from server.callers.origins import origin_allowed
from server.collector import JOINING
from server.live.connection import Connection, close_reason
from server.live.frames import direct_writer
from server.live.joins import Joining, JoinLookups
from server.live.protocol import ProtocolError, SyncMessage, read_message
from server.live.room import Room
from server.live.rooms import Rooms
from server.metrics import Metrics
from server.settings import Settings

log = logging.getLogger(__name__)

CLOSE_PROTOCOL = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class Services(Protocol):
    """What the endpoint uses of the running server (``server.services.Services`` has it)."""

    settings: Settings
    rooms: Rooms
    store: StoreRunner
    joins: JoinLookups
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class _Joiner:
    member: Member | None
    display_name: str
    charter_id: int
    token_id: int | None  # the API token presented, if any


async def _join(services: Services, websocket: WebSocket, slug: str) -> tuple[_Joiner, Room]:
    """The caller, who may read the charter, and its room. Raises ``DomainError``.

    A room that is not loaded but was before (its charter's id is known) loads while the caller
    is looked up instead of after: the first client of an idle charter waits for one trip to
    the store less. If the caller is refused, the room unloads again when idle; loading it
    showed no one anything.
    """
    rooms = services.rooms
    known = rooms.known_charter_id(slug)
    if known is None or rooms.peek(slug) is not None:
        joiner = await _joiner(services, websocket, slug, known)
        require(joiner.member, Action.read_draft)
        return joiner, await rooms.open(slug, joiner.charter_id)
    opening = asyncio.ensure_future(rooms.open(slug, known))
    try:
        joiner = await _joiner(services, websocket, slug, known)
        require(joiner.member, Action.read_draft)
    except BaseException:
        opening.add_done_callback(partial(_let_go, rooms))
        raise
    return joiner, await opening


def _let_go(rooms: Rooms, opening: asyncio.Future[Room]) -> None:
    """A room loaded for a caller who was refused: unload it when idle."""
    if not opening.cancelled() and opening.exception() is None:
        rooms.release(opening.result())


async def _joiner(
    services: Services, websocket: WebSocket, slug: str, known: int | None
) -> _Joiner:
    """The caller as a member of the charter, with their display name: one trip to the store,
    shared with the other clients joining at the same time (``server.live.joins``).

    ``known``: the charter's id, if known (else it is looked up by slug in the same trip).
    """
    found = await services.joins.look_up(Joining(slug, known, credentials(websocket)))
    caller = found.caller
    return _Joiner(caller.member, caller.display_name, found.charter_id, caller.token_id)


def _peer(websocket: WebSocket) -> str:
    client = websocket.client
    return f"{client.host}:{client.port}" if client else "?"


async def live_socket(services: Services, scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app of ``/ws/charters/{slug}``, once bound to the services (``server.app`` binds
    it, ``server.live.entry`` routes to it).

    An open socket keeps this coroutine for its whole life, so it reads the ASGI ``receive``
    itself rather than through one more (Starlette's) per socket.
    """
    websocket = WebSocket(scope, receive, send)
    settings = services.settings
    slug = websocket.path_params["slug"]
    language = language_of(websocket)  # of what it is told: refusals, close reasons
    await websocket.accept()
    if not origin_allowed(websocket, settings.allowed_origin_list):
        refusal = Text("this origin may not open the live document")
        await websocket.close(CLOSE_FORBIDDEN, close_reason(refusal, language))
        return
    try:
        with JOINING:  # the collector waits until the clients joining now are in
            joiner, room = await _join(services, websocket, slug)
    except DomainError as error:
        code = {401: CLOSE_UNAUTHENTICATED, 403: CLOSE_FORBIDDEN}.get(error.status, CLOSE_NOT_FOUND)
        log.info("%s: live document '%s' refused: %s", _peer(websocket), slug, error.message)
        await websocket.close(code, close_reason(error.text, language))
        return
    assert joiner.member is not None
    connection = Connection(
        websocket,
        joiner.member,
        display_name=joiner.display_name,
        max_queue=settings.send_queue_messages,
        max_queue_bytes=settings.send_queue_bytes,
        window=settings.inflight_per_connection,
        direct=direct_writer(websocket.scope),
        token_id=joiner.token_id,
        language=language,
    )
    room.join(connection)
    try:
        while not connection.closed:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                break
            frame = event.get("bytes")
            if frame is None:
                reason = Text("text frames are not part of the protocol")
                _refuse(services, connection, CLOSE_UNSUPPORTED, reason)
                break
            if len(frame) > settings.max_message_size:
                _refuse(services, connection, CLOSE_TOO_BIG, Text("message too big"))
                break
            try:
                message = read_message(frame)
            except ProtocolError as error:
                malformed = text("malformed message: {error}", error=error)
                _refuse(services, connection, CLOSE_PROTOCOL, malformed)
                break
            is_update = (
                isinstance(message, SyncMessage) and message.kind != YSyncMessageType.SYNC_STEP1
            )
            if is_update:
                await connection.window.acquire()
            stored = False
            try:
                stored = room.receive(connection, message)
            except Invalid as error:
                _refuse(services, connection, CLOSE_INVALID, error.text)
                break
            finally:
                if is_update and not stored:
                    connection.window.release()
    finally:
        room.leave(connection)
        services.rooms.release(room)
        connection.close(1000, "")
        await connection.finish(grace=5)


def _refuse(services: Services, connection: Connection, code: int, reason: Text) -> None:
    log.warning("%s: closing with %d: %s", connection.peer, code, reason)
    services.metrics.refused.labels(str(code)).inc()
    connection.close(code, reason)
