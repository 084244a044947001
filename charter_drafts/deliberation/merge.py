"""Merging an amendment into a live clause through the CRDT, keeping what others wrote since.

An amendment keeps the whole document as it was when proposed (its base). To accept it, the
amendment's word edits (base text → proposed text) are replayed on a copy of the base, as a
client of its own, and that copy's new update is merged into the live document: Yjs puts each
inserted word where it was meant to go and deletes only the words the amendment deletes, so text
that others typed elsewhere in the clause since the base, or are typing now, survives. Only where
the live text changed the very words the amendment changes is the merge refused, with those
passages: it would otherwise mix two rewrites of the same words.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, Text

from charter_drafts.document.schema import clauses_of, load_document
from charter_drafts.document.words import Edit, utf8_offset, word_edits

FIELDS = ("title", "body")
JS_CLIENT_IDS = 2**32  # a fresh client id, as Yjs clients in JavaScript draw them


@dataclass(frozen=True, slots=True)
class Clash:
    """Words of the base that the live text and the amendment both changed."""

    field: str
    base: str  # the base's words
    live: str  # what the live text has there now
    amendment: str  # what the amendment puts there

    def as_json(self) -> dict[str, str]:
        return {
            "field": self.field,
            "base": self.base,
            "live": self.live,
            "amendment": self.amendment,
        }


@dataclass(frozen=True, slots=True)
class MergePlan:
    """What accepting would do now: the update to merge and the clause it would give, or the
    clashes that prevent it (``update`` None). ``missing``: the clause is gone from the text."""

    update: bytes | None
    result: dict[str, str] = field(default_factory=dict)
    clashes: list[Clash] = field(default_factory=list)
    missing: bool = False


def clause_text(doc: Doc[Any], key: str, name: str) -> str | None:
    """A clause's title or body as text; None if the clause is not in the document."""
    clause = clauses_of(doc).get(key)
    if not isinstance(clause, Map):
        return None
    value = clause.get(name)
    return str(value) if isinstance(value, Text) else ""


def plan_merge(
    base_state: bytes, live: Doc[Any], key: str, proposed: Mapping[str, str]
) -> MergePlan:
    """Plan the merge of ``proposed`` (field → whole new text) into the live clause ``key``."""
    base = load_document([base_state])
    clashes: list[Clash] = []
    replays: dict[str, list[Edit]] = {}
    for name, new in proposed.items():
        old = clause_text(base, key, name)
        now = clause_text(live, key, name)
        if old is None or now is None:
            return MergePlan(None, missing=True)
        ours, theirs = word_edits(old, new), word_edits(old, now)
        # An edit the live text has made already is not made twice.
        ours = [edit for edit in ours if edit not in theirs]
        for edit in ours:
            for other in theirs:
                if edit.clashes(other):
                    start, end = min(edit.start, other.start), max(edit.end, other.end)
                    clashes.append(Clash(name, old[start:end], other.insert, edit.insert))
        replays[name] = ours
    if clashes:
        return MergePlan(None, clashes=clashes)
    fork: Doc[Any] = Doc(client_id=secrets.randbelow(JS_CLIENT_IDS - 1) + 1)
    fork.apply_update(base_state)
    clause = clauses_of(fork)[key]
    with fork.transaction():
        for name, edits in replays.items():
            text = clause[name]
            old = str(text)
            for edit in reversed(edits):  # from the end: earlier offsets stay valid
                start, end = utf8_offset(old, edit.start), utf8_offset(old, edit.end)
                if end > start:
                    del text[start:end]
                if edit.insert:
                    text.insert(start, edit.insert)
    update = fork.get_update(base.get_state())
    merged = load_document([live.get_update(), update])
    result = {name: clause_text(merged, key, name) or "" for name in FIELDS}
    return MergePlan(update, result)
