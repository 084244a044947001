"""The published versions' pages, readable by anyone: the list of versions (with the
secretariat's publish form), one version's text with its exports, and a comparison of two
versions (or of a version and the live draft, for members)."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.errors import DomainError
from charter_drafts.permissions import Action, can, require
from charter_drafts.publishing.models import Version, VersionClause
from charter_drafts.publishing.versions import (
    Published,
    get_version,
    latest_version,
    versions_of,
)
from charter_drafts.usertext import render_markdown
from server.callers.language import language_of
from server.web.endorsement_pages import (
    LIVE_SCRIPT,
    is_latest,
    live_endorsers,
    member_form,
    request_form,
    version_endorsers,
)
from server.web.i18n import translate
from server.web.pages import page
from server.web.review import diff_html
from server.web.routes.context import CharterCall, charter_call
from server.web.routes.versions import LIVE, compared, do_publish, publisher_name
from server.web.security import check_form_csrf, csrf_token

EXPORT_KINDS = ("pdf", "html", "md", "json", "akn.xml")


def _t(request: Request, key: str) -> str:
    return escape(translate(language_of(request), key))


def _label(clause: VersionClause, preamble: str) -> str:
    return (
        (clause.title or preamble) if clause.number is None else f"{clause.number}. {clause.title}"
    )


def _exports(request: Request, slug: str, number: str) -> str:
    links = " · ".join(
        f'<a href="/charters/{slug}/versions/{escape(number)}/export.{kind}" download>'
        f"{_t(request, 'export.' + kind)}</a>"
        for kind in EXPORT_KINDS
    )
    return f'<p class="exports">{_t(request, "version.download")} {links}</p>'


def _sides(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """The two texts a word diff was made of."""
    old = "".join(text for op, text in pairs if op != "+")
    new = "".join(text for op, text in pairs if op != "-")
    return old, new


def _compare_link(slug: str, old: str, new: str, label: str) -> str:
    return f'<a href="/charters/{slug}/compare?{urlencode({"from": old, "to": new})}">{label}</a>'


async def versions_page(
    request: Request, *, error: str = "", values: FormData | None = None, status: int = 200
) -> Response:
    async with charter_call(request) as c:
        found = list(await versions_of(c.session, c.charter_id))
        names = {v.id: await publisher_name(c, v) for v in found}
        member = can(c.member, Action.read_draft, c.target)
        may_publish = can(c.member, Action.publish, c.target)
        may_follow = can(c.member, Action.manage_endorsements, c.target)
    slug = escape(c.charter.slug)
    items = []
    for index, version in enumerate(found):
        number = escape(version.number)
        links = [f'<a href="/charters/{slug}/versions/{number}">{_t(request, "version.read")}</a>']
        if index + 1 < len(found):
            previous = found[index + 1].number
            links.append(
                _compare_link(
                    slug, previous, version.number, _t(request, "version.compare_previous")
                )
            )
        if member:
            links.append(
                _compare_link(slug, version.number, LIVE, _t(request, "version.compare_live"))
            )
        items.append(
            f'<li class="version" data-version="{number}">'
            f"<h2>{number} · {escape(version.title)}</h2>"
            f'<p class="published"><time datetime="{version.published_at.isoformat()}">'
            f"{version.published_at:%Y-%m-%d}</time> · {escape(names[version.id])}</p>"
            f'<div class="notes">{render_markdown(version.notes)}</div>'
            f"<p>{' · '.join(links)}</p>{_exports(request, slug, version.number)}</li>"
        )
    listing = "".join(items) or f"<li>{_t(request, 'version.none')}</li>"
    form = (
        _publish_form(request, slug, found[0] if found else None, values, error)
        if may_publish
        else ""
    )
    title = f"{c.charter.title} · {translate(language_of(request), 'version.list')}"
    main = (
        f'<main class="versions"><p><a href="/charters/{slug}">{escape(c.charter.title)}</a>'
        + (
            f' · <a href="/charters/{slug}/endorsements">{_t(request, "endorse.dashboard")}</a>'
            if may_follow
            else ""
        )
        + "</p>"
        f"<h1>{_t(request, 'version.list')}</h1>{form}"
        f'<ol class="versions">{listing}</ol></main>'
    )
    return HTMLResponse(page(request, title, main, caller=c.caller), status_code=status)


def _publish_form(
    request: Request, slug: str, latest: Version | None, values: FormData | None, error: str
) -> str:
    v = values or FormData()
    suggested = f"{latest.major}.{latest.minor + 1}" if latest else "0.1"
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<details class="publish"{" open" if error else ""}><summary>'
        f"{_t(request, 'version.publish')}</summary>{alert}"
        f'<form method="post" action="/charters/{slug}/versions" class="stacked publish">'
        f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
        f'<label for="v-number">{_t(request, "version.number")}</label>'
        f'<input id="v-number" name="number" required'
        f' value="{escape(str(v.get("number", suggested)))}">'
        f'<label for="v-title">{_t(request, "version.title")}</label>'
        f'<input id="v-title" name="title" required value="{escape(str(v.get("title", "")))}">'
        f'<label for="v-notes">{_t(request, "version.notes")}</label>'
        f'<textarea id="v-notes" name="notes" rows="5">{escape(str(v.get("notes", "")))}</textarea>'
        f'<button type="submit">{_t(request, "version.publish_now")}</button></form></details>'
    )


async def publish_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=64 * 1024)
    check_form_csrf(request, form.get("csrf"))
    try:
        async with charter_call(request) as c:
            require(c.member, Action.publish, c.target)
            published = await do_publish(
                c,
                str(form.get("number", "")).strip(),
                str(form.get("title", "")),
                str(form.get("notes", "")),
            )
    except DomainError as error:
        message = error.text.render(language_of(request))
        return await versions_page(
            request, error=message[:1].upper() + message[1:], values=form, status=error.status
        )
    return RedirectResponse(
        f"/charters/{request.path_params['slug']}/versions/{published.version.number}", 303
    )


def _meta(c: CharterCall, version: Version, request: Request) -> str:
    """Open Graph tags, so that a link a city shares previews properly."""
    url = str(request.url.replace(query=""))
    description = (
        f"{translate(language_of(request), 'version.word')} {version.number}: {version.title}"
    )
    return (
        f'<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{escape(c.charter.title)} {escape(version.number)}">'
        f'<meta property="og:description" content="{escape(description)}">'
        f'<meta property="og:url" content="{escape(url)}">'
        f'<meta name="description" content="{escape(description)}">'
    )


async def version_page(request: Request) -> Response:
    async with charter_call(request) as c:
        published = await get_version(c.session, c.charter_id, request.path_params["number"])
        return await _render_version(request, c, published)


async def public_charter(request: Request, c: CharterCall) -> Response:
    """The charter's address for anyone who is not a member: its latest published version, or
    word that there is none yet; and the way in for members."""
    path = quote(request.url.path)
    sign_in = (
        f'<p class="sign-in-prompt"><a class="sign-in-link" href="/sign-in?next={path}">'
        f"{_t(request, 'public.sign_in')}</a></p>"
    )
    latest = await latest_version(c.session, c.charter_id)
    if latest is None:
        title = c.charter.title
        main = (
            f'<main class="version unpublished"><h1>{escape(title)}</h1>'
            f'<p class="charter-summary">{escape(c.charter.summary)}</p>'
            f"<p>{_t(request, 'public.unpublished')}</p>{sign_in}</main>"
        )
        return HTMLResponse(page(request, title, main, caller=c.caller))
    published = await get_version(c.session, c.charter_id, latest.number)
    return await _render_version(request, c, published, intro=sign_in)


async def _render_version(
    request: Request, c: CharterCall, published: Published, intro: str = ""
) -> Response:
    publisher = await publisher_name(c, published.version)
    member = can(c.member, Action.read_draft, c.target)
    number_asked = published.version.number
    found = await version_endorsers(c, number_asked)
    endorsing = live_endorsers(request, c.charter.slug, number_asked, found)
    if await is_latest(c, number_asked):
        own = await member_form(request, c, number_asked)
        endorsing += own or ("" if member else request_form(request, c.charter.slug, number_asked))
    version = published.version
    slug, number = escape(c.charter.slug), escape(version.number)
    preamble = translate(language_of(request), "preamble")
    clauses = "".join(
        f'<section class="clause" id="clause-{escape(cl.key)}">'
        f"<h2>{escape(_label(cl, preamble))}</h2>"
        + "".join(f"<p>{escape(p)}</p>" for p in cl.body.split("\n\n") if p.strip())
        + "</section>"
        for cl in published.clauses
    )
    links = [f'<a href="/charters/{slug}/versions">{_t(request, "version.all")}</a>']
    previous = await _previous(c, version)
    if previous is not None:
        links.append(
            _compare_link(slug, previous, version.number, _t(request, "version.compare_previous"))
        )
    if member:
        links.append(_compare_link(slug, version.number, LIVE, _t(request, "version.compare_live")))
    merged = json.loads(version.merged_amendments)
    main = (
        f'<main class="version" data-version="{number}"><p class="charter-meta">'
        f"{' · '.join(links)}</p><h1>{escape(version.charter_title)}</h1>"
        f'<p class="edition">{_t(request, "version.word")} {number} · {escape(version.title)} · '
        f'<time datetime="{version.published_at.isoformat()}">'
        f"{version.published_at:%Y-%m-%d}</time>"
        f" · {escape(publisher)}</p>{intro}"
        f'<div class="notes">{render_markdown(version.notes)}</div>'
        + (f'<p class="merged">{_t(request, "version.merged")} {len(merged)}</p>' if merged else "")
        + f"{_exports(request, slug, version.number)}{clauses}{endorsing}</main>"
    )
    title = f"{version.charter_title} {version.number}"
    return HTMLResponse(
        page(request, title, main, caller=c.caller, head=_meta(c, version, request) + LIVE_SCRIPT)
    )


async def _previous(c: CharterCall, version: Version) -> str | None:
    """The number of the version published before ``version``, if any."""
    for candidate in await versions_of(c.session, c.charter_id):  # newest first
        if (candidate.major, candidate.minor) < (version.major, version.minor):
            return candidate.number
    return None


async def compare_page(request: Request) -> Response:
    old = request.query_params.get("from", "")
    new = request.query_params.get("to", "")
    async with charter_call(request) as c:
        entries, changelog = await compared(c, old, new)
    slug = escape(c.charter.slug)
    rows = []
    for entry in entries:
        change = escape(entry["change"])
        was, now = entry["from_number"], entry["to_number"]
        numbers = (
            "" if was == now is None else str(now) if was == now else f"{was or '–'} → {now or '–'}"
        )
        body = ""
        if entry["change"] in ("changed", "added", "removed"):
            title_old, title_new = _sides(entry["title_diff"])
            body_old, body_new = _sides(entry["body_diff"])
            body = (diff_html(title_old, title_new) if title_old != title_new else "") + diff_html(
                body_old, body_new
            )
        rows.append(
            f'<section class="change change-{change}" data-clause="{escape(entry["id"])}"'
            f' data-change="{change}"><h2>{escape(entry["title"])} '
            f'<span class="badge">{_t(request, "change." + entry["change"])}</span>'
            f' <span class="numbers">{escape(numbers)}</span></h2>{body}'
            f"{_provenance(request, entry)}</section>"
        )

    def name(n: str) -> str:
        return translate(language_of(request), "version.live") if n == LIVE else n

    title = f"{name(old)} → {name(new)}"
    main = (
        f'<main class="compare"><p><a href="/charters/{slug}/versions">'
        f"{_t(request, 'version.all')}</a></p><h1>{escape(c.charter.title)}: {escape(title)}</h1>"
        f"{_changelog(request, entries, changelog)}{''.join(rows)}</main>"
    )
    return HTMLResponse(page(request, title, main, caller=c.caller))


def _provenance(request: Request, entry: dict[str, Any]) -> str:
    """Where a changed clause's words came from: amendments, revisions (members), comments."""
    if entry["change"] == "unchanged":
        return ""
    parts = [
        f'<a href="{escape(a["link"])}">{_t(request, "provenance.amendment")} {a["id"]}</a>'
        for a in entry["amendments"]
    ]
    if "revisions" in entry:
        count = len(entry["revisions"])
        parts.append(
            f'<a href="{escape(entry["history"])}">{count} {_t(request, "provenance.revisions")}'
            "</a>"
        )
        parts.append(f"{entry['comments']['count']} {_t(request, 'provenance.comments')}")
    return f'<p class="provenance">{" · ".join(parts)}</p>' if parts else ""


def _changelog(request: Request, entries: list[dict[str, Any]], log: dict[str, Any]) -> str:
    titles = {e["id"]: e["title"] for e in entries}
    items = [
        f'<li data-changelog="{change}">{_t(request, "changelog." + change)}: '
        + ", ".join(escape(titles.get(key) or key) for key in log[change])
        + "</li>"
        for change in ("added", "removed", "moved", "changed")
        if log[change]
    ]
    merged = "".join(
        f'<li data-amendment="{a["id"]}"><a href="{escape(a["link"])}">'
        f"{_t(request, 'provenance.amendment')} {a['id']}</a>"
        f" ({escape(titles.get(a['clause']) or a['clause'])}): "
        f"{escape(a['rationale'])}</li>"
        for a in log["amendments"]
    )
    if merged:
        items.append(f"<li>{_t(request, 'changelog.amendments')}<ul>{merged}</ul></li>")
    listing = "".join(items) or f"<li>{_t(request, 'changelog.none')}</li>"
    return (
        f'<section class="changelog"><h2>{_t(request, "changelog.title")}</h2>'
        f"<ul>{listing}</ul></section>"
    )


routes = [
    Route("/charters/{slug}/versions", versions_page, methods=["GET"]),
    Route("/charters/{slug}/versions", publish_form, methods=["POST"]),
    Route("/charters/{slug}/versions/{number}", version_page, methods=["GET"]),
    Route("/charters/{slug}/compare", compare_page, methods=["GET"]),
]
