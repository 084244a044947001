"""Anchors in the domain, against a model: random edits in non-ASCII text, UTF-16 offsets."""

from __future__ import annotations

import random

import pytest
from pycrdt import Doc, Text

from charter_drafts.deliberation.anchors import Resolver, make_anchor, utf16_length
from charter_drafts.document.schema import add_clause, clauses_of, load_document
from charter_drafts.errors import Invalid

ALPHABET = ["a", "b", " ", "é", "ç", "😀", "👩", "\u200d", "中", "x", "ß"]


def document(body: str) -> tuple[Doc, Text]:
    doc = load_document([])
    add_clause(doc, "c", "Title é 😀", body)
    text: Text = clauses_of(doc)["c"]["body"]
    return doc, text


def units(value: str, start: int, end: int) -> str:
    return value.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


@pytest.mark.parametrize("seed", range(40))
def test_an_anchor_holds_its_characters_through_random_inserts(seed: int) -> None:
    rng = random.Random(seed)
    body = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(4, 30)))
    doc, text = document(body)
    model = [(character, n) for n, character in enumerate(body)]  # (character, identity)
    first = rng.randrange(len(body))
    last = rng.randrange(first, len(body))
    start, end = utf16_length(body[:first]), utf16_length(body[: last + 1])
    anchor = make_anchor(doc, "c", "body", start, end)
    assert anchor.quote == body[first : last + 1]
    for step in range(rng.randint(1, 25)):
        # Insert one run of characters at a random place (in the model and the document).
        at = rng.randint(0, len(model))
        run = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3)))
        current = "".join(c for c, _ in model)
        if rng.random() < 0.5:
            text.insert(len(current[:at].encode()), run)
        else:  # another client's edit, received as an update
            peer: Doc = Doc()
            peer.apply_update(doc.get_update())
            clauses_of(peer)["c"]["body"].insert(len(current[:at].encode()), run)
            doc.apply_update(peer.get_update(doc.get_state()))
        model[at:at] = [(c, -1 - step) for c in run]
    current = "".join(c for c, _ in model)
    assert str(text) == current
    identities = [n for _, n in model]
    begin, finish = identities.index(first), identities.index(last) + 1
    place = Resolver(doc).place("c", "body", anchor.start, anchor.end)
    assert not place.lost
    assert units(current, place.start, place.end) == current[begin:finish]


@pytest.mark.parametrize("seed", range(40))
def test_an_anchor_keeps_what_survives_random_deletions(seed: int) -> None:
    rng = random.Random(seed)
    body = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(4, 30)))
    doc, text = document(body)
    model = list(enumerate(body))  # (identity, character), visible ones only
    first = rng.randrange(len(body))
    last = rng.randrange(first, len(body))
    start, end = utf16_length(body[:first]), utf16_length(body[: last + 1])
    anchor = make_anchor(doc, "c", "body", start, end)
    for _ in range(rng.randint(1, 8)):
        if not model:
            break
        at = rng.randrange(len(model))
        count = rng.randint(1, min(3, len(model) - at))
        current = "".join(c for _, c in model)
        offset = len(current[:at].encode())
        del text[offset : offset + len(current[at : at + count].encode())]
        del model[at : at + count]
    current = "".join(c for _, c in model)
    assert str(text) == current
    kept = [i for i, (n, _) in enumerate(model) if first <= n <= last]
    place = Resolver(doc).place("c", "body", anchor.start, anchor.end)
    if not kept:
        assert place.lost
        survivors_before = sum(1 for n, _ in model if n < first)
        assert place.start == utf16_length(current[:survivors_before])
    else:
        assert not place.lost
        expected = current[kept[0] : kept[-1] + 1]
        assert units(current, place.start, place.end) == expected


@pytest.mark.parametrize("body", ["all ascii words here", "mots accentués 😀 ici et là"])
def test_deleting_some_words_shrinks_the_range_and_all_of_them_loses_it(body: str) -> None:
    doc, text = document(body)
    words = body.split()[1] + " " + body.split()[2]
    start = utf16_length(body[: body.index(words)])
    anchor = make_anchor(doc, "c", "body", start, start + utf16_length(words))
    cut = len(body[: body.index(words)].encode())
    del text[cut : cut + len(body.split()[1].encode())]  # the first word of the range
    place = Resolver(doc).place("c", "body", anchor.start, anchor.end)
    assert units(str(text), place.start, place.end) == " " + body.split()[2]
    current = str(text)
    cut = len(current[: current.index(" " + body.split()[2])].encode())
    del text[cut : cut + len((" " + body.split()[2]).encode())]
    place = Resolver(doc).place("c", "body", anchor.start, anchor.end)
    assert place.lost
    assert place.start == place.end == utf16_length(current[: current.index(" " + body.split()[2])])


def test_a_removed_clause_loses_its_anchors() -> None:
    doc, _ = document("some words")
    anchor = make_anchor(doc, "c", "body", 0, 4)
    del clauses_of(doc)["c"]
    assert Resolver(doc).place("c", "body", anchor.start, anchor.end).lost


@pytest.mark.parametrize(
    ("field", "start", "end"),
    [
        ("body", 0, 0),
        ("body", 3, 2),
        ("body", -1, 2),
        ("body", 0, 99),
        ("body", 12, 14),  # past the end (the text has 12 units)
        ("body", 3, 4),  # inside the emoji's surrogate pair
        ("kind", 0, 1),
        ("title", 0, 50),
    ],
)
def test_bad_ranges_are_invalid_never_a_panic(field: str, start: int, end: int) -> None:
    doc, _ = document("ab😀cdéfgh!")
    with pytest.raises(Invalid):
        make_anchor(doc, "c", field, start, end)


def test_an_anchor_of_another_clause_key_is_invalid() -> None:
    doc, _ = document("words")
    with pytest.raises(Invalid):
        make_anchor(doc, "nope", "body", 0, 2)
