"""The Yjs binary formats a client sends (state vectors, updates), as pycrdt reads them.

What pycrdt raises on bytes it cannot use is not only ``ValueError``: a block whose parent is
not a shared type is refused with ``RuntimeError``, and a Rust panic surfaces as
``pyo3_runtime.PanicException``, a ``BaseException``. ``decoding`` turns each into
``Malformed``, so a crafted update is one refusal, never an error of the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Malformed(ValueError):
    """Bytes that are not a well-formed state vector or update (or that pycrdt refused)."""


@contextmanager
def decoding() -> Iterator[None]:
    """Turn whatever pycrdt raises on bytes it cannot use into ``Malformed``.

    Only pycrdt's own failures: ``ValueError``, ``RuntimeError`` and a Rust panic (a
    ``BaseException``); a cancellation or an interrupt passes through.
    """
    try:
        yield
    except (ValueError, RuntimeError) as error:
        if isinstance(error, Malformed):
            raise
        raise Malformed(str(error)) from error
    except BaseException as error:
        if not is_panic(error):
            raise
        raise Malformed(f"the decoder failed ({error})") from error


def is_panic(error: BaseException) -> bool:
    """Whether ``error`` is a Rust panic surfaced by pyo3 (``pyo3_runtime.PanicException``)."""
    kind = type(error)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"
