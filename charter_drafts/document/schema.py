"""The live document's schema (a contract, see ARCHITECTURE.md) and helpers to read and write it.

One Yjs document per charter:

- root ``Map`` ``clauses``: clause key -> ``Map`` with ``title`` and ``body`` (``Text``);
- root ``Array`` ``order``: clause keys in document order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Doc, Map, Text

CLAUSES = "clauses"
ORDER = "order"
ROOTS = frozenset({CLAUSES, ORDER})
TEXT_FIELDS = frozenset({"title", "body"})
EMPTY_UPDATE = b"\x00\x00"
EMPTY_STATE_VECTOR = b"\x00"  # a client that has nothing yet


@dataclass(frozen=True, slots=True)
class ClauseText:
    key: str
    title: str
    body: str


def clauses_of(doc: Doc[Any]) -> Map[Any]:
    clauses: Map[Any] = doc.get(CLAUSES, type=Map)
    return clauses


def order_of(doc: Doc[Any]) -> Array[Any]:
    order: Array[Any] = doc.get(ORDER, type=Array)
    return order


def load_document(updates: Iterable[bytes]) -> Doc[Any]:
    """A document with the schema's roots, built from stored updates (oldest first)."""
    doc: Doc[Any] = Doc()
    clauses_of(doc)
    order_of(doc)
    for update in updates:
        doc.apply_update(update)
    return doc


def add_clause(doc: Doc[Any], key: str, title: str, body: str, index: int | None = None) -> None:
    """Add a clause's texts and place it in the order (at the end by default)."""
    clauses, order = clauses_of(doc), order_of(doc)
    with doc.transaction():
        clauses[key] = Map({"title": Text(title), "body": Text(body)})
        order.insert(len(order) if index is None else index, key)


def remove_clause(doc: Doc[Any], key: str) -> None:
    clauses, order = clauses_of(doc), order_of(doc)
    with doc.transaction():
        for index in reversed([i for i, k in enumerate(order) if k == key]):
            del order[index]
        if key in clauses:
            del clauses[key]


def move_clause(doc: Doc[Any], key: str, index: int) -> None:
    """Place a clause at ``index`` of the order (counted without the clause itself)."""
    order = order_of(doc)
    with doc.transaction():
        for current in reversed([i for i, k in enumerate(order) if k == key]):
            del order[current]
        order.insert(max(0, min(index, len(order))), key)


def read_clauses(doc: Doc[Any]) -> list[ClauseText]:
    """Clauses in document order; an ordered key without texts is skipped."""
    clauses, order = clauses_of(doc), order_of(doc)
    result: list[ClauseText] = []
    with doc.transaction():
        seen: set[str] = set()
        for key in order:
            if not isinstance(key, str) or key in seen or key not in clauses:
                continue
            seen.add(key)
            clause = clauses[key]
            if not isinstance(clause, Map):
                continue
            result.append(ClauseText(key, _text(clause, "title"), _text(clause, "body")))
    return result


def warm_up() -> None:
    """Build, encode and decode a small document once, on the event loop, when the server
    starts. The first document made in a process costs more than the next ones (pycrdt's lock
    for asynchronous transactions imports anyio's event-loop backend, some 5 ms), and that fell
    on the first room loaded after a restart, while its reconnecting clients waited for it."""
    source = load_document([])
    add_clause(source, "warm-up", "title", "body")
    copy = load_document([source.get_update()])
    copy.get_update(source.get_state())
    read_clauses(copy)


def _text(clause: Map[Any], field: str) -> str:
    value = clause.get(field)
    return str(value) if isinstance(value, Text) else ""
