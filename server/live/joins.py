"""Looking up the callers joining live documents, many in one trip to the store.

Every join needs its caller and their membership from the store (credentials are checked at
every join, never cached: a revoked token or a deactivated account is refused at once). One
look-up at a time goes to the store; the joins that arrive meanwhile wait for the next, which
answers all of them together: one statement per charter for the tokens and one for the
signed-in users, rather than one trip, one session and one statement per client. A lone join is
looked up at once, as before; 300 clients reconnecting after a restart make a few trips.

On SQLite the look-ups are reads on the event loop's thread, once a loop turn, for the joins
whose handshakes were read in the previous one: right after the last of their tasks has asked
(``server.live.turns``), in the same turn, so a burst of clients is answered as it arrives
rather than all at its end (a store thread, while the loop is busy with handshakes, gets the
interpreter lock only in turns: a look-up of one join there took 7 to 60 ms). One look-up per
join instead, as each asks, took twice as long over a burst: a session and a transaction each.
Noting when tokens were used is a write and a commit (an fsync): it goes to the store's thread
afterwards, off the joins' path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from charter_drafts.charters import charter_id_blocking
from charter_drafts.document.room_state import load_small_room_state_blocking
from charter_drafts.document.store import HereRunner, StoreRunner
from charter_drafts.errors import DomainError, NotFound
from charter_drafts.people.tokens import note_tokens_used_blocking
from server.callers.auth import Credentials, Joined, joining_callers_blocking
from server.live.turns import after_first_steps

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Joining:
    """A caller joining the charter ``slug`` (``charter_id`` if this process knows it)."""

    slug: str
    charter_id: int | None
    presented: Credentials


@dataclass(frozen=True, slots=True)
class Found:
    charter_id: int
    caller: Joined


Answer = Found | DomainError
MAX_BATCH = 500  # joins per trip: well under the databases' limits on a statement's values


def look_up_blocking(session: Session, joins: Sequence[Joining]) -> list[Answer]:
    """Each join's charter id and caller, or its refusal; the joins grouped by charter."""
    charters: dict[str, int | DomainError] = {}
    for join in joins:
        if join.slug in charters:
            continue
        if join.charter_id is not None:
            charters[join.slug] = join.charter_id
            continue
        try:
            charters[join.slug] = charter_id_blocking(session, join.slug)
        except DomainError as refusal:
            charters[join.slug] = refusal
    callers: dict[int, dict[Credentials, Joined | DomainError]] = {}
    for charter_id in {c for c in charters.values() if isinstance(c, int)}:
        presented = {j.presented for j in joins if charters[j.slug] == charter_id}
        callers[charter_id] = joining_callers_blocking(session, presented, charter_id)
    answers: list[Answer] = []
    for join in joins:
        charter = charters[join.slug]
        if isinstance(charter, DomainError):
            answers.append(charter)
            continue
        caller = callers[charter][join.presented]
        answers.append(caller if isinstance(caller, DomainError) else Found(charter, caller))
    return answers


def warm_up_blocking(session: Session) -> None:
    """Run the statements of a join once, on nothing, when the server starts. SQLAlchemy compiles
    a statement the first time it runs (here 3 ms for a join's look-up, 5 for a room's load):
    without this, that fell on the first clients after a restart, the very burst it slowed."""
    with contextlib.suppress(NotFound):
        charter_id_blocking(session, "")
    joining_callers_blocking(session, [Credentials("", None), Credentials(None, 0)], 0)
    with contextlib.suppress(NotFound):
        load_small_room_state_blocking(session, "", 0)


def tokens_to_note(answers: Sequence[Answer]) -> set[int]:
    """The tokens whose use the answered joins are to note."""
    return {
        a.caller.token_id
        for a in answers
        if isinstance(a, Found) and a.caller.note_use and a.caller.token_id is not None
    }


class JoinLookups:
    """Batches the look-ups of concurrent joins. One drain at a time works on the store's side
    and takes the joins waiting there batch after batch, until none is left: a batch does not
    wait for the event loop to take the previous one's answers first (while a burst of clients
    connects, the loop is busy with their handshakes, and each round trip through it cost tens
    of milliseconds). Each batch is its own transaction, so it sees what was committed before it
    (a revoked token, a deactivated account)."""

    def __init__(self, store: StoreRunner, here: HereRunner | None = None) -> None:
        self._store = store
        self._here = here  # SQLite: look up on the loop, a batch a turn
        self._lock = threading.Lock()  # the waiting list is taken on the store's side
        self._waiting: list[tuple[Joining, asyncio.Future[Answer]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None  # the drain's, kept while it runs
        self._notes: set[asyncio.Task[None]] = set()  # tokens' uses being noted

    async def look_up(self, join: Joining) -> Found:
        """The join's charter id and caller. Raises the ``DomainError`` refusing it."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()
        with self._lock:
            self._waiting.append((join, answer))
            start, self._draining = not self._draining, True
        if start and self._here is not None:
            after_first_steps(loop, partial(self._answer_here, loop))
        elif start:
            self._task = loop.create_task(self._drain(loop))
        found = await answer
        if isinstance(found, DomainError):
            raise found
        return found

    def _answer_here(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop, once the joins started in this turn have asked: answer every one waiting."""
        assert self._here is not None
        with self._lock:
            waiting, self._waiting, self._draining = self._waiting, [], False
        for start in range(0, len(waiting), MAX_BATCH):
            batch = waiting[start : start + MAX_BATCH]
            try:
                answers = self._here(partial(look_up_blocking, joins=[j for j, _ in batch]))
            except Exception as error:
                _fail(batch, error)
                continue
            _answer(batch, answers)
            self._note_uses(loop, tokens_to_note(answers))

    def _note_uses(self, loop: asyncio.AbstractEventLoop, token_ids: set[int]) -> None:
        if not token_ids:
            return
        task = loop.create_task(self._note(token_ids))
        self._notes.add(task)
        task.add_done_callback(self._notes.discard)

    async def _note(self, token_ids: set[int]) -> None:
        try:
            await self._store(partial(note_tokens_used_blocking, token_ids=token_ids))
        except Exception:  # when a token was last used is a courtesy: the join stands
            log.exception("could not note the use of %d API tokens", len(token_ids))

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            await self._store(partial(self._answer_all, loop))
        except BaseException as error:  # the store failed, or the server is stopping
            with self._lock:
                left, self._waiting, self._draining = self._waiting, [], False
            _fail(left, error)
            if not isinstance(error, Exception):
                raise

    def _answer_all(self, loop: asyncio.AbstractEventLoop, session: Session) -> None:
        """On the store's side: answer batch after batch until no join is waiting."""
        while True:
            with self._lock:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                if not batch:
                    self._draining = False
                    return
            joins = [join for join, _ in batch]
            try:
                answers = look_up_blocking(session, joins)
                session.commit()  # ends the read: the next batch sees later commits
            except Exception as error:
                loop.call_soon_threadsafe(_fail, batch, error)
                with contextlib.suppress(Exception):  # a lost connection: the next batch says so
                    session.rollback()
                continue
            loop.call_soon_threadsafe(_answer, batch, answers)
            try:
                note_tokens_used_blocking(session, tokens_to_note(answers))
            except Exception:  # when a token was last used is a courtesy: the joins stand
                log.exception("could not note the use of API tokens")
                with contextlib.suppress(Exception):
                    session.rollback()


Waiting = Sequence[tuple[Joining, "asyncio.Future[Answer]"]]


def _answer(batch: Waiting, answers: Sequence[Answer]) -> None:
    for (_, future), found in zip(batch, answers, strict=True):
        if not future.done():
            future.set_result(found)


def _fail(batch: Waiting, error: BaseException) -> None:
    for _, future in batch:
        if future.done():
            continue
        if isinstance(error, Exception):
            future.set_exception(error)
        else:
            future.cancel()
