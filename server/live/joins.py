"""Looking up the callers joining live documents, many in one trip to the store.

Every join needs its caller and their membership from the store (credentials are checked at
every join, never cached: a revoked token or a deactivated account is refused at once). One
look-up at a time goes to the store; the joins that arrive meanwhile wait for the next, which
answers all of them together: one statement per charter for the tokens and one for the
signed-in users, rather than one trip, one session and one statement per client. A lone join is
looked up at once, as before; 300 clients reconnecting after a restart make a few trips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from charter_drafts.charters import get_charter_blocking
from charter_drafts.document.store import StoreRunner
from charter_drafts.errors import DomainError
from server.callers.auth import Caller, Credentials, callers_on_charter_blocking


@dataclass(frozen=True, slots=True)
class Joining:
    """A caller joining the charter ``slug`` (``charter_id`` if this process knows it)."""

    slug: str
    charter_id: int | None
    presented: Credentials


@dataclass(frozen=True, slots=True)
class Found:
    charter_id: int
    caller: Caller


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
            charter_id = get_charter_blocking(session, join.slug).id
            assert charter_id is not None
            charters[join.slug] = charter_id
        except DomainError as refusal:
            charters[join.slug] = refusal
    callers: dict[int, dict[Credentials, Caller | DomainError]] = {}
    for charter_id in {c for c in charters.values() if isinstance(c, int)}:
        presented = {j.presented for j in joins if charters[j.slug] == charter_id}
        callers[charter_id] = callers_on_charter_blocking(session, presented, charter_id)
    answers: list[Answer] = []
    for join in joins:
        charter = charters[join.slug]
        if isinstance(charter, DomainError):
            answers.append(charter)
            continue
        caller = callers[charter][join.presented]
        answers.append(caller if isinstance(caller, DomainError) else Found(charter, caller))
    return answers


class JoinLookups:
    """Batches the look-ups of concurrent joins (one batch at the store at a time)."""

    def __init__(self, store: StoreRunner) -> None:
        self._store = store
        self._waiting: list[tuple[Joining, asyncio.Future[Answer]]] = []
        self._running: asyncio.Task[None] | None = None

    async def look_up(self, join: Joining) -> Found:
        """The join's charter id and caller. Raises the ``DomainError`` refusing it."""
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((join, answer))
        if self._running is None:
            self._running = asyncio.create_task(self._drain())
        found = await answer
        if isinstance(found, DomainError):
            raise found
        return found

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                self._waiting = self._waiting[MAX_BATCH:]
                joins = [join for join, _ in batch]
                try:
                    answers = await self._store(lambda s, joins=joins: look_up_blocking(s, joins))
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, future), found in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(found)
        except BaseException:  # stopping: nothing is left waiting for an answer
            for _, future in self._waiting:
                future.cancel()
            self._waiting = []
            raise
        finally:
            self._running = None
