"""User-visible text of the server's pages, in English and French."""

from __future__ import annotations

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
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "email": "Email",
        "password": "Password",
        "join": "Join the charter",
        "invited_as": "You are invited as {role} ({email}).",
        "display_name": "Your name, as others will see it",
        "choose_password": (
            "Password (at least 10 characters; your current one if you have an account)"
        ),
        "role.secretariat": "Secretariat",
        "role.editor": "Editor",
        "role.commenter": "Commenter",
        "role.observer": "Observer",
        "language": "Language",
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
        "sign_in": "Se connecter",
        "sign_out": "Se déconnecter",
        "email": "Courriel",
        "password": "Mot de passe",
        "join": "Rejoindre la charte",
        "invited_as": "Vous êtes invité·e en tant que {role} ({email}).",
        "display_name": "Votre nom, tel que les autres le verront",
        "choose_password": (
            "Mot de passe (au moins 10 caractères ; l’actuel si vous avez un compte)"
        ),
        "role.secretariat": "Secrétariat",
        "role.editor": "Rédacteur·rice",
        "role.commenter": "Commentateur·rice",
        "role.observer": "Observateur·rice",
        "language": "Langue",
    },
}


def translate(language: str, key: str) -> str:
    return MESSAGES.get(language, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
