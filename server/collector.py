"""Keeping Python's cyclic garbage collector off the hot path of a burst of joins.

Measured over the join race (300 clients reconnecting at once after a restart,
``bench/compare.py --scenarios join``), with ``gc.callbacks`` timing each pass:

- The collector's full pass walks every tracked object. Once the server has started, about
  130,000 of them (the modules, SQLAlchemy's mappers and metadata, the routes) live as long as
  the process, and a full pass over them took 50 to 95 ms, during which no socket is served. Objects
  alive when the server has started are moved out of the collector's generations
  (``gc.freeze``): still freed by reference counting, never scanned again for cycles.
- Each socket's own objects (its protocol, scope, connection, tasks) live as long as it does, so
  at the default threshold (a young pass every 700 new objects) each of them was walked in a
  dozen young passes before it was promoted: 38 to 43 passes and 7 to 18 ms of collection per race.
  A young pass every ``YOUNG_THRESHOLD`` new objects: 3 passes, 3 to 6 ms. Garbage in cycles waits
  a little longer to be freed; at most that many objects' worth.
- Those passes still fell inside the burst: two a round, 4 to 8 ms of a round's 50 to 60 ms of
  work, while every client waited. ``JOINING`` pauses automatic collection while clients are
  joining (from their upgrade until they are in their room, or refused), for at most
  ``MAX_PAUSE_SECONDS`` at a time; the passes due run when the last join is done.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from types import TracebackType

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000  # new objects between two young passes (Python's default: 700)
MAX_PAUSE_SECONDS = 1.0  # joins that never stop do not keep the collector off for longer


def freeze_startup_objects() -> None:
    """Collect once, keep the objects alive now out of later passes, make young passes rarer."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    log.debug(
        "%d objects kept out of the collector's passes (%.0f ms)",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1e3,
    )


class PausedWhileJoining:
    """``with JOINING:`` around a join: no automatic collection while any join is under way.

    Collection resumes when the last one is done, or ``MAX_PAUSE_SECONDS`` after it stopped,
    whichever comes first (then it stays on until no join is under way). Only a pause made
    here is undone here: a collector someone else turned off stays off.
    """

    __slots__ = ("_joining", "_paused", "_timer")

    def __init__(self) -> None:
        self._joining = 0
        self._paused = False
        self._timer: asyncio.TimerHandle | None = None

    def __enter__(self) -> None:
        self._joining += 1
        if self._joining == 1 and gc.isenabled():
            gc.disable()
            self._paused = True
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(MAX_PAUSE_SECONDS, self._resume)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._joining -= 1
        if self._joining == 0:
            self._resume()

    def _resume(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._paused:
            self._paused = False
            gc.enable()


JOINING = PausedWhileJoining()
