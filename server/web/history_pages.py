"""A clause's history page (members): its revisions with their time, source and contributors, a
word diff between any two of them (or one and the live text), and for the secretariat a
*Restore* form per revision, confirmed on a second step (plain HTML forms, no script)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.errors import DomainError, NotFound
from charter_drafts.permissions import Action, can, require
from charter_drafts.publishing.revisions import live_text
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page
from server.web.reads import current_document
from server.web.review import diff_html
from server.web.routes.context import CharterCall, charter_call
from server.web.routes.revisions import (
    LIVE,
    clause_revisions,
    do_restore,
    revision_diff,
    revisions_json,
)
from server.web.security import check_form_csrf, csrf_token


def _t(request: Request, key: str, **values: Any) -> str:
    message = translate(language_of(request), key)
    return escape(message.format(**values) if values else message)


def _source(request: Request, slug: str, revision: dict[str, Any]) -> str:
    source, ref = revision["source"], escape(revision["source_ref"])
    label = _t(request, "history.source." + source)
    if source == "amendment" and ref:
        return f'<a href="/charters/{slug}/amendments#amendment-{ref}">{label} {ref}</a>'
    if source == "publish" and ref:
        return f'<a href="/charters/{slug}/versions/{ref}">{label} {ref}</a>'
    if source == "restore" and ref:
        return f'{label} <a href="#revision-{ref}">{_t(request, "history.revision", id=ref)}</a>'
    return label


def _when(revision: dict[str, Any]) -> str:
    return str(revision["created_at"])[:16].replace("T", " ")


def _people(revision: dict[str, Any]) -> str:
    names = []
    for person in revision["contributors"]:
        organisation = person["organisation"]
        name = escape(person["display_name"])
        names.append(f"{name} ({escape(organisation['name'])})" if organisation else name)
    return ", ".join(names)


def _choices(request: Request, name: str, revisions: list[dict[str, Any]], chosen: str) -> str:
    options = [(LIVE, _t(request, "history.live"))] + [
        (
            str(r["id"]),
            f"{_t(request, 'history.revision', id=r['id'])} · {_when(r)}",
        )
        for r in revisions
    ]
    shown = "".join(
        f'<option value="{value}"{" selected" if value == chosen else ""}>{label}</option>'
        for value, label in options
    )
    return (
        f'<label for="h-{name}">{_t(request, "history." + name)}</label>'
        f'<select id="h-{name}" name="{name}">{shown}</select>'
    )


def _diff(changes: dict[str, Any]) -> str:
    parts = []
    for field in ("title_diff", "body_diff"):
        pairs = changes[field]
        old = "".join(text for op, text in pairs if op != "+")
        new = "".join(text for op, text in pairs if op != "-")
        if field == "body_diff" or old != new:
            parts.append(diff_html(old, new))
    return "".join(parts)


def _confirmation(request: Request, c: CharterCall, key: str, revision: dict[str, Any]) -> str:
    slug, rev = escape(c.charter.slug), revision["id"]
    action = f"/charters/{slug}/clauses/{escape(key)}/revisions/{rev}/restore"
    return (
        f'<section id="confirm" class="confirm" role="alertdialog" aria-labelledby="confirm-q">'
        f'<h2 id="confirm-q">{_t(request, "history.confirm_title", id=rev)}</h2>'
        f"<p>{_t(request, 'history.confirm')}</p>"
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
        f'<button type="submit">{_t(request, "history.confirm_button")}</button> '
        f'<a href="/charters/{slug}/clauses/{escape(key)}/history">{_t(request, "history.cancel")}'
        f"</a></form></section>"
    )


async def history_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    key = request.path_params["key"]
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        revisions = await revisions_json(c, await clause_revisions(c, key))
        may_restore = can(c.member, Action.restore_revision, c.target)
        newest = str(revisions[0]["id"]) if revisions else LIVE
        try:
            title, _body = live_text(await current_document(c.services, c.session, c.charter), key)
            present = LIVE
        except NotFound:  # a deleted clause keeps its history
            title, present = (revisions[0]["title"] if revisions else key), newest
        old = request.query_params.get("from", newest)
        new = request.query_params.get("to", present)
        changes = await revision_diff(c, key, old, new)
    slug, language = escape(c.charter.slug), language_of(request)
    asked = request.query_params.get("restore", "")
    rows = []
    for revision in revisions:
        rev = revision["id"]
        restore = ""
        if may_restore:
            link = f"?{urlencode({'restore': rev, 'from': rev, 'to': LIVE})}#confirm"
            restore = (
                f' <a class="restore" href="{escape(link)}">{_t(request, "history.restore")}</a>'
            )
        people = _people(revision)
        rows.append(
            f'<li class="revision" id="revision-{rev}" data-revision="{rev}"'
            f' data-source="{escape(revision["source"])}">'
            f'<time datetime="{escape(revision["created_at"])}">'
            f"{escape(_when(revision))}</time> · "
            f"{_t(request, 'history.revision', id=rev)} · "
            f'<span class="source">{_source(request, slug, revision)}</span>'
            + (f' · <span class="contributors">{people}</span>' if people else "")
            + f"{restore}</li>"
        )
    chosen = next((r for r in revisions if str(r["id"]) == asked), None)
    confirm = _confirmation(request, c, key, chosen) if may_restore and chosen else ""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    heading = translate(language, "history.title").format(clause=title or key)
    main = (
        f'<main class="history" data-clause="{escape(key)}"><p><a href="/charters/{slug}">'
        f"{escape(c.charter.title)}</a></p><h1>{escape(heading)}</h1>{alert}{confirm}"
        f'<form method="get" class="choose">{_choices(request, "from", revisions, old)}'
        f"{_choices(request, 'to', revisions, new)}"
        f'<button type="submit">{_t(request, "history.show")}</button></form>'
        f'<section class="changes" aria-label="{_t(request, "history.changes")}">'
        f"{_diff(changes)}</section>"
        f"<h2>{_t(request, 'history.revisions')}</h2>"
        f'<ol class="revisions">{"".join(rows) or _t(request, "history.none")}</ol></main>'
    )
    return HTMLResponse(page(request, heading, main, caller=c.caller), status_code=status)


async def restore_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5, max_part_size=1024)
    check_form_csrf(request, form.get("csrf"))
    key = request.path_params["key"]
    try:
        async with charter_call(request) as c:
            restored = await do_restore(c, key, request.path_params["revision"])
    except DomainError as error:
        if error.status == 404:
            raise
        message = error.text.render(language_of(request))
        return await history_page(
            request, error=message[:1].upper() + message[1:], status=error.status
        )
    anchor = f"#revision-{restored.id}" if restored else ""
    return RedirectResponse(
        f"/charters/{request.path_params['slug']}/clauses/{key}/history{anchor}", 303
    )


routes = [
    Route("/charters/{slug}/clauses/{key}/history", history_page, methods=["GET"]),
    Route(
        "/charters/{slug}/clauses/{key}/revisions/{revision}/restore",
        restore_form,
        methods=["POST"],
    ),
]
