"""Work that waits for the websocket applications started in this turn to take a first step.

A burst of clients is read in one turn of the event loop: each upgrade request starts its
application's task, and the tasks take their first step in the next turn, one after the other.
The joins among them are looked up together (``server.live.joins``), once all of them have
asked. ``loop.call_soon`` from the first of them would run that look-up only after the next
turn's input and output, which in a burst is tens of milliseconds of further handshakes, and
every join would wait that much longer. The websocket protocol calls ``app_started`` for each
task it starts, which keeps one callback right behind the last of them;
``after_first_steps`` runs work in that callback, in the same turn as the first steps.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)


class _Turn:
    __slots__ = ("handle", "waiting")

    def __init__(self) -> None:
        self.handle: asyncio.Handle | None = None  # behind the tasks started so far
        self.waiting: list[Callable[[], None]] = []


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = weakref.WeakKeyDictionary()


def app_started(loop: asyncio.AbstractEventLoop) -> None:
    """An application's task was just created on ``loop``: what waits runs after its first step."""
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = _Turn()
    if turn.handle is not None:
        turn.handle.cancel()
    turn.handle = loop.call_soon(_run, turn)


def after_first_steps(loop: asyncio.AbstractEventLoop, work: Callable[[], None]) -> None:
    """Run ``work`` on ``loop`` once the application tasks started so far have taken their
    first step (at once, if none is waiting to)."""
    turn = _turns.get(loop)
    if turn is None or turn.handle is None:
        loop.call_soon(work)
    else:
        turn.waiting.append(work)


def _run(turn: _Turn) -> None:
    turn.handle = None
    waiting, turn.waiting = turn.waiting, []
    for work in waiting:
        try:
            work()
        except Exception:  # one failing does not keep the others (other joins) waiting
            log.exception("work after the first steps failed")
