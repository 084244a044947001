"""The caller's language: of a page's request or a websocket's upgrade."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from charter_drafts.texts import LANGUAGES
from server.callers.headers import header

LANGUAGE_COOKIE = "lang"


def language_of(request: HTTPConnection) -> str:
    """The first supported language in ``?lang=``, the language cookie (the pages' switcher) or
    Accept-Language; English otherwise (a page's request or a websocket's upgrade)."""
    if b"lang=" in request.scope.get("query_string", b""):
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            return asked
    if header(request.scope, b"cookie") is not None:
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return chosen
    for part in (header(request.scope, b"accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
