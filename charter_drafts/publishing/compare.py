"""Comparing two versions of a charter (or a version and the live draft), clause by clause.

Each clause of either side is ``added``, ``removed``, ``moved`` (its place among the clauses
both sides share changed, its text did not), ``changed`` (its text changed; ``moved`` says
whether it moved too) or ``unchanged``, with word-level diffs of its title and body. The result
follows the newer side's order; a removed clause stands where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

from charter_drafts.document.words import word_diff
from charter_drafts.publishing.models import VersionClause


def _stayed_in_order(before: list[str], after: list[str]) -> set[str]:
    """The shared clauses that kept their order (the longest common subsequence)."""
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    return {
        key
        for block in matcher.get_matching_blocks()
        for key in before[block.a : block.a + block.size]
    }


def compare(old: Sequence[VersionClause], new: Sequence[VersionClause]) -> list[dict[str, Any]]:
    before = {c.key: c for c in old}
    after = {c.key: c for c in new}
    shared_before = [c.key for c in old if c.key in after]
    shared_after = [c.key for c in new if c.key in before]
    in_order = _stayed_in_order(shared_before, shared_after)
    entries: list[dict[str, Any]] = []
    for clause in new:
        was = before.get(clause.key)
        if was is None:
            entries.append(_entry(clause.key, "added", None, clause))
            continue
        text_changed = (was.title, was.body) != (clause.title, clause.body)
        moved = clause.key not in in_order
        change = "changed" if text_changed else "moved" if moved else "unchanged"
        entries.append({**_entry(clause.key, change, was, clause), "moved": moved})
    # Each removed clause goes after the entry of the clause that preceded it.
    for index, clause in enumerate(old):
        if clause.key in after:
            continue
        preceding = [c.key for c in old[:index]]
        place = 0
        for position, entry in enumerate(entries):
            if entry["id"] in preceding:
                place = position + 1
        entries.insert(place, _entry(clause.key, "removed", clause, None))
    return entries


def _entry(
    key: str, change: str, was: VersionClause | None, now: VersionClause | None
) -> dict[str, Any]:
    return {
        "id": key,
        "change": change,
        "moved": False,
        "from_number": was.number if was else None,
        "to_number": now.number if now else None,
        "title": now.title if now else was.title if was else "",
        "title_diff": word_diff(was.title if was else "", now.title if now else ""),
        "body_diff": word_diff(was.body if was else "", now.body if now else ""),
    }
