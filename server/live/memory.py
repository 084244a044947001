"""Giving memory back to the system once a room has unloaded.

A loaded document is millions of small allocations by pycrdt's Rust side (and Python's) through
the C library's ``malloc``. Freed, they stay in the allocator's heaps as holes that later
allocations of other sizes do not fill, so RSS after each load and unload of a large charter
rose (8 MB document, five rounds: 167 → 304 MB), although nothing was held (the room, its
documents and staging copy were collected). glibc's ``malloc_trim`` returns the free pages of
every heap to the system. It runs in a worker thread (it walks the heaps, holding their locks,
not the interpreter's) after an unload; elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

_trim: Any = None
_found = False


def _malloc_trim() -> Any:
    global _trim, _found
    if not _found:
        _found = True
        name = ctypes.util.find_library("c")
        try:
            _trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
        except OSError:
            _trim = None
    return _trim


def _release() -> None:
    trim = _malloc_trim()
    if trim is not None:
        started = time.perf_counter()
        trim(0)
        log.debug("memory trimmed in %.1f ms", (time.perf_counter() - started) * 1e3)


def release_freed_memory(delay: float = 1.0) -> None:
    """In ``delay`` seconds (once what was dropped is collected), hand free heap pages back."""
    loop = asyncio.get_running_loop()

    def start() -> None:
        if loop.is_closed():
            return
        # RuntimeError: the executor is shut down, the process is stopping.
        with contextlib.suppress(RuntimeError):
            loop.run_in_executor(None, _release)

    loop.call_later(delay, start)
