"""User-visible text of the server's pages, in English and French."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("en", "fr")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "charters": "Charters",
        "no_charters": "No charter yet.",
        "phase.drafting": "Drafting",
        "phase.consultation": "Consultation",
        "phase.closed": "Closed",
        "clauses": "Clauses",
        "preamble": "Preamble",
        "loading": "Loading the live text…",
        "not_found": "Not found",
        "error": "Something went wrong",
        "back": "All charters",
    },
    "fr": {
        "charters": "Chartes",
        "no_charters": "Aucune charte pour l’instant.",
        "phase.drafting": "Rédaction",
        "phase.consultation": "Consultation",
        "phase.closed": "Close",
        "clauses": "Clauses",
        "preamble": "Préambule",
        "loading": "Chargement du texte en direct…",
        "not_found": "Introuvable",
        "error": "Une erreur s’est produite",
        "back": "Toutes les chartes",
    },
}


def language_of(request: Request) -> str:
    """The first supported language in ``?lang=`` or Accept-Language; English otherwise."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def translate(language: str, key: str) -> str:
    return MESSAGES.get(language, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
