"""A room: one charter's live document, its connections, and the path of every update.

Two documents are kept. ``doc`` is the durable state: it only ever holds updates the store has
committed, so whatever a client receives from it (sync step 2, broadcasts) survives a crash.
``staging`` is the accepted state (durable plus what is on its way to the store); client updates
are vetted there. The path of an update: staging (vet, integrate) -> writer (commit) ->
``committed`` (apply to ``doc``, broadcast to every connection, the sender too).

Both are built when first needed. A room loaded from a compacted snapshot (with its state vector)
answers new clients (sync step 1 with an empty state vector) with the snapshot's bytes as stored,
so joining a long history does not wait for it to be decoded; ``doc`` is decoded at the first
update, resync or reconnecting client, and ``staging`` at the first edit. A room of readers never
builds ``staging`` at all.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from pycrdt import Doc, YSyncMessageType, merge_updates

from charter_drafts.document.formats import Malformed, UnsafeClientId, check_sync, decoding
from charter_drafts.document.schema import EMPTY_STATE_VECTOR, EMPTY_UPDATE, load_document
from charter_drafts.document.staging import Staging
from charter_drafts.document.update_log import Folded, StoredState
from charter_drafts.errors import Invalid, OutOfScope
from charter_drafts.models import Phase
from charter_drafts.permissions import (
    FROZEN,
    Action,
    CharterTarget,
    ClauseTarget,
    Member,
    can,
    refusal_reason,
)
from charter_drafts.texts import Text, text
from server.live.connection import Connection
from server.live.fanout import Fanout, Kind
from server.live.frames import encode_frame
from server.live.memory import release_freed_memory
from server.live.presence import Presence
from server.live.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    Message,
    QueryAwarenessMessage,
    SyncMessage,
    awareness_message,
    permission_denied,
    read_message,
    sync_step1,
    sync_step2,
    update_message,
)
from server.live.waiting import WaitingParts
from server.live.writer import UpdateWriter
from server.metrics import Metrics
from server.settings import Settings

log = logging.getLogger(__name__)

COMPACTION_REST = 4  # a busy room waits 4 times as long as its compaction took (at most 1/5)
MAX_COMPACTION_REST = 0.5  # seconds: the log of a busy room grows for no longer than that
CLOSE_POLICY = 1008
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
UNSAFE_CLIENT_ID = Text("it carries a client id above 2^53 - 1, which JavaScript clients misread")


class Room:
    def __init__(
        self,
        charter_id: int,
        slug: str,
        stored: StoredState,
        writer: UpdateWriter,
        settings: Settings,
        *,
        phase: Phase,
        frozen: frozenset[str],
        fanout: Fanout,
        metrics: Metrics,
    ) -> None:
        self.charter_id = charter_id
        self.slug = slug
        self.phase = phase
        self.frozen = frozen
        self._doc: Doc[Any] | None = None
        self._staging: Staging | None = None
        # The stored snapshot and its state vector, until ``doc`` is decoded from them.
        self._snapshot: tuple[bytes, bytes] | None = None
        if stored.state_vector is not None and len(stored.updates) == 1:
            self._snapshot = (stored.updates[0], stored.state_vector)
        else:
            self._doc = load_document(stored.updates)
        # The durable state as one update, for new clients (empty state vector) until it changes:
        # a join burst encodes it once, not once a client.
        self._whole: bytes | None = None
        self._in_flight: deque[bytes] = deque()
        self.connections: set[Connection] = set()
        self._presence = Presence()
        self._writer = writer
        self._settings = settings
        self._logged = stored.logged
        # What ``doc`` holds of the store, for a fold from memory: the snapshot's version, and
        # the charter's log entries up to ``_last_id``, ``_entries`` of them (None: unknown, a
        # fold from memory was refused; compactions fold from the store).
        self._version = stored.version
        self._last_id = stored.last_id
        self._entries: int | None = stored.logged
        self._rested = 0.0  # monotonic time after which a busy room may compact again
        self._refusals: dict[Connection, int] = {}
        self._waiting = WaitingParts()  # updates whose parts wait in staging
        self._staging_used = 0.0  # monotonic time staging was last used
        self._staging_timer: asyncio.TimerHandle | None = None
        self._fanout = fanout
        self._metrics = metrics
        # Told of every accepted client update: the clauses it touched and whose it is.
        self.on_edit: Callable[[Room, set[str], Member], None] = lambda *_: None

    @property
    def doc(self) -> Doc[Any]:
        """The durable document (decoded from the stored snapshot on first use)."""
        if self._doc is None:
            assert self._snapshot is not None
            self._doc = load_document([self._snapshot[0]])
            self._snapshot = None
        return self._doc

    @property
    def staging(self) -> Staging:
        """Where client updates are vetted (built at the first edit, dropped when idle)."""
        self._staging_used = time.monotonic()
        if self._staging is None:
            self._staging = Staging(self._accepted_state)
            self._check_staging_later(self._settings.staging_idle_seconds)
        return self._staging

    def _check_staging_later(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._staging_timer = loop.call_later(delay, self._drop_idle_staging)

    def _drop_idle_staging(self) -> None:
        """A second copy of the document is half a room's memory: none while no one edits.

        Kept while updates are in flight (it is the accepted state) or parts wait in it.
        """
        self._staging_timer = None
        if self._staging is None:
            return
        idle = self._settings.staging_idle_seconds
        since = time.monotonic() - self._staging_used
        self._waiting.follow(self._staging)
        if since < idle or self._in_flight or self._waiting.total:
            self._check_staging_later(max(idle - since, 1.0))
            return
        self._staging.close()
        self._staging = None
        self._waiting.clear()
        log.info("room %s: staging copy dropped after %.0f s without edits", self.slug, since)
        release_freed_memory()

    def _state_vector(self) -> bytes:
        return self._snapshot[1] if self._snapshot is not None else self.doc.get_state()

    def _accepted_state(self) -> Iterator[bytes]:
        yield self.doc.get_update()
        yield from self._in_flight

    @property
    def pending(self) -> int:
        """Accepted updates not yet stored."""
        return len(self._in_flight)

    # Connections

    def join(self, connection: Connection) -> None:
        self.connections.add(connection)
        connection.send(sync_step1(self._state_vector()))
        present = self._presence.entries()
        if present:
            connection.send(awareness_message(present))

    def leave(self, connection: Connection) -> None:
        self.connections.discard(connection)
        self._refusals.pop(connection, None)
        self._waiting.follow(self._staging)
        if self._waiting.of(connection):
            # Its parts would wait for dependencies no one will send, for the room's life.
            self._drop_pending()
        gone = self._presence.leave(connection)
        if gone:
            self._share_awareness(gone)

    # Messages

    def receive(self, connection: Connection, message: Message) -> bool:
        """Handle one client message; return True if an update went to the store.

        Raises ``Invalid`` for an update or state vector that does not decode.
        """
        if isinstance(message, SyncMessage):
            try:
                check_sync(message.kind == YSyncMessageType.SYNC_STEP1, message.payload)
            except UnsafeClientId:
                reason = text("update refused: {reason}", reason=UNSAFE_CLIENT_ID)
                self._refuse(connection, message, reason, resync=False)
                return False
            if message.kind == YSyncMessageType.SYNC_STEP1:
                connection.send(sync_step2(self._diff(message.payload)))
                return False
            return self._receive_update(connection, message)
        if isinstance(message, AwarenessMessage):
            self._receive_awareness(connection, message.entries)
        elif isinstance(message, QueryAwarenessMessage):
            connection.send(awareness_message(self._presence.entries()))
        return False

    def _diff(self, state_vector: bytes) -> bytes:
        if state_vector == EMPTY_STATE_VECTOR:  # a new client: everything
            if self._snapshot is not None:
                return self._snapshot[0]  # as stored
            if self._whole is None:
                self._whole = self.doc.get_update()
            return self._whole
        try:
            with decoding():
                return self.doc.get_update(state_vector)
        except Malformed as error:
            raise Invalid(text("malformed state vector: {error}", error=error)) from error

    def _receive_update(self, connection: Connection, message: SyncMessage) -> bool:
        member = connection.member
        if not can(member, Action.edit_text, CharterTarget(self.phase)):
            # Read-only (y-protocols): drop it. The stock client answers the server's step 1
            # with a step 2 that is usually empty: that one is not worth a word.
            if message.payload != EMPTY_UPDATE and not self.staging.changes_nothing(
                message.payload, self.doc
            ):
                reason = refusal_reason(member, Action.edit_text, CharterTarget(self.phase))
                refusal = text("update refused: {reason}", reason=reason)
                self._refuse(connection, message, refusal, resync=False)
            return False

        touched: set[str] = set()

        def refuse_clause(key: str) -> Text | None:
            touched.add(key)
            target = ClauseTarget(self.phase, key in self.frozen)
            return None if can(member, Action.edit_text, target) else FROZEN

        try:
            integrated = self.staging.try_update(message.payload, refuse_clause)
        except OutOfScope as refusal:
            self._refuse(connection, message, refusal.text)
            return False
        if integrated is None:
            self._note_pending(connection, message.payload)
            return False
        self._in_flight.append(integrated)
        self._writer.submit(self, integrated, connection.release_window)
        self._metrics.updates_in.inc()
        self.on_edit(self, touched, member)
        return True

    def _note_pending(self, connection: Connection, update: bytes) -> None:
        """An update that integrated nothing: known already, or waiting for what it builds on.

        Waiting parts stay in the staging document until their dependencies arrive, which may be
        never: a connection may leave ``MAX_PENDING_BYTES`` of them, all the room's connections
        ``MAX_PENDING_BYTES_PER_ROOM``; past either, the connection is closed and staging is
        rebuilt without them. They are dropped too when their sender leaves (short-lived
        connections never reached the first bound, and their parts stayed for good).
        """
        staging = self.staging
        if update == EMPTY_UPDATE or not staging.holds_pending(update):
            return
        waiting = self._waiting
        waiting.add(connection, len(update), staging)
        settings = self._settings
        if (
            waiting.of(connection) > settings.max_pending_bytes
            or waiting.total > settings.max_pending_bytes_per_room
        ):
            log.warning("%s on '%s': too many incomplete updates", connection.peer, self.slug)
            self._metrics.refused.labels("pending").inc()
            connection.close(
                CLOSE_POLICY, Text("too many updates whose dependencies never arrived")
            )
            self._drop_pending()

    def unload(self) -> None:
        """The room is gone from the process: free its staging copy (see ``Staging.close``)."""
        if self._staging_timer is not None:
            self._staging_timer.cancel()
            self._staging_timer = None
        if self._staging is not None:
            self._staging.close()
            self._staging = None
        self._waiting.clear()

    def _drop_pending(self) -> None:
        """Rebuild staging from the accepted state: every connection's waiting parts go.

        Parts wait only for updates sent out of order (a stock client sends in order on one
        socket) or built on a refused one; a client whose parts went sends them again when it
        next syncs.
        """
        if self._staging is not None:
            self._staging.rebuild()
        self._waiting.clear()

    def _refuse(
        self,
        connection: Connection,
        message: SyncMessage | None,
        reason: Text,
        *,
        resync: bool = True,
    ) -> None:
        count = self._refusals.get(connection, 0) + 1
        self._refusals[connection] = count
        log.info("%s on '%s': %s", connection.peer, self.slug, reason)
        self._metrics.refused.labels("update").inc()
        connection.send(permission_denied(reason.render(connection.language)))
        if count > self._settings.max_refusals:
            connection.close(CLOSE_POLICY, Text("too many refused updates"))
        elif resync and message and message.kind == YSyncMessageType.SYNC_UPDATE:
            # Resync: the client answers with what the server lacks. A refused step 2 gets no
            # new step 1, so a client holding refused changes cannot loop.
            connection.send(sync_step1(self._state_vector()))

    def _receive_awareness(self, connection: Connection, entries: list[AwarenessEntry]) -> None:
        changed, refused = self._presence.receive(connection, entries)
        if refused:
            reason = text("presence refused: {reason}", reason=UNSAFE_CLIENT_ID)
            self._refuse(connection, None, reason)
        if changed:
            self._share_awareness(changed)

    def _share_awareness(self, entries: list[AwarenessEntry]) -> None:
        message = awareness_message(entries)
        self._broadcast(message)
        self._fanout.publish(self.charter_id, Kind.awareness, message)

    # Server-side changes and access

    async def change(self, edit: Callable[[Doc[Any]], None]) -> None:
        """Apply a server-side change (structure included); return once stored and sent."""
        integrated = self.staging.apply_trusted(edit)
        if integrated is None:
            return
        stored = asyncio.get_running_loop().create_future()
        self._in_flight.append(integrated)
        self._writer.submit(self, integrated, lambda: stored.set_result(None))
        await stored

    def close_token(self, token_id: int) -> None:
        """An API token was revoked: the connections it opened close at once."""
        for connection in list(self.connections):
            if connection.token_id == token_id:
                connection.close(CLOSE_UNAUTHENTICATED, Text("this API token was revoked"))

    def close_user(self, user_id: int) -> None:
        """An account was deactivated: every connection of that user closes at once."""
        for connection in list(self.connections):
            if connection.member.user_id == user_id:
                connection.close(CLOSE_UNAUTHENTICATED, Text("this account is deactivated"))

    def update_member(self, user_id: int, member: Member | None) -> None:
        """A member's role changed (None: removed); open connections follow at once."""
        for connection in list(self.connections):
            if connection.member.user_id != user_id:
                continue
            if member is None or member.role is None:
                gone = Text("you are no longer a member of this charter")
                connection.close(CLOSE_FORBIDDEN, gone)
            else:
                connection.member = member

    # From other processes (already stored by the one that published it)

    def receive_remote(self, kind: Kind, payload: bytes) -> None:
        if kind is Kind.update:
            self.apply_stored(payload)
        elif kind is Kind.awareness:
            message = read_message(payload)
            if isinstance(message, AwarenessMessage):
                self._presence.receive_remote(message.entries, time.monotonic())
                self._broadcast(payload)

    def expire_remote_presence(self, older_than: float) -> None:
        """Forget other processes' clients not renewed since ``older_than`` (monotonic clock).

        Clients renew their presence every 15 seconds (y-protocols); one whose process died is
        never removed by that process, so the others drop it, and tell their own clients.
        """
        gone = self._presence.expire_remote(older_than)
        if gone:
            self._broadcast(awareness_message(gone))

    def apply_stored(self, update: bytes) -> None:
        """An update another process stored (or the store had and this process missed)."""
        self.doc.apply_update(update)
        self._whole = None
        if self._staging is not None:
            self._staging.apply_trusted(lambda doc: doc.apply_update(update))
        self._broadcast(update_message(update))

    # After the store

    def committed(self, updates: list[bytes], last_id: int) -> None:
        """Called by the writer once ``updates`` are stored, in the order they were accepted;
        every log entry of their batch is stored, up to ``last_id``."""
        if self._entries is not None:
            self._entries += len(updates)
            self._last_id = max(self._last_id, last_id)
        merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
        self.doc.apply_update(merged)  # one transaction for the batch, not one per update
        for _ in updates:
            self._in_flight.popleft()
        self._whole = None
        self._broadcast(update_message(merged))
        self._metrics.updates_out.inc(len(self.connections))
        # Stored already: the other processes may show it at once.
        self._fanout.publish(self.charter_id, Kind.update, merged)
        self._logged += len(updates)
        if self._logged >= self._settings.compact_after and time.monotonic() >= self._rested:
            self._logged = 0
            self._compact_in_background()

    def _compact_in_background(self) -> None:
        """Fold the log into the snapshot while the room is busy; then rest ``COMPACTION_REST``
        times as long as that took (at most ``MAX_COMPACTION_REST``) before the next one.

        A compaction's cost grows with the document (a fold from the store decodes all of it, one
        from memory encodes it) while the trigger (every ``compact_after`` entries) does not:
        under a burst of edits to a large charter, back-to-back folds from the store took a
        fifth of the server's samples (py-spy, the throughput benchmark), holding the
        interpreter lock the edits needed. Resting bounds them to a fifth of the time at most;
        the bound on the rest keeps the log from growing without end, which would make every
        fold from the store longer, hence every rest. The compactions at unload and at shutdown
        do not rest. At 20 edits a second nothing changes: 500 entries take 25 s to come, and a
        rest is a few tenths of a second at most.
        """
        started = time.monotonic()
        self._rested = math.inf  # one at a time

        def done(future: asyncio.Future[int]) -> None:
            finished = time.monotonic()
            self._rested = finished + min(
                COMPACTION_REST * (finished - started), MAX_COMPACTION_REST
            )
            _log_failure(future)

        self._writer.compact(self.charter_id, self).add_done_callback(done)

    def fold(self) -> Folded | None:
        """The durable document as the charter's new snapshot (``UpdateWriter``'s ``Foldable``).

        None when it cannot stand for the store's state (a fold from memory was refused once)
        or when there is nothing to fold; the writer then folds from the store.
        """
        if not self._entries:  # None (unknown) or 0
            return None
        return Folded.from_memory(
            self.charter_id, self.doc, self._version, self._last_id, self._entries
        )

    def folded(self, folded: Folded, count: int) -> None:
        if self._entries is None:
            return
        if count:
            self._entries -= count
            self._version = (folded.version or 0) + 1
        else:  # another process wrote or compacted: what ``doc`` holds is not known any more
            self._entries = None

    def _broadcast(self, message: bytes) -> None:
        if not self.connections:
            return
        frame = encode_frame(message)  # the same bytes for every client: encoded once
        direct = sum(connection.send(message, frame) for connection in list(self.connections))
        self._metrics.frames_direct.inc(direct)
        self._metrics.frames_queued.inc(len(self.connections) - direct)


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("background compaction failed: %r", future.exception())
