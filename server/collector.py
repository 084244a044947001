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
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000  # new objects between two young passes (Python's default: 700)


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
