"""Restoring a revision as a three-way word merge: the changes from the latest revision to the
restored one, made in the live text, keep what was typed since; the same words changed since
clash."""

from __future__ import annotations

from charter_drafts.publishing.revisions import three_way

LATEST = "Les villes accueillent 😀 tous les arrivants. Chaque école enseigne à chaque enfant."
RESTORED = (
    "Les villes accueillent 😀 les nouveaux arrivants. Chaque école enseigne à chaque enfant."
)


def test_words_typed_since_the_latest_revision_stay() -> None:
    live = "Déjà : " + LATEST + " Les parcs sont ouverts."
    merged, clashes = three_way("body", LATEST, live, RESTORED)
    assert clashes == []
    assert merged == "Déjà : " + RESTORED + " Les parcs sont ouverts."


def test_without_changes_since_the_result_is_the_restored_text() -> None:
    merged, clashes = three_way("body", LATEST, LATEST, RESTORED)
    assert (merged, clashes) == (RESTORED, [])
    assert three_way("title", "", "", "Accueil é") == ("Accueil é", [])


def test_an_edit_made_since_already_is_not_made_twice() -> None:
    merged, clashes = three_way("body", LATEST, RESTORED, RESTORED)
    assert (merged, clashes) == (RESTORED, [])


def test_the_same_words_changed_since_clash() -> None:
    live = LATEST.replace("tous les", "toutes les")
    _merged, clashes = three_way("body", LATEST, live, RESTORED)
    assert [(c.field, c.base, c.live) for c in clashes] == [("body", "tous", "toutes")]
