"""Word-level differences between two texts: for showing them, and as edits to replay.

A text is cut into tokens (a run of letters and digits, a run of white space, or one other
character), so a change is shown and replayed word by word; every character is in exactly one
token. The alignment is ``difflib``'s (stdlib), on tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

EQUAL, DELETE, INSERT = "=", "-", "+"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``old``'s tokens ``[first, last)`` (characters ``[start, end)``) by ``insert``."""

    first: int
    last: int
    start: int
    end: int
    insert: str

    def clashes(self, other: Edit) -> bool:
        """Whether both change the same words of the common original (same edit: no clash).

        Two replacements clash where their token ranges overlap; an insertion clashes with an
        insertion at the same place, or with a replacement around it. Edits that only touch
        (one ends where the other starts) do not: each keeps its words.
        """
        if self == other:
            return False
        if self.first == self.last and other.first == other.last:
            return self.first == other.first
        if self.first == self.last:
            return other.first < self.first < other.last
        if other.first == other.last:
            return self.first < other.first < self.last
        return self.first < other.last and other.first < self.last


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_edits(old: str, new: str) -> list[Edit]:
    """The edits that turn ``old`` into ``new``, in order, at word granularity."""
    a, b = tokens(old), tokens(new)
    offsets = [0]
    for token in a:
        offsets.append(offsets[-1] + len(token))
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return [
        Edit(i1, i2, offsets[i1], offsets[i2], "".join(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``old`` → ``new`` as ``(op, text)`` pairs, op ``=``, ``-`` or ``+``, adjacent ones joined."""
    a, b = tokens(old), tokens(new)
    pairs: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if pairs and pairs[-1][0] == op:
            pairs[-1] = (op, pairs[-1][1] + text)
        else:
            pairs.append((op, text))

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add(EQUAL, "".join(a[i1:i2]))
            continue
        add(DELETE, "".join(a[i1:i2]))
        add(INSERT, "".join(b[j1:j2]))
    return pairs


def utf8_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of character ``index`` (pycrdt's ``Text`` counts in bytes)."""
    return len(text[:index].encode())
