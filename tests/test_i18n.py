"""The pages' messages (``server.web.i18n``): every one in English and French, with the same
placeholders, so that no page falls back to English or fails to fill a message in."""

from __future__ import annotations

from string import Formatter

from server.web.i18n import MESSAGES


def _placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(message) if name}


def test_every_message_is_in_both_languages_with_the_same_placeholders() -> None:
    assert set(MESSAGES) == {"en", "fr"}
    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])
    for key, english in MESSAGES["en"].items():
        assert _placeholders(MESSAGES["fr"][key]) == _placeholders(english), key
