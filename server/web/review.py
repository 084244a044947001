"""The amendments page: every amendment of a charter with its word diff, supports and history;
the propose form (with a preview of the diff before it is sent); the secretariat's review queue
(stale and conflict marks, what accepting now would give, accept or reject with a reason).

Plain HTML forms: it works without JavaScript. Each form posts to this page's routes, which call
the same actions as the JSON API (``server.web.routes.amendments``) and come back here.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.deliberation import amendments
from charter_drafts.deliberation.amendments import Proposal
from charter_drafts.deliberation.listing import amendment_views
from charter_drafts.document.words import word_diff
from charter_drafts.errors import DomainError
from charter_drafts.permissions import Action, ClauseTarget, can, require
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page
from server.web.reads import current_document, read_charter
from server.web.routes.amendments import (
    amendment_id,
    do_decide,
    do_propose,
    do_support,
    do_withdraw,
)
from server.web.routes.context import CharterCall, charter_call, services_of
from server.web.security import check_form_csrf, csrf_token

MAX_FORM = 256 * 1024
STATUSES = ("open", "merged", "rejected", "withdrawn")
KINDS = ("replace", "insert_after", "delete")


def diff_html(old: str, new: str) -> str:
    """``old`` → ``new`` word by word: ``<del>`` what goes, ``<ins>`` what comes."""
    parts = []
    for op, text in word_diff(old, new):
        if op == "-":
            parts.append(f"<del>{escape(text)}</del>")
        elif op == "+":
            parts.append(f"<ins>{escape(text)}</ins>")
        else:
            parts.append(escape(text))
    return f'<div class="diff">{"".join(parts)}</div>'


class _Page:
    """What the page shows: the charter's clauses and amendments, in the reader's language."""

    def __init__(
        self,
        request: Request,
        c: CharterCall,
        views: list[dict[str, Any]],
        clauses: dict[str, tuple[str, str, bool]],
    ) -> None:
        self.request = request
        self.c = c
        self.views = views
        self.clauses = clauses  # key -> (label, body, frozen)
        self.language = language_of(request)
        self.csrf = escape(csrf_token(request))
        self.slug = escape(c.charter.slug)

    def t(self, key: str) -> str:
        return escape(translate(self.language, key))

    def form(self, action: str, fields: str, submit: str, css: str = "inline") -> str:
        return (
            f'<form method="post" action="/charters/{self.slug}/amendments{action}" class="{css}">'
            f'<input type="hidden" name="csrf" value="{self.csrf}">{fields}'
            f'<button type="submit">{submit}</button></form>'
        )

    def proposal_form(self, values: FormData | None, preview: str) -> str:
        phase_target = self.c.target
        if not can(self.c.member, Action.comment, phase_target):
            return ""
        v = values or FormData()
        chosen = str(v.get("clause", self.request.query_params.get("clause", "")))
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key == chosen else ""}>'
            f"{escape(label)}</option>"
            for key, (label, _body, frozen) in self.clauses.items()
            if not frozen
        )
        kind = str(v.get("kind", "replace"))
        kinds = "".join(
            f'<option value="{k}"{" selected" if k == kind else ""}>{self.t("kind." + k)}</option>'
            for k in KINDS
        )
        fields = (
            f'<label for="a-clause">{self.t("amend.clause")}</label>'
            f'<select id="a-clause" name="clause">{options}</select>'
            f'<label for="a-kind">{self.t("amend.kind")}</label>'
            f'<select id="a-kind" name="kind">{kinds}</select>'
            f'<label for="a-title">{self.t("amend.title")}</label>'
            f'<input id="a-title" name="title" value="{escape(str(v.get("title", "")))}">'
            f'<label for="a-body">{self.t("amend.body")}</label>'
            f'<textarea id="a-body" name="body" rows="6">{escape(str(v.get("body", "")))}'
            "</textarea>"
            f'<label for="a-rationale">{self.t("amend.rationale")}</label>'
            f'<textarea id="a-rationale" name="rationale" rows="3" required>'
            f"{escape(str(v.get('rationale', '')))}</textarea>"
            f'<button type="submit" name="load" value="1" class="secondary">'
            f"{self.t('amend.load')}</button>"
            f'<button type="submit" name="preview" value="1" class="secondary">'
            f"{self.t('amend.preview')}</button>"
        )
        form = self.form("", fields, self.t("amend.propose"), css="stacked propose")
        return (
            f'<section class="propose" aria-labelledby="propose-h">'
            f'<h2 id="propose-h">{self.t("amend.new")}</h2>{preview}{form}</section>'
        )

    def amendment(self, view: dict[str, Any]) -> str:
        key = view["clause"]
        label = self.clauses.get(key, (key, "", False))[0]
        marks = [
            f'<span class="badge status-{escape(view["status"])}">'
            f"{self.t('status.' + view['status'])}</span>"
        ]
        if view["stale"]:
            marks.append(f'<span class="badge stale">{self.t("amend.stale")}</span>')
        if view["conflicted"] or view["conflicts"]:
            marks.append(f'<span class="badge conflict">{self.t("amend.conflict")}</span>')
        author = view["author"]["display_name"] if view["author"] else "?"
        organisation = view["organisation"]["name"] if view["organisation"] else ""
        by = escape(author) + (f" ({escape(organisation)})" if organisation else "")
        parts = [
            f'<article class="amendment" id="amendment-{view["id"]}" data-amendment="{view["id"]}"'
            f' data-status="{escape(view["status"])}">'
            f'<h3><a href="/charters/{self.slug}#clause-{escape(key)}">{escape(label)}</a> · '
            f"{self.t('kind.' + view['kind'])} {' '.join(marks)}</h3>"
            f'<p class="by">{self.t("amend.by")} {by}</p>'
            f'<p class="rationale">{escape(view["rationale"])}</p>'
        ]
        parts.append(self._texts(view))
        if view["supports"]:
            names = ", ".join(
                escape(s["user"]["display_name"] if s["user"] else "?")
                + (f" ({escape(s['organisation']['name'])})" if s["organisation"] else "")
                for s in view["supports"]
            )
            parts.append(f'<p class="supports">{self.t("amend.supported_by")} {names}</p>')
        parts.append(self._actions(view))
        history = "".join(
            f"<li>{self.t('event.' + step['event'])} · "
            f"{escape(step['actor']['display_name'] if step['actor'] else '')}"
            f' · <time datetime="{escape(step["at"])}">{escape(step["at"][:16])}</time>'
            + (f" · {escape(step['reason'])}" if step["reason"] else "")
            + "</li>"
            for step in view["history"]
        )
        parts.append(
            f'<details class="history"><summary>{self.t("amend.history")}</summary>'
            f"<ol>{history}</ol></details></article>"
        )
        return "".join(parts)

    def _texts(self, view: dict[str, Any]) -> str:
        base = view["base"]
        if view["kind"] == "delete":
            return f'<p class="proposal">{self.t("amend.deletes")}</p>'
        if view["kind"] == "insert_after":
            return (
                f'<div class="proposal"><p><strong>{escape(view["title"] or "")}</strong></p>'
                f"<p>{escape(view['body'] or '')}</p></div>"
            )
        parts = [f'<p class="label">{self.t("amend.proposed")}</p>']
        for name in ("title", "body"):
            if view[name] is not None:
                parts.append(diff_html(base[name], view[name]))
        if view["status"] == "open" and view["stale"] and view["preview"] is not None:
            now = self.clauses.get(view["clause"], ("", "", False))[1]
            parts.append(f'<p class="label">{self.t("amend.if_accepted")}</p>')
            parts.append(diff_html(now, view["preview"]["body"]))
        if view["conflicts"]:
            items = "".join(
                f"<li>{self.t('amend.clash').format(base=escape(c['base']), live=escape(c['live']), amendment=escape(c['amendment']))}</li>"  # noqa: E501
                for c in view["conflicts"]
            )
            parts.append(f'<ul class="conflicts">{items}</ul>')
        return "".join(parts)

    def _actions(self, view: dict[str, Any]) -> str:
        if view["status"] != "open":
            return ""
        member = self.c.member
        key = view["clause"]
        frozen = self.clauses.get(key, ("", "", False))[2]
        target = ClauseTarget(self.c.target.phase, frozen)
        mine = member is not None and view["author"] and view["author"]["id"] == member.user_id
        supported = member is not None and any(
            s["user"] and s["user"]["id"] == member.user_id for s in view["supports"]
        )
        forms = []
        path = f"/{view['id']}"
        if can(member, Action.comment, target):
            if mine:
                forms.append(self.form(path + "/withdraw", "", self.t("amend.withdraw")))
            elif supported:
                forms.append(self.form(path + "/unsupport", "", self.t("amend.unsupport")))
            else:
                forms.append(self.form(path + "/support", "", self.t("amend.support")))
        if can(member, Action.decide_amendment, target):
            reason_id = f"reason-{view['id']}"
            fields = (
                f'<label for="{reason_id}">{self.t("amend.reason")}</label>'
                f'<input id="{reason_id}" name="reason">'
                f'<button type="submit" name="decision" value="reject" class="secondary">'
                f"{self.t('amend.reject')}</button>"
            )
            forms.append(
                f'<form method="post" action="/charters/{self.slug}/amendments{path}/decision"'
                f' class="decision"><input type="hidden" name="csrf" value="{self.csrf}">'
                f'{fields}<button type="submit" name="decision" value="accept">'
                f"{self.t('amend.accept')}</button></form>"
            )
        return f'<div class="actions">{"".join(forms)}</div>'


async def _render(
    request: Request,
    *,
    error: str = "",
    values: FormData | None = None,
    preview: str = "",
    status: int = 200,
) -> Response:
    async with charter_call(request) as c:
        if c.member is None:
            return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
        require(c.member, Action.read_draft, c.target)
        wanted = request.query_params.get("status", "open")
        found = await amendments.amendments_of(
            c.session,
            c.charter_id,
            clause=request.query_params.get("clause") or None,
            status=wanted if wanted in STATUSES else None,
        )
        doc = await current_document(c.services, c.session, c.charter)
        views = await amendment_views(c.session, found, doc)
    text = await read_charter(c.services, c.charter.slug)
    language = language_of(request)
    clauses = {
        cl.key: (
            (cl.title or translate(language, "preamble"))
            if cl.number is None
            else f"{cl.number}. {cl.title}",
            cl.body,
            cl.frozen,
        )
        for cl in text.clauses
    }
    asked = request.query_params.get("clause")
    if values is None and asked in clauses:
        # "Propose an amendment" from a clause: start from its text as it is now.
        current = next(cl for cl in text.clauses if cl.key == asked)
        values = FormData({"clause": asked, "title": current.title, "body": current.body})
    view = _Page(request, c, views, clauses)
    here = ' aria-current="page"'
    filters = " · ".join(
        f'<a href="?{urlencode({"status": s})}"{here if s == wanted else ""}>'
        f"{view.t('status.' + s)}</a>"
        for s in (*STATUSES, "all")
    )
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    items = "".join(view.amendment(v) for v in views) or f"<p>{view.t('amend.none')}</p>"
    title = translate(language, "amend.title_page")
    report = (
        f' · <a href="/charters/{view.slug}/report">{view.t("report.link")}</a>'
        if can(c.member, Action.read_report, c.target)
        else ""
    )
    main = (
        f'<main class="amendments" id="amendments" data-slug="{view.slug}">'
        f'<p><a href="/charters/{view.slug}">{escape(text.charter.title)}</a>{report}</p>'
        f"<h1>{escape(title)}</h1>{alert}{view.proposal_form(values, preview)}"
        f'<nav class="filters" aria-label="{view.t("amend.filter")}">{filters}</nav>'
        f'<section class="list">{items}</section></main>'
    )
    return HTMLResponse(page(request, title, main, caller=c.caller), status_code=status)


async def amendments_page(request: Request) -> Response:
    return await _render(request)


def _message(request: Request, error: DomainError) -> str:
    message = error.text.render(language_of(request))
    return message[:1].upper() + message[1:]


async def _form(request: Request) -> FormData:
    form = await request.form(max_files=0, max_fields=20, max_part_size=MAX_FORM)
    check_form_csrf(request, form.get("csrf"))
    return form


def _back(request: Request, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/charters/{request.path_params['slug']}/amendments{anchor}", 303)


def _optional(form: FormData, name: str) -> str | None:
    value = str(form.get(name, ""))
    return value if value.strip() else None


async def propose_form(request: Request) -> Response:
    form = await _form(request)
    kind = str(form.get("kind", "replace"))
    proposal = Proposal(
        kind,
        _optional(form, "title") if kind != "delete" else None,
        _optional(form, "body") if kind != "delete" else None,
        str(form.get("rationale", "")),
    )
    clause = str(form.get("clause", ""))
    if form.get("load"):
        text = await read_charter(services_of(request), request.path_params["slug"])
        current = next((cl for cl in text.clauses if cl.key == clause), None)
        if current is not None:
            loaded = {**form, "title": current.title, "body": current.body}
            return await _render(request, values=FormData(loaded))
    if form.get("preview"):
        text = await read_charter(services_of(request), request.path_params["slug"])
        current = next((cl for cl in text.clauses if cl.key == clause), None)
        shown = ""
        if current is not None and kind == "replace":
            shown = "".join(
                diff_html(old, new)
                for old, new in ((current.title, proposal.title), (current.body, proposal.body))
                if new is not None
            )
        label = translate(language_of(request), "amend.preview_of")
        preview = f'<div class="preview" role="region" aria-label="{escape(label)}">{shown}</div>'
        return await _render(request, values=form, preview=preview)
    try:
        async with charter_call(request) as c:
            amendment = await do_propose(c, clause, proposal)
    except DomainError as error:
        return await _render(
            request, error=_message(request, error), values=form, status=error.status
        )
    return _back(request, f"#amendment-{amendment.id}")


async def _on_one(request: Request, act: str) -> Response:
    form = await _form(request)
    try:
        async with charter_call(request) as c:
            amendment = await amendments.get_amendment(
                c.session, c.charter_id, amendment_id(request)
            )
            if act == "decision":
                await do_decide(
                    c, amendment, str(form.get("decision", "")), str(form.get("reason", ""))
                )
            elif act == "withdraw":
                await do_withdraw(c, amendment)
            else:
                await do_support(c, amendment, add=act == "support")
    except DomainError as error:
        if error.status == 404:
            raise
        return await _render(request, error=_message(request, error), status=error.status)
    return _back(request, f"#amendment-{request.path_params['id']}")


async def support_form(request: Request) -> Response:
    return await _on_one(request, "support")


async def unsupport_form(request: Request) -> Response:
    return await _on_one(request, "unsupport")


async def withdraw_form(request: Request) -> Response:
    return await _on_one(request, "withdraw")


async def decision_form(request: Request) -> Response:
    return await _on_one(request, "decision")


routes = [
    Route("/charters/{slug}/amendments", amendments_page, methods=["GET"]),
    Route("/charters/{slug}/amendments", propose_form, methods=["POST"]),
    Route("/charters/{slug}/amendments/{id}/support", support_form, methods=["POST"]),
    Route("/charters/{slug}/amendments/{id}/unsupport", unsupport_form, methods=["POST"]),
    Route("/charters/{slug}/amendments/{id}/withdraw", withdraw_form, methods=["POST"]),
    Route("/charters/{slug}/amendments/{id}/decision", decision_form, methods=["POST"]),
]
