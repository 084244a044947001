"""A comment's anchor: a range of a clause's title or body, held as Yjs sticky indexes.

The ends are sticky (relative) positions into the clause's live text, so they follow the words
through concurrent edits. The start holds the first character of the range (``AFTER``: what is
typed just before it stays outside), the end the unit before the end (``BEFORE``: what is typed
just after stays outside), as Yjs' ``RelativePosition`` holds them. Offsets in and out are UTF-16
code units, the browser's ``Y.Text`` units. All the words deleted, the ends meet: ``lost``.

pycrdt 0.14's ``Text`` indices are UTF-8 bytes, while its ``StickyIndex.new``/``get_index``
walk the text's blocks in bytes but count inside a block in UTF-16 units: a non-ASCII character
earlier in the same block shifts the position, and a position past a block's end panics in Rust
(``pyo3_runtime.PanicException``, a ``BaseException``, caught here by its name). On ASCII text
bytes and units agree and it is exact, so for any other text we ask it about a copy of the
document whose strings are all ASCII, one character per UTF-16 unit (``plain``): the same items,
ids and deletions, so a sticky index means the same thing in both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pycrdt import Assoc, Doc, Map, StickyIndex, Text

from charter_drafts.deliberation.plain import Malformed, plain_state
from charter_drafts.document.schema import clauses_of
from charter_drafts.errors import Invalid
from charter_drafts.texts import text

log = logging.getLogger(__name__)

FIELDS = ("title", "body")


@dataclass(frozen=True, slots=True)
class NewAnchor:
    field: str
    start: bytes  # encoded sticky indexes
    end: bytes
    quote: str


@dataclass(frozen=True, slots=True)
class Place:
    """Where an anchor is now, in UTF-16 code units; ``lost`` when its words are all gone."""

    start: int
    end: int
    lost: bool


def utf16_length(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def is_panic(error: BaseException) -> bool:
    """A Rust panic inside pycrdt (``pyo3_runtime.PanicException``, not importable by name)."""
    return type(error).__name__ == "PanicException"


def field_text(doc: Doc[Any], clause_key: str, field: str) -> Text | None:
    clause = clauses_of(doc).get(clause_key)
    if not isinstance(clause, Map):
        return None
    value = clause.get(field)
    return value if isinstance(value, Text) else None


def make_anchor(doc: Doc[Any], clause_key: str, field: str, start: int, end: int) -> NewAnchor:
    """Sticky indexes for ``[start, end)`` (UTF-16) of the clause's field, as it is in ``doc``."""
    if field not in FIELDS:
        raise Invalid(text("an anchor is on the title or the body, not '{field}'", field=field))
    live = field_text(doc, clause_key, field)
    if live is None:
        raise Invalid(BAD_RANGE)
    current = str(live)
    first, last = _code_point(current, start), _code_point(current, end)
    if first is None or last is None or not 0 <= start < end:
        raise Invalid(BAD_RANGE)
    try:
        units = live if current.isascii() else _plain_text(_plain_copy(doc), clause_key, field)
        # start < end <= length: never ``AFTER`` at the very end, which panics.
        begin = StickyIndex.new(units, start, Assoc.AFTER).encode()
        finish = StickyIndex.new(units, end, Assoc.BEFORE).encode()
    except BaseException as error:
        if not (is_panic(error) or isinstance(error, Malformed)):
            raise
        log.error("comment anchor in %s.%s not made: %r", clause_key, field, error)
        raise Invalid(BAD_RANGE) from None
    return NewAnchor(field, begin, finish, current[first:last])


class Resolver:
    """Finds anchors in one state of a document; the ASCII copy is made once, when needed."""

    def __init__(self, doc: Doc[Any]) -> None:
        self._doc = doc
        self._plain: Doc[Any] | None = None

    def place(self, clause_key: str, field: str, start: bytes, end: bytes) -> Place:
        live = field_text(self._doc, clause_key, field)
        if live is None:  # the clause is gone
            return Place(0, 0, lost=True)
        current = str(live)
        units = live
        try:
            if not current.isascii():
                if self._plain is None:
                    self._plain = _plain_copy(self._doc)
                units = _plain_text(self._plain, clause_key, field)
            begin = StickyIndex.decode(start, units).get_index()
            finish = StickyIndex.decode(end, units).get_index()
        except BaseException as error:
            if not (is_panic(error) or isinstance(error, Malformed)):
                raise
            log.error("comment anchor in %s.%s not found: %r", clause_key, field, error)
            return Place(0, 0, lost=True)
        size = utf16_length(current)
        begin, finish = min(max(begin, 0), size), min(max(finish, 0), size)
        if begin >= finish:
            return Place(begin, begin, lost=True)
        return Place(begin, finish, lost=False)


BAD_RANGE = text("an anchor is a non-empty range of the clause's current text, between characters")


def _code_point(value: str, units: int) -> int | None:
    """The index of the code point that starts at UTF-16 offset ``units`` (the length at the end);
    None if it is outside the text or inside a surrogate pair."""
    if units < 0:
        return None
    count = 0
    for index, character in enumerate(value):
        if count == units:
            return index
        if count > units:
            return None
        count += 2 if ord(character) > 0xFFFF else 1
    return len(value) if count == units else None


def _plain_copy(doc: Doc[Any]) -> Doc[Any]:
    copy: Doc[Any] = Doc()
    copy.apply_update(plain_state(doc.get_update()))
    return copy


def _plain_text(copy: Doc[Any], clause_key: str, field: str) -> Text:
    found = field_text(copy, clause_key, field)
    assert found is not None, "the copy has the same clauses"
    return found
