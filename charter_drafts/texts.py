"""The domain's user-visible text (refusals and their reasons), in English and French.

A ``Text`` is an English template with named fields and their values; the template is also the
key of its translations, as in gettext. ``str(text)`` is the English, for logs and for callers
that do not know the reader's language; ``render(language)`` is what the reader sees. A value
may itself be a ``Text`` (a role, a phase, a reason) or a tuple of them (several reasons),
rendered in the same language. A test checks that every template written in the code has its
French, with the same fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("en", "fr")
SEPARATORS = {"en": "; ", "fr": " ; "}  # between several reasons


@dataclass(frozen=True, slots=True)
class Text:
    template: str  # English; ``{name}`` fields
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.render("en")

    def render(self, language: str) -> str:
        template = TRANSLATIONS.get(language, {}).get(self.template, self.template)
        if not self.params:
            return template
        return template.format(**{name: _render(v, language) for name, v in self.params})


def text(template: str, **params: Any) -> Text:
    return Text(template, tuple(params.items()))


def several(texts: Iterable[Text]) -> tuple[Text, ...]:
    """Reasons to give together (each once, in order)."""
    return tuple(dict.fromkeys(texts))


def _render(value: Any, language: str) -> str:
    if isinstance(value, Text):
        return value.render(language)
    if isinstance(value, tuple):
        separator = SEPARATORS.get(language, SEPARATORS["en"])
        return separator.join(_render(v, language) for v in value)
    return str(value)


FRENCH: dict[str, str] = {
    # Deliberation: comments and amendments
    "deliberation is closed in the {phase} phase": "la délibération est close en phase {phase}",
    "comment or propose amendments": "commenter ou proposer des amendements",
    "decide on amendments": "décider des amendements",
    "moderate comments": "modérer les commentaires",
    # Publishing: clause revisions
    "restore revisions": "rétablir des révisions",
    "no revision {id} of this clause": "pas de révision {id} de cette clause",
    "the live text changed the words this restore changes": (
        "le texte en direct a changé les mots que ce rétablissement change"
    ),
    "read the consultation report": "lire le rapport de consultation",
    # Publishing
    "publish a version": "publier une version",
    "a version number is like 0.1 or 1.0 (was '{number}')": (
        "un numéro de version s’écrit comme 0.1 ou 1.0 (reçu : « {number} »)"
    ),
    "a version's title has 1 to {count} characters": (
        "le titre d’une version compte de 1 à {count} caractères"
    ),
    "release notes have at most {count} characters": (
        "les notes de version comptent au plus {count} caractères"
    ),
    "a new version's number must be greater than {latest}": (
        "le numéro d’une nouvelle version doit être supérieur à {latest}"
    ),
    "version {number} exists already": "la version {number} existe déjà",
    "no version {number} of this charter": "pas de version {number} de cette charte",
    # Endorsements
    "endorse": "soutenir officiellement",
    "manage endorsements": "gérer les soutiens officiels",
    "{field} has 1 to {count} characters": "{field} compte de 1 à {count} caractères",
    "the signatory's name": "le nom du ou de la signataire",
    "the signatory's title": "la fonction du ou de la signataire",
    "the organisation's name": "le nom de l’organisation",
    "a statement has at most {count} characters": (
        "une déclaration compte au plus {count} caractères"
    ),
    "'{code}' is not an ISO 3166-1 country code": "« {code} » n’est pas un code de pays ISO 3166-1",
    "an organisation's kind is one of: {choices}": (
        "une organisation est de l’un de ces types : {choices}"
    ),
    "a website is an http(s) address": "un site web est une adresse http(s)",
    "version {number} has no clause '{key}'": "la version {number} n’a pas de clause « {key} »",
    "you endorse on behalf of your organisation, and you have none here": (
        "vous soutenez au nom de votre organisation, et vous n’en avez pas ici"
    ),
    "you endorse on behalf of your own organisation only": (
        "vous ne soutenez qu’au nom de votre propre organisation"
    ),
    "this organisation endorsed this version already": (
        "cette organisation soutient déjà cette version"
    ),
    "this request was not sent by a person": "cette demande n’a pas été envoyée par une personne",
    "no endorsement {id} in this charter": "pas de soutien {id} dans cette charte",
    "this endorsement is {status} already": "ce soutien est déjà {status}",
    "say why the request is rejected": "dites pourquoi la demande est rejetée",
    "only the organisation's members may withdraw its endorsement": (
        "seuls les membres de l’organisation peuvent retirer son soutien"
    ),
    "only the organisation's members may re-confirm its endorsement": (
        "seuls les membres de l’organisation peuvent confirmer à nouveau son soutien"
    ),
    "re-confirm for a version newer than {number}": (
        "confirmez à nouveau pour une version plus récente que {number}"
    ),
    "too many requests from here; try again in {wait} s": (
        "trop de demandes depuis cette adresse ; réessayez dans {wait} s"
    ),
    "too many live pages are open here; try again in {wait} s": (
        "trop de pages suivies en direct ici ; réessayez dans {wait} s"
    ),
    "an endorsement's status is one of: {choices}": (
        "l’état d’un soutien est l’un de ceux-ci : {choices}"
    ),
    "an amendment's kind is one of: {choices}": (
        "un amendement est de l’un de ces types : {choices}"
    ),
    "an amendment's status is one of: {choices}": (
        "l’état d’un amendement est l’un de ceux-ci : {choices}"
    ),
    "a rationale has 1 to {count} characters": "une justification compte de 1 à {count} caractères",
    "a title has at most {title} characters and a body at most {body}": (
        "un titre compte au plus {title} caractères et un texte au plus {body}"
    ),
    "a replacement gives the new title, the new body or both": (
        "un remplacement donne le nouveau titre, le nouveau texte ou les deux"
    ),
    "the proposed text is the clause's text already": (
        "le texte proposé est déjà celui de la clause"
    ),
    "a new clause needs a title or a body": "une nouvelle clause a besoin d’un titre ou d’un texte",
    "an amendment that deletes a clause proposes no text": (
        "un amendement qui supprime une clause ne propose pas de texte"
    ),
    "no amendment {id} in this charter": "pas d’amendement {id} dans cette charte",
    "this amendment is {status} already": "cet amendement est déjà {status}",
    "only its author may change an amendment": "seul son auteur peut modifier un amendement",
    "only its author may withdraw an amendment": "seul son auteur peut retirer un amendement",
    "you proposed this amendment; others support it": (
        "vous avez proposé cet amendement ; ce sont les autres qui le soutiennent"
    ),
    "say why the amendment is rejected": "dites pourquoi l’amendement est rejeté",
    "the clause is no longer in the text": "la clause n’est plus dans le texte",
    "the live text changed the words this amendment changes": (
        "le texte en cours a changé les mots que cet amendement change"
    ),
    "this amendment was decided meanwhile": "cet amendement a été tranché entre-temps",
    "merged": "intégré",
    "rejected": "rejeté",
    "withdrawn": "retiré",
    "verified": "vérifié",
    "pending": "en attente",
    "the decision is accept or reject": "la décision est accept ou reject",
    "status must be one of: {choices}": "le statut est l’un de : {choices}",
    "reaction must be one of: {choices}": "la réaction est l’une de : {choices}",
    "a comment needs some words": "un commentaire a besoin de quelques mots",
    "a comment has at most {count} characters": (
        "un commentaire compte au plus {count} caractères"
    ),
    "no comment {id} on this charter": "aucun commentaire {id} sur cette charte",
    "a reply is on the same clause as the comment it answers": (
        "une réponse porte sur la même clause que le commentaire auquel elle répond"
    ),
    "a reply has no anchor: it answers a comment": (
        "une réponse n’a pas d’ancre : elle répond à un commentaire"
    ),
    "give a new body or status": "donnez un nouveau texte ou un nouveau statut",
    "the secretariat hides a comment through its hide action, with a reason": (
        "le secrétariat masque un commentaire par son action de masquage, avec un motif"
    ),
    "this comment was hidden by the secretariat": "ce commentaire a été masqué par le secrétariat",
    "only its author may edit a comment": "seul son auteur peut modifier un commentaire",
    "only its author or the secretariat may resolve or reopen a comment": (
        "seuls son auteur ou le secrétariat peuvent résoudre ou rouvrir un commentaire"
    ),
    "you reported this comment already": "vous avez déjà signalé ce commentaire",
    "say why the comment is hidden": "dites pourquoi le commentaire est masqué",
    "a reason has at most {count} characters": "un motif compte au plus {count} caractères",
    "an anchor is on the title or the body, not '{field}'": (
        "une ancre porte sur le titre ou le texte, pas sur « {field} »"
    ),
    "an anchor is a non-empty range of the clause's current text, between characters": (
        "une ancre est une étendue non vide du texte actuel de la clause, entre deux caractères"
    ),
    # Accounts and sign-in
    "an account for {email} exists already": "un compte existe déjà pour {email}",
    "a display name has 1 to 120 characters": "un nom affiché compte de 1 à 120 caractères",
    "enter a valid email address": "saisissez une adresse électronique valide",
    "that password is too long": "ce mot de passe est trop long",
    "a password needs at least {count} characters": (
        "un mot de passe compte au moins {count} caractères"
    ),
    "wrong email or password": "courriel ou mot de passe incorrect",
    "too many failed sign-ins; try again in {wait} s": (
        "trop de tentatives de connexion échouées ; réessayez dans {wait} s"
    ),
    "the form expired; reload the page and try again": (
        "le formulaire a expiré ; rechargez la page et réessayez"
    ),
    "sign in, or send an API token, to do this": (
        "connectez-vous, ou envoyez un jeton d’API, pour faire ceci"
    ),
    "sign in to see organisations": "connectez-vous pour voir les organisations",
    "no account for {email}; create it first": "aucun compte pour {email} ; créez-le d’abord",
    "no account for {email}; create it with create-user": (
        "aucun compte pour {email} ; créez-le avec create-user"
    ),
    # Charters, clauses
    "a charter '{slug}' exists already": "une charte « {slug} » existe déjà",
    "a slug has 3 to 64 lower-case letters, digits and hyphens": (
        "un identifiant compte de 3 à 64 lettres minuscules, chiffres et traits d’union"
    ),
    "a summary has at most 2000 characters": "un résumé compte au plus 2000 caractères",
    "a title has 1 to 300 characters": "un titre compte de 1 à 300 caractères",
    "no charter '{slug}'": "aucune charte « {slug} »",
    "a clause body has at most {count} characters": (
        "le corps d’une clause compte au plus {count} caractères"
    ),
    "a clause title has at most {count} characters": (
        "le titre d’une clause compte au plus {count} caractères"
    ),
    "kind must be one of: {choices}": "le type doit être l’un de : {choices}",
    "phase must be one of: {choices}": "la phase doit être l’une de : {choices}",
    "no clause '{key}' in this charter": "aucune clause « {key} » dans cette charte",
    # Invitations, members, organisations
    "an account for {email} exists: enter its password": (
        "un compte existe pour {email} : saisissez son mot de passe"
    ),
    "this invitation has expired; ask the secretariat for a new link": (
        "cette invitation a expiré ; demandez un nouveau lien au secrétariat"
    ),
    "this invitation was used already": "cette invitation a déjà servi",
    "this invitation was withdrawn": "cette invitation a été retirée",
    "no such invitation; ask the secretariat for a new link": (
        "invitation introuvable ; demandez un nouveau lien au secrétariat"
    ),
    "no invitation {id} for this charter": "aucune invitation {id} pour cette charte",
    "a charter keeps at least one secretariat member": (
        "une charte garde au moins un membre du secrétariat"
    ),
    "{email} is a member of this charter already": "{email} est déjà membre de cette charte",
    "role must be one of: {choices}": "le rôle doit être l’un de : {choices}",
    "user {id} is not a member of this charter": (
        "l’utilisateur·rice {id} n’est pas membre de cette charte"
    ),
    "a local government needs its city": "une collectivité locale doit indiquer sa ville",
    "an organisation needs a name of 1 to 200 characters": (
        "une organisation a un nom de 1 à 200 caractères"
    ),
    "country must be an ISO 3166-1 alpha-2 code, such as IT or SN": (
        "le pays doit être un code ISO 3166-1 alpha-2, comme IT ou SN"
    ),
    "organisation kind must be one of: {choices}": (
        "le type d’organisation doit être l’un de : {choices}"
    ),
    "no organisation {id}": "aucune organisation {id}",
    # API tokens
    "a token needs a name of 1 to 120 characters": "un jeton a un nom de 1 à 120 caractères",
    "no token {id}": "aucun jeton {id}",
    "no token {id} for this charter": "aucun jeton {id} pour cette charte",
    "you have no token {id}": "vous n’avez pas de jeton {id}",
    "this API token was revoked": "ce jeton d’API a été révoqué",
    "this account is deactivated": "ce compte est désactivé",
    "no user {id}": "aucun utilisateur {id}",
    "no account for {email}": "aucun compte pour {email}",
    "give a reason": "donnez un motif",
    "the account {email} is deactivated already": "le compte {email} est déjà désactivé",
    "the account {email} is active": "le compte {email} est actif",
    "unknown API token": "jeton d’API inconnu",
    "this API token is for another charter": "ce jeton d’API est pour une autre charte",
    "a token for one charter cannot issue tokens for others": (
        "un jeton pour une charte ne peut pas émettre de jetons pour d’autres"
    ),
    # Requests
    "send a JSON body with Content-Type: application/json": (
        "envoyez un corps JSON avec Content-Type: application/json"
    ),
    "a request body has at most {count} bytes": (
        "le corps d’une requête compte au plus {count} octets"
    ),
    "cross-origin request refused": "requête d’une autre origine refusée",
    "missing or wrong X-CSRF-Token header (GET /api/session gives it)": (
        "en-tête X-CSRF-Token absent ou faux (GET /api/session le donne)"
    ),
    "the body is not valid JSON": "le corps de la requête n’est pas du JSON valide",
    "the body must be a JSON object": "le corps de la requête doit être un objet JSON",
    # Permissions (``charter_drafts.permissions.refusal_reason``)
    "you are not a member of this charter": "vous n’êtes pas membre de cette charte",
    "this clause is frozen": "cette clause est figée",
    "the text is read-only in the {phase} phase": (
        "le texte est en lecture seule en phase de {phase}"
    ),
    "the clause structure cannot change in the {phase} phase": (
        "la structure des clauses ne peut pas changer en phase de {phase}"
    ),
    "drafting": "rédaction",
    "consultation": "consultation",
    "closed": "clôture",
    "{role} may not {action}": "{role} ne peut pas {action}",
    "a secretariat": "le secrétariat",
    "an editor": "un·e rédacteur·rice",
    "a commenter": "un·e commentateur·rice",
    "an observer": "un·e observateur·rice",
    "a site administrator": "un·e administrateur·rice du site",
    "read draft": "lire le projet",
    "edit text": "modifier le texte",
    "change structure": "changer la structure",
    "freeze clause": "figer une clause",
    "change phase": "changer la phase",
    "manage members": "gérer les membres",
    "read audit": "lire le journal d’audit",
    "create charter": "créer une charte",
    "deactivate or reactivate accounts": "désactiver ou réactiver des comptes",
    "you may not deactivate or reactivate your own account": (
        "vous ne pouvez pas désactiver ni réactiver votre propre compte"
    ),
    "only a site administrator may deactivate or reactivate an account": (
        "seul·e un·e administrateur·rice du site peut désactiver ou réactiver un compte"
    ),
    # The live document (updates refused, connections closed)
    "update refused: {reason}": "modification refusée : {reason}",
    "read-only": "lecture seule",
    "{reason} ({clause})": "{reason} ({clause})",
    "it creates a root type": "elle crée un type racine",
    "it changes the clause order": "elle change l’ordre des clauses",
    "it adds or removes clauses": "elle ajoute ou retire des clauses",
    "it changes a clause's fields": "elle change les champs d’une clause",
    "it changes something that is not a clause text": (
        "elle change autre chose que le texte d’une clause"
    ),
    "it formats text": "elle met le texte en forme",
    "it embeds an object in text": "elle insère un objet dans le texte",
    "malformed update: {error}": "modification illisible : {error}",
    "malformed update: it does not decode": "modification illisible : elle ne se décode pas",
    "malformed state vector: a client id above 2^53 - 1": (
        "vecteur d’état illisible : un identifiant de client au-delà de 2^53 - 1"
    ),
    "presence refused: {reason}": "présence refusée : {reason}",
    "it carries a client id above 2^53 - 1, which JavaScript clients misread": (
        "elle porte un identifiant de client au-delà de 2^53 - 1, que les clients JavaScript "
        "lisent mal"
    ),
    "malformed state vector: {error}": "vecteur d’état illisible : {error}",
    "malformed message: {error}": "message illisible : {error}",
    "message too big": "message trop gros",
    "text frames are not part of the protocol": "les trames texte ne font pas partie du protocole",
    "this origin may not open the live document": (
        "cette origine ne peut pas ouvrir le document en direct"
    ),
    "too many refused updates": "trop de modifications refusées",
    "too many updates whose dependencies never arrived": (
        "trop de modifications dont les dépendances ne sont jamais arrivées"
    ),
    "client too slow; reconnect to resync": (
        "client trop lent ; reconnectez-vous pour resynchroniser"
    ),
    "you are no longer a member of this charter": "vous n’êtes plus membre de cette charte",
}

TRANSLATIONS: dict[str, dict[str, str]] = {"fr": FRENCH}
