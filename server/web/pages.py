"""HTML pages: the list of charters and a charter's live drafting page.

The charter page carries the text as the server has it (readable without JavaScript); the
browser client in static/ then replaces it with the live editor, read-only for roles that may
not edit.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.charters import list_charters
from charter_drafts.permissions import Action, can
from charter_drafts.texts import LANGUAGES
from server.callers.auth import Principal
from server.callers.language import LANGUAGE_COOKIE, language_of
from server.web.i18n import translate
from server.web.reads import read_charter
from server.web.routes.context import call, charter_call
from server.web.security import content_security_policy, csrf_token, style_nonce


def page(
    request: Request,
    title: str,
    main: str,
    *,
    caller: Principal | None = None,
    script: bool = False,
    head: str = "",
) -> str:
    language = language_of(request)
    bundle = '<script type="module" src="/static/dist/editor.js"></script>' if script else ""
    if caller is not None:
        account = (
            f'<span class="who">{escape(caller.user.display_name)}</span>'
            f'<form method="post" action="/sign-out" class="inline">'
            f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
            f'<button type="submit">{escape(translate(language, "sign_out"))}</button></form>'
        )
    else:
        next_url = quote(request.url.path)
        account = (
            f'<a href="/sign-in?next={escape(next_url)}">'
            f"{escape(translate(language, 'sign_in'))}</a>"
        )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · charter-drafts</title>"
        f'<link rel="stylesheet" href="/static/app.css">{head}</head><body>'
        f'<header class="site"><a href="/">charter-drafts</a>{_languages(request, language)}'
        f'<nav class="account">{account}</nav></header>{main}{bundle}</body></html>'
    )


LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _languages(request: Request, current: str) -> str:
    """The language switcher: each language's name in that language, the current one marked."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    marked = ' aria-current="true"'
    items = "".join(
        f'<li><a href="/language/{code}?next={quote(here, safe="")}" lang="{code}"'
        f' hreflang="{code}"{marked if code == current else ""}>'
        f"{escape(LANGUAGE_NAMES.get(code, code))}</a></li>"
        for code in LANGUAGES
    )
    label = escape(translate(current, "language"))
    return f'<nav class="languages" aria-label="{label}"><ul>{items}</ul></nav>'


def _local(path: str | None) -> str:
    """Only a local path, without a ``lang`` parameter that would override the choice."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("lang="))
    return parts.path + (f"?{query}" if query else "")


async def choose_language(request: Request) -> Response:
    """The switcher's links: remember the language (a cookie) and go back to the page."""
    code = request.path_params["code"]
    response = RedirectResponse(_local(request.query_params.get("next")), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_AGE, samesite="lax", httponly=True
        )
    return response


async def home(request: Request) -> HTMLResponse:
    language = language_of(request)
    async with call(request) as c:
        charters = await list_charters(c.session)
    items = (
        "".join(
            f'<li><a href="/charters/{escape(ch.slug)}">{escape(ch.title)}</a>'
            f' <span class="phase">{escape(translate(language, "phase." + ch.phase))}</span>'
            f"<p>{escape(ch.summary)}</p></li>"
            for ch in charters
        )
        or f"<li>{escape(translate(language, 'no_charters'))}</li>"
    )
    title = translate(language, "charters")
    admin = ""
    if c.caller is not None and c.caller.user.site_admin:
        admin = f'<p><a href="/accounts">{escape(translate(language, "accounts.link"))}</a></p>'
    main = f'<main><h1>{escape(title)}</h1><ul class="charters">{items}</ul>{admin}</main>'
    return HTMLResponse(page(request, title, main, caller=c.caller))


async def charter(request: Request) -> Response:
    language = language_of(request)
    async with charter_call(request) as c:
        if not can(c.member, Action.read_draft, c.target):
            # Not a member (or not signed in): the published text, for everyone.
            from server.web.versions_pages import public_charter  # it builds on this module

            return await public_charter(request, c)
        assert c.member is not None
        can_edit = can(c.member, Action.edit_text, c.target)
        can_moderate = can(c.member, Action.moderate, c.target)
    text = await read_charter(c.services, c.charter.slug)
    slug = escape(text.charter.slug)
    clauses = "".join(
        f'<li class="clause" data-clause="{escape(cl.key)}" data-clause-id="{escape(cl.key)}">'
        f'<span class="clause-number">'
        f"{escape(translate(language, 'preamble') if cl.number is None else str(cl.number))}"
        f"</span><h2>{escape(cl.title)}</h2>"
        f'<a class="clause-history" href="/charters/{slug}/clauses/{escape(cl.key)}/history">'
        f"{escape(translate(language, 'history.link'))}</a>"
        + "".join(f"<p>{escape(p)}</p>" for p in cl.body.split("\n\n"))
        + "</li>"
        for cl in text.clauses
    )
    role = c.member.role.value if c.member.role else ""
    nonce = style_nonce()
    main = (
        f'<main id="charter" data-slug="{slug}" data-ws-url="/ws/charters"'
        f' data-api-url="/api/charters/{slug}" data-role="{escape(role)}"'
        f' data-can-edit="{"true" if can_edit else "false"}"'
        f' data-user-name="{escape(c.caller.user.display_name if c.caller else "")}"'
        f' data-user-id="{c.caller.user.id if c.caller else ""}"'
        f' data-events-url="/api/charters/{slug}/events" data-style-nonce="{nonce}"'
        f' data-csrf="{escape(csrf_token(request))}">'
        f'<h1 class="charter-title">{escape(text.charter.title)}</h1>'
        f'<p class="charter-summary">{escape(text.charter.summary)}</p>'
        f'<p class="charter-meta"><span class="phase">'
        f"{escape(translate(language, 'phase.' + text.charter.phase))}</span>"
        f' <span class="role">{escape(translate(language, "role." + role) if role else "")}'
        f"</span></p>"
        f'<p class="charter-links"><a href="/charters/{slug}/amendments">'
        f"{escape(translate(language, 'amendments'))}</a> · "
        f'<a href="/charters/{slug}/versions">{escape(translate(language, "version.list"))}</a>'
        f"{_secretariat_links(slug, language) if can_moderate else ''}</p>"
        f'<p id="status" role="status" aria-live="polite">'
        f"{escape(translate(language, 'loading'))}</p>"
        f'<ol id="clauses">{clauses}</ol></main>'
    )
    return HTMLResponse(
        page(request, text.charter.title, main, caller=c.caller, script=True),
        headers={"Content-Security-Policy": content_security_policy(nonce)},
    )


def _secretariat_links(slug: str, language: str) -> str:
    """The secretariat's ways to its work on the deliberation: the review queue, the report."""
    return (
        f' · <a class="review-queue" href="/charters/{slug}/amendments?status=open">'
        f"{escape(translate(language, 'review.queue'))}</a>"
        f' · <a href="/charters/{slug}/report">{escape(translate(language, "report.link"))}</a>'
    )


routes = [
    Route("/", home, methods=["GET"]),
    Route("/charters/{slug}", charter, methods=["GET"]),
    Route("/language/{code}", choose_language, methods=["GET"]),
]
