"""A comment's anchor: a range of a clause's title or body, held as Yjs sticky indexes.

The ends are sticky (relative) positions into the clause's live text, so they follow the words
through concurrent edits. The start holds the first character of the range (``AFTER``: what is
typed just before it stays outside), the end its last character (``BEFORE``: the position after
it, so what is typed just after stays outside). Offsets in and out are UTF-16 code units, the
browser's ``Y.Text`` units.

Three things about pycrdt 0.14 shape this module:

- ``Text`` indices are UTF-8 bytes, while ``StickyIndex.new``/``get_index`` walk the text's
  blocks in bytes but count inside a block in UTF-16 units: a non-ASCII character earlier in the
  same block shifts the position, and one past a block's end panics in Rust
  (``pyo3_runtime.PanicException``, a ``BaseException``, caught here by its name). So we never
  give it an index on a text that is not pure ASCII.
- A character's id comes from deleting it in a scratch copy of the document and reading that
  transaction's delete set. Where an id is now comes from deleting it in a scratch copy too: a
  deleted item that starts at the id counts nothing of its own, so ``get_index`` gives exactly
  the bytes of the visible text before it; the text changed if the character was still there.
- Deleting the second unit of a surrogate pair corrupts the copy, so an end holds the first unit
  of its character (Yjs would hold the last: same position for every other character).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Assoc, Doc, Map, StickyIndex, Text, TransactionEvent

from charter_drafts.document.schema import clauses_of
from charter_drafts.errors import Invalid
from charter_drafts.texts import text

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
    # Deleting a character in a scratch copy tells its id (the later one first: the earlier
    # one's byte offset stays as it was).
    state = doc.get_update()
    try:
        end_id = _deleted_id(state, clause_key, field, current, last - 1)
        start_id = _deleted_id(state, clause_key, field, current, first)
    except BaseException as error:
        if not is_panic(error):
            raise
        raise Invalid(BAD_RANGE) from None
    return NewAnchor(
        field,
        _encode(start_id, Assoc.AFTER),
        _encode(end_id, Assoc.BEFORE),
        current[first:last],
    )


class Resolver:
    """Finds anchors in one state of a document (a request's worth: the state is encoded once)."""

    def __init__(self, doc: Doc[Any]) -> None:
        self._doc = doc
        self._state: bytes | None = None

    def place(self, clause_key: str, field: str, start: bytes, end: bytes) -> Place:
        live = field_text(self._doc, clause_key, field)
        if live is None:  # the clause is gone
            return Place(0, 0, lost=True)
        current = str(live)
        try:
            if current.isascii():
                begin = StickyIndex.decode(start, live).get_index()
                finish = StickyIndex.decode(end, live).get_index()
            else:
                begin = self._find(clause_key, field, current, start)
                finish = self._find(clause_key, field, current, end)
        except BaseException as error:
            if not is_panic(error):
                raise
            return Place(0, 0, lost=True)
        size = utf16_length(current)
        begin, finish = min(max(begin, 0), size), min(max(finish, 0), size)
        if begin >= finish:
            return Place(begin, begin, lost=True)
        return Place(begin, finish, lost=False)

    def _find(self, clause_key: str, field: str, current: str, data: bytes) -> int:
        if self._state is None:
            self._state = self._doc.get_update()
        index = StickyIndex.decode(data).to_json()
        item = index["item"]
        scratch = _copy(self._state)
        scratch_text = field_text(scratch, clause_key, field)
        assert scratch_text is not None
        scratch.apply_update(_delete_update(int(item["client"]), int(item["clock"])))
        # The deleted item starts at the id and counts nothing of its own: this is the bytes of
        # the visible text before it (the same in the copy and in ``current``).
        offset = StickyIndex.from_json({"item": item, "assoc": 0}, scratch_text).get_index()
        before = current.encode()[:offset].decode(errors="ignore")
        held = utf16_length(before)
        if Assoc(index["assoc"]) is Assoc.BEFORE and str(scratch_text) != current:
            # Still there (deleting it just changed the copy): the position after it.
            following = current[len(before) : len(before) + 1]
            held += utf16_length(following)
        return held


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


def _copy(state: bytes) -> Doc[Any]:
    scratch: Doc[Any] = Doc()
    scratch.apply_update(state)
    return scratch


def _deleted_id(
    state: bytes, clause_key: str, field: str, current: str, index: int
) -> tuple[int, int]:
    """The Yjs id (client, clock) of the code point at ``index`` (of its first UTF-16 unit)."""
    scratch = _copy(state)
    scratch_text = field_text(scratch, clause_key, field)
    assert scratch_text is not None
    offset = len(current[:index].encode())
    captured: list[bytes] = []
    subscription = scratch.observe(lambda event: captured.append(_update_of(event)))
    try:
        del scratch_text[offset : offset + len(current[index].encode())]
    finally:
        scratch.unobserve(subscription)
    ranges = _delete_set(captured[0]) if captured else []
    if not ranges:
        raise Invalid(BAD_RANGE)
    client, clock, _ = min(ranges, key=lambda r: r[1])
    return client, clock


def _update_of(event: TransactionEvent) -> bytes:
    update: bytes = event.update
    return update


def _encode(item: tuple[int, int], assoc: Assoc) -> bytes:
    client, clock = item
    sticky = StickyIndex.from_json({"item": {"client": client, "clock": clock}, "assoc": assoc})
    return sticky.encode()


def _varuint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _delete_update(client: int, clock: int) -> bytes:
    """A Yjs update (v1) that only deletes one unit: no structs, a delete set of one range."""
    return b"\x00\x01" + _varuint(client) + b"\x01" + _varuint(clock) + b"\x01"


def _delete_set(update: bytes) -> list[tuple[int, int, int]]:
    """The (client, clock, length) ranges an update (v1) of deletions only deletes."""
    position = 0

    def read() -> int:
        nonlocal position
        value, shift = 0, 0
        while True:
            byte = update[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    if read() != 0:  # structs: not a deletion only
        return []
    ranges: list[tuple[int, int, int]] = []
    for _ in range(read()):
        client = read()
        for _ in range(read()):
            clock = read()
            ranges.append((client, clock, read()))
    return ranges
