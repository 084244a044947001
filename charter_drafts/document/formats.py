"""The Yjs v1 binary formats a client sends (state vectors, updates), checked before pycrdt.

pycrdt (yrs) trusts the counts it reads: it reserves room for as many entries as a message
claims before reading them, so eight bytes claiming 600 million state-vector entries made the
server allocate a gigabyte, and a value nested 200,000 deep (an ``Any`` array in an array...)
overflowed its stack and killed the process. Here every count is checked against the bytes left
(each entry takes at least one or two) and a maximum, and every nesting against a depth, before
pycrdt sees the bytes. The walk reads the structure only (lengths, not contents), in one pass.

Client ids are checked against what JavaScript clients can represent (y-protocols' ids are at
most ``Number.MAX_SAFE_INTEGER``): Yjs reads 2^54 + 1 as 2^54, so browsers and the server
would credit the same text to different clients.

What pycrdt may still raise on a message that passed (a block whose parent is not a shared type
is refused with ``RuntimeError``; a Rust panic surfaces as ``pyo3_runtime.PanicException``, a
``BaseException``) is turned into ``Malformed`` by ``decoding``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from charter_drafts.errors import Invalid
from charter_drafts.texts import Text, text

MAX_CLIENT_ID = 2**53 - 1  # Number.MAX_SAFE_INTEGER: y-protocols' client ids are at most this
MAX_ENTRIES = 1 << 20  # any count in one message (clients, structs, ranges), whatever its length
MAX_DEPTH = 32  # nesting of ``Any`` values (arrays and objects in an update's content)

_GC, _SKIP = 0, 10
_DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC = range(1, 10)
_XML_ELEMENT, _XML_HOOK, _LAST_TYPE_REF = 3, 5, 6


class Malformed(ValueError):
    """Bytes that are not a well-formed state vector or update (or that pycrdt refused)."""


class UnsafeClientId(Malformed):
    """A client id above ``MAX_CLIENT_ID``: JavaScript clients would read another number."""


def check_state_vector(data: bytes) -> None:
    """Raise ``Malformed`` unless ``data`` is a state vector whose counts its length can hold."""
    reader = _Reader(data)
    for _ in range(reader.count(2)):  # client, clock
        reader.client()
        reader.var_uint()
    reader.end()
    reader.check_clients()


def check_update(data: bytes) -> None:
    """Raise ``Malformed`` unless ``data`` is a v1 update whose counts its length can hold
    (``UnsafeClientId`` if it is well formed but names a client id JavaScript cannot read)."""
    reader = _Reader(data)
    for _ in range(reader.count(3)):  # a group: its number of structs, client, first clock
        structs = reader.count(2)  # info and a length at least
        reader.client()
        reader.var_uint()
        for _ in range(structs):
            _struct(reader)
    for _ in range(reader.count(2)):  # the delete set: client, number of ranges
        reader.client()
        for _ in range(reader.count(2)):  # clock, length
            reader.var_uint()
            reader.var_uint()
    reader.end()
    reader.check_clients()


def check_sync(step1: bool, payload: bytes) -> None:
    """Check a sync message's payload (a state vector for step 1, else an update) before
    pycrdt reads it. Raises ``Invalid`` (``UnsafeClientId`` for an update naming a client id
    JavaScript cannot read: refused as any other update, not malformed)."""
    try:
        if step1:
            check_state_vector(payload)
        else:
            check_update(payload)
    except UnsafeClientId:
        if not step1:
            raise
        raise Invalid(Text("malformed state vector: a client id above 2^53 - 1")) from None
    except Malformed as error:
        if step1:
            raise Invalid(text("malformed state vector: {error}", error=error)) from error
        raise Invalid(text("malformed update: {error}", error=error)) from error


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


def _struct(reader: _Reader) -> None:
    info = reader.byte()
    ref = info & 0x1F
    if ref in (_GC, _SKIP):
        reader.var_uint()  # its length
        return
    if info & 0x80:  # origin
        reader.client()
        reader.var_uint()
    if info & 0x40:  # right origin
        reader.client()
        reader.var_uint()
    if not info & 0xC0:  # no origin: the parent is written out
        if reader.var_uint() == 1:
            reader.skip_bytes()  # a root type's name
        else:
            reader.client()
            reader.var_uint()
        if info & 0x20:
            reader.skip_bytes()  # the key in a map
    _content(reader, ref)


def _content(reader: _Reader, ref: int) -> None:
    if ref == _DELETED:
        reader.var_uint()
    elif ref == _JSON:
        for _ in range(reader.count(1)):
            reader.skip_bytes()
    elif ref in (_BINARY, _STRING, _EMBED):
        reader.skip_bytes()
    elif ref == _FORMAT:
        reader.skip_bytes()
        reader.skip_bytes()
    elif ref == _TYPE:
        type_ref = reader.var_uint()
        if type_ref > _LAST_TYPE_REF:
            raise Malformed(f"unknown type {type_ref}")
        if type_ref in (_XML_ELEMENT, _XML_HOOK):
            reader.skip_bytes()
    elif ref == _ANY:
        for _ in range(reader.count(1)):
            _any(reader, 0)
    elif ref == _DOC:
        reader.skip_bytes()
        _any(reader, 0)
    else:
        raise Malformed(f"unknown content {ref}")


def _any(reader: _Reader, depth: int) -> None:
    """A lib0 ``Any`` value, nested at most ``MAX_DEPTH`` deep."""
    if depth > MAX_DEPTH:
        raise Malformed("value nested too deep")
    kind = reader.byte()
    if kind in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if kind == 125:  # a signed varint
        reader.var_uint()
    elif kind == 124:
        reader.skip(4)
    elif kind in (123, 122):
        reader.skip(8)
    elif kind in (119, 116):  # a string, bytes
        reader.skip_bytes()
    elif kind == 118:  # an object: key and value
        for _ in range(reader.count(2)):
            reader.skip_bytes()
            _any(reader, depth + 1)
    elif kind == 117:  # an array
        for _ in range(reader.count(1)):
            _any(reader, depth + 1)
    else:
        raise Malformed(f"unknown value type {kind}")


class _Reader:
    __slots__ = ("data", "pos", "unsafe_id")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.unsafe_id: int | None = None  # the first client id above MAX_CLIENT_ID

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise Malformed("unexpected end")
        self.pos += 1
        return self.data[self.pos - 1]

    def var_uint(self) -> int:
        data, pos = self.data, self.pos
        value = shift = 0
        while True:
            if pos >= len(data):
                raise Malformed("unexpected end")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.pos = pos
                return value
            shift += 7
            if shift > 63:  # yrs reads 64 bits at most
                raise Malformed("number too large")

    def count(self, least: int) -> int:
        """A number of entries, each taking at least ``least`` of the bytes left."""
        count = self.var_uint()
        if count > MAX_ENTRIES or count * least > len(self.data) - self.pos:
            raise Malformed(f"claims {count} entries in {len(self.data) - self.pos} bytes")
        return count

    def client(self) -> int:
        client = self.var_uint()
        if client > MAX_CLIENT_ID and self.unsafe_id is None:
            self.unsafe_id = client
        return client

    def check_clients(self) -> None:
        if self.unsafe_id is not None:
            raise UnsafeClientId(f"client id {self.unsafe_id} is above 2^53 - 1")

    def skip(self, length: int) -> None:
        if self.pos + length > len(self.data):
            raise Malformed("unexpected end")
        self.pos += length

    def skip_bytes(self) -> None:
        self.skip(self.var_uint())

    def end(self) -> None:
        if self.pos != len(self.data):
            raise Malformed(f"{len(self.data) - self.pos} unexpected bytes after the end")
