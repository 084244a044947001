"""The three-way merge of an amendment through the CRDT, on real pycrdt documents."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from charter_drafts.deliberation.merge import plan_merge
from charter_drafts.document.schema import add_clause, clauses_of, load_document
from charter_drafts.document.words import word_diff, word_edits

BODY = "Les villes accueillent 😀 les nouveaux arrivants. Chaque école enseigne à chaque enfant."


def _base() -> Doc[Any]:
    doc = load_document([])
    add_clause(doc, "c", "Accueil é", BODY)
    return doc


def _body(doc: Doc[Any]) -> Text:
    clause = clauses_of(doc)["c"]
    assert isinstance(clause, Map)
    text = clause["body"]
    assert isinstance(text, Text)
    return text


def _replace(doc: Doc[Any], old: str, new: str) -> None:
    text = _body(doc)
    current = str(text)
    start = len(current[: current.index(old)].encode())
    with doc.transaction():
        del text[start : start + len(old.encode())]
        text.insert(start, new)


def test_word_diff_and_edits_cover_the_texts() -> None:
    old, new = "the cat sat on the mat", "the dog sat on a mat!"
    pairs = word_diff(old, new)
    assert "".join(t for op, t in pairs if op != "+") == old
    assert "".join(t for op, t in pairs if op != "-") == new
    assert ("-", "cat") in pairs
    assert ("+", "dog") in pairs
    edits = word_edits(old, new)
    rebuilt, cursor = "", 0
    for edit in edits:
        rebuilt += old[cursor : edit.start] + edit.insert
        cursor = edit.end
    assert rebuilt + old[cursor:] == new


def test_a_merge_keeps_edits_made_elsewhere_with_non_ascii_text() -> None:
    live = _base()
    base_state = live.get_update()
    _replace(live, "arrivants", "arrivantes et arrivants")  # someone else, meanwhile
    proposed = BODY.replace("à chaque enfant", "à tous les enfants")
    plan = plan_merge(base_state, live, "c", {"body": proposed})
    assert plan.clashes == []
    assert plan.update is not None
    expected = proposed.replace("arrivants", "arrivantes et arrivants")
    assert plan.result["body"] == expected
    live.apply_update(plan.update)
    assert str(_body(live)) == expected
    assert plan.result["title"] == "Accueil é"


def test_an_edit_made_already_is_not_made_twice() -> None:
    live = _base()
    base_state = live.get_update()
    proposed = BODY.replace("Chaque école", "Toute école")
    _replace(live, "Chaque école", "Toute école")
    plan = plan_merge(base_state, live, "c", {"body": proposed})
    assert plan.update is not None
    assert plan.result["body"] == proposed


def test_changing_the_same_words_clashes_and_plans_nothing() -> None:
    live = _base()
    base_state = live.get_update()
    _replace(live, "enseigne", "apprend")
    plan = plan_merge(base_state, live, "c", {"body": BODY.replace("enseigne", "montre")})
    assert plan.update is None
    assert [(c.base, c.live, c.amendment) for c in plan.clashes] == [
        ("enseigne", "apprend", "montre")
    ]


def test_a_removed_clause_cannot_be_merged_into() -> None:
    live = _base()
    base_state = live.get_update()
    del clauses_of(live)["c"]
    plan = plan_merge(base_state, live, "c", {"body": "new"})
    assert plan.missing
    assert plan.update is None
