"""A document's state with every string made ASCII, one character for each UTF-16 unit.

The copy has the same items (ids, origins, lengths, deletions) as the original, so a sticky
index means the same thing in both; and on ASCII text pycrdt's byte offsets are UTF-16 units,
which its ``StickyIndex`` then gets right (see ``anchors``). We rewrite only the content of
string items in the update (Yjs update format v1), copying every other byte as it is.
"""

from __future__ import annotations

STRING = 4  # content kinds of an item (the low five bits of its info byte)
GC, SKIP = 0, 10


class Malformed(ValueError):
    """An update this reader does not understand (it knows what our documents hold)."""


def plain_state(update: bytes) -> bytes:
    """``update`` (v1) with each string item's text replaced by as many ``a`` as UTF-16 units."""
    reader = _Reader(update)
    varuint = reader.varuint
    pieces: list[bytes] = []
    copied = 0
    for _ in range(varuint()):  # clients
        structs = varuint()
        varuint(), varuint()  # client, first clock
        for _ in range(structs):
            info = reader.byte()
            kind = info & 0x1F
            if kind in (GC, SKIP):
                varuint()
                continue
            if info & 0x80:
                varuint(), varuint()  # origin
            if info & 0x40:
                varuint(), varuint()  # right origin
            if not info & 0xC0:  # no origin: the parent is written
                if varuint() == 1:
                    reader.skip_bytes()
                else:
                    varuint(), varuint()
                if info & 0x20:
                    reader.skip_bytes()  # the key in a map
            if kind == STRING:
                start = reader.position
                text = reader.string()
                units = len(text.encode("utf-16-le")) // 2
                if units != len(text) or not text.isascii():
                    pieces += (update[copied:start], _varuint(units), b"a" * units)
                    copied = reader.position
            else:
                _skip_content(reader, kind)
    pieces.append(update[copied:])  # the rest of the structs, and the delete set
    return b"".join(pieces)


def _skip_content(reader: _Reader, kind: int) -> None:
    if kind == 1:  # deleted
        reader.varuint()
    elif kind == 2:  # JSON
        for _ in range(reader.varuint()):
            reader.string()
    elif kind in (3, 5):  # binary, embed
        reader.bytes()
    elif kind == 6:  # format
        reader.string(), reader.string()
    elif kind == 7:  # a shared type
        if reader.varuint() in (3, 5):  # an XML element or hook has a name
            reader.string()
    elif kind == 8:  # any
        for _ in range(reader.varuint()):
            reader.any()
    elif kind == 9:  # a sub-document
        reader.string()
        reader.any()
    else:
        raise Malformed(f"unknown content kind {kind}")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise Malformed("the update ends too early")
        value = self.data[self.position]
        self.position += 1
        return value

    def varuint(self) -> int:
        data, position = self.data, self.position
        try:
            byte = data[position]
            if byte < 0x80:  # most of them: one byte
                self.position = position + 1
                return byte
            value, shift = 0, 0
            while True:
                byte = data[position]
                position += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    self.position = position
                    return value
        except IndexError:
            raise Malformed("the update ends too early") from None

    def skip_bytes(self) -> None:
        length = self.varuint()
        self.position += length
        if self.position > len(self.data):
            raise Malformed("the update ends too early")

    def bytes(self) -> bytes:
        length = self.varuint()
        start, self.position = self.position, self.position + length
        if self.position > len(self.data):
            raise Malformed("the update ends too early")
        return self.data[start : self.position]

    def string(self) -> str:
        try:
            return self.bytes().decode()
        except UnicodeDecodeError as error:
            raise Malformed("a string is not UTF-8") from error

    def any(self) -> None:
        """Skip one lib0 ``any`` value."""
        kind = self.byte()
        if kind in (127, 126, 121, 120):  # undefined, null, false, true
            return
        if kind == 125:  # integer (signed varint: the same bytes' shape)
            self.varuint()
        elif kind == 124:
            self.position += 4
        elif kind in (123, 122):
            self.position += 8
        elif kind == 119:
            self.string()
        elif kind == 118:  # object
            for _ in range(self.varuint()):
                self.string()
                self.any()
        elif kind == 117:  # array
            for _ in range(self.varuint()):
                self.any()
        elif kind == 116:
            self.bytes()
        else:
            raise Malformed(f"unknown value kind {kind}")


def _varuint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)
