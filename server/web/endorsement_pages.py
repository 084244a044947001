"""Endorsement pages: a version's endorsers (public), the public request form, a member's
endorse / re-confirm form, and the secretariat's verification queue and campaign dashboard
(charts drawn as SVG on the server). Plain HTML forms, no JavaScript needed."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

import pycountry
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.endorsements import endorsements as ops
from charter_drafts.endorsements.endorsements import NewOrganisation, Signatory
from charter_drafts.endorsements.tracking import (
    endorsement_views,
    endorsements_of,
    endorsers,
    stats,
)
from charter_drafts.errors import DomainError, NotFound, TooMany
from charter_drafts.models import OrganisationKind
from charter_drafts.permissions import Action, can, require
from charter_drafts.publishing.versions import get_version, latest_version
from charter_drafts.texts import text
from server.callers.language import language_of
from server.web.charts import bars, cumulative
from server.web.i18n import translate
from server.web.inputs import parse_id
from server.web.pages import page
from server.web.routes.context import CharterCall, charter_call, services_of
from server.web.routes.endorsements import announce
from server.web.security import check_form_csrf, csrf_token

COUNTRIES = sorted((c.alpha_2, c.name) for c in pycountry.countries)


def _t(request: Request, key: str) -> str:
    return escape(translate(language_of(request), key))


def _message(request: Request, error: DomainError) -> str:
    message = error.text.render(language_of(request))
    return message[:1].upper() + message[1:]


def endorsers_section(request: Request, found: list[dict[str, Any]]) -> str:
    """A version's public endorsers, with counts by kind and country."""
    if not found:
        return (
            f'<section class="endorsers"><h2>{_t(request, "endorse.endorsers")}</h2>'
            f"<p>{_t(request, 'endorse.none')}</p></section>"
        )
    kinds: dict[str, int] = {}
    countries: dict[str, int] = {}
    for e in found:
        kinds[e["organisation"]["kind"]] = kinds.get(e["organisation"]["kind"], 0) + 1
        countries[e["organisation"]["country"]] = countries.get(e["organisation"]["country"], 0) + 1
    summary = (
        " · ".join(
            f"{escape(translate(language_of(request), 'kind.org.' + k))} {n}"
            for k, n in sorted(kinds.items())
        )
        + " — "
        + " · ".join(f"{escape(c)} {n}" for c, n in sorted(countries.items()))
    )
    items = "".join(
        f'<li class="endorser"><strong>{escape(e["organisation"]["name"])}</strong>'
        f" ({escape(translate(language_of(request), 'kind.org.' + e['organisation']['kind']))}, "
        f"{escape(e['organisation']['city'] + ', ' if e['organisation']['city'] else '')}"
        f"{escape(e['organisation']['country'])}) · {escape(e['signatory_name'])}, "
        f"{escape(e['signatory_title'])}"
        + (f"<blockquote>{escape(e['statement'])}</blockquote>" if e["statement"] else "")
        + "</li>"
        for e in found
    )
    return (
        f'<section class="endorsers" aria-labelledby="endorsers-h"><h2 id="endorsers-h">'
        f"{_t(request, 'endorse.endorsers')} ({len(found)})</h2>"
        f'<p class="counts">{summary}</p><ul>{items}</ul></section>'
    )


LIVE_SCRIPT = '<script type="module" src="/static/dist/endorsers.js"></script>'


def live_endorsers(request: Request, slug: str, number: str, found: list[dict[str, Any]]) -> str:
    """The endorsers section, kept current in the browser (``static/src/endorsers.js``) from the
    charter's public event stream: the script re-reads it from the version's endorsers page
    when they change, and says so when a newer version is published."""
    language = language_of(request)
    say = {
        "updated": translate(language, "endorse.updated"),
        "published": translate(language, "endorse.published"),
        "read": translate(language, "endorse.read_it"),
    }
    at, number_at = escape(quote(slug)), escape(quote(number))
    return (
        f'<div class="live-endorsers" data-stream="/api/charters/{at}/public-events"'
        f' data-version="{escape(number)}"'
        f' data-refresh="/charters/{at}/versions/{number_at}/endorsers"'
        f' data-versions="/charters/{at}/versions/"'
        + "".join(f' data-say-{k}="{escape(v)}"' for k, v in say.items())
        + f'>{endorsers_section(request, found)}<p class="live-status" role="status"></p></div>'
    )


async def endorsers_page(request: Request) -> Response:
    """One version's public endorsers on a page of their own (to link to, and for the live
    list to re-read)."""
    number = request.path_params["number"]
    async with charter_call(request) as c:
        found = await version_endorsers(c, number)
    slug = c.charter.slug
    title = f"{c.charter.title} {number}: {translate(language_of(request), 'endorse.endorsers')}"
    main = (
        f'<main class="endorsers-page"><p><a href="/charters/{escape(quote(slug))}/versions/'
        f'{escape(quote(number))}">{escape(c.charter.title)} {escape(number)}</a></p>'
        f"<h1>{escape(title)}</h1>{live_endorsers(request, slug, number, found)}</main>"
    )
    return HTMLResponse(page(request, title, main, caller=c.caller, head=LIVE_SCRIPT))


def _field(
    name: str, label: str, value: str = "", kind: str = "text", required: bool = True
) -> str:
    need = " required" if required else ""
    return (
        f'<label for="e-{name}">{escape(label)}</label>'
        f'<input id="e-{name}" name="{name}" type="{kind}" value="{escape(value)}"{need}>'
    )


def request_form(request: Request, slug: str, number: str, values: FormData | None = None) -> str:
    """The public form: any organisation asks to endorse this version."""
    v = values or FormData()
    t = language_of(request)
    kinds = "".join(
        f'<option value="{k.value}"{" selected" if v.get("kind") == k.value else ""}>'
        f"{escape(translate(t, 'kind.org.' + k.value))}</option>"
        for k in OrganisationKind
    )
    countries = "".join(
        f'<option value="{code}"{" selected" if v.get("country") == code else ""}>'
        f"{escape(name)}</option>"
        for code, name in COUNTRIES
    )
    fields = (
        _field("name", translate(t, "endorse.org_name"), str(v.get("name", "")))
        + f'<label for="e-kind">{_t(request, "endorse.org_kind")}</label>'
        f'<select id="e-kind" name="kind">{kinds}</select>'
        f'<label for="e-country">{_t(request, "endorse.country")}</label>'
        f'<select id="e-country" name="country">{countries}</select>'
        + _field("city", translate(t, "endorse.city"), str(v.get("city", "")), required=False)
        + _field(
            "website",
            translate(t, "endorse.website"),
            str(v.get("website", "")),
            "url",
            required=False,
        )
        + _field(
            "signatory_name", translate(t, "endorse.signatory"), str(v.get("signatory_name", ""))
        )
        + _field(
            "signatory_title",
            translate(t, "endorse.signatory_title"),
            str(v.get("signatory_title", "")),
        )
        + _field(
            "contact_email",
            translate(t, "endorse.contact"),
            str(v.get("contact_email", "")),
            "email",
        )
        + f'<label for="e-statement">{_t(request, "endorse.statement")}</label>'
        f'<textarea id="e-statement" name="statement" rows="3" maxlength="2000">'
        f"{escape(str(v.get('statement', '')))}</textarea>"
        f'<label class="check"><input type="checkbox" name="public" value="1" checked> '
        f"{_t(request, 'endorse.public')}</label>"
        # A trap for robots: hidden from people and from assistive technology.
        f'<div class="trap" aria-hidden="true"><label for="e-homepage">Homepage</label>'
        f'<input id="e-homepage" name="homepage" tabindex="-1" autocomplete="off"></div>'
    )
    return (
        f'<section class="endorse-request" aria-labelledby="request-h"><h2 id="request-h">'
        f"{_t(request, 'endorse.ask')}</h2><p>{_t(request, 'endorse.ask_help')}</p>"
        f'<form method="post" action="/charters/{escape(slug)}/endorsement-requests" '
        f'class="stacked request"><input type="hidden" name="csrf" '
        f'value="{escape(csrf_token(request))}"><input type="hidden" name="version" '
        f'value="{escape(number)}">{fields}<button type="submit">'
        f"{_t(request, 'endorse.send')}</button></form></section>"
    )


async def member_form(request: Request, c: CharterCall, number: str) -> str:
    """For a member with an organisation: endorse this version, or re-confirm for it."""
    if c.member is None or c.member.organisation_id is None:
        return ""
    if not can(c.member, Action.endorse, c.target):
        return ""
    theirs = await endorsements_of(
        c.session, c.charter_id, organisation_id=c.member.organisation_id, status="verified"
    )
    views = await endorsement_views(c.session, theirs)
    if any(v["version"] == number for v in views):
        return f'<p class="endorsed">{_t(request, "endorse.done")}</p>'
    slug = escape(c.charter.slug)
    csrf = f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
    if views:
        earlier = views[-1]
        note = _t(request, "endorse.newer").format(
            old=escape(earlier["version"]), new=escape(number)
        )
        comparison = urlencode({"from": earlier["version"], "to": number})
        compare = _t(request, "endorse.compare").format(
            old=escape(earlier["version"]), new=escape(number)
        )
        return (
            f'<section class="reconfirm"><p>{note}</p>'
            f'<p><a href="/charters/{slug}/compare?{escape(comparison)}">{compare}</a></p>'
            f'<form method="post" action="/charters/{slug}/endorsements/{earlier["id"]}/reconfirm">'
            f'{csrf}<input type="hidden" name="version" value="{escape(number)}">'
            f'<button type="submit">{_t(request, "endorse.reconfirm")}</button></form></section>'
        )
    t = language_of(request)
    return (
        f'<section class="endorse"><h2>{_t(request, "endorse.member")}</h2>'
        f'<form method="post" action="/charters/{slug}/versions/{escape(number)}/endorse"'
        f' class="stacked endorse">{csrf}'
        + _field("signatory_name", translate(t, "endorse.signatory"))
        + _field("signatory_title", translate(t, "endorse.signatory_title"))
        + f'<label for="e-statement">{_t(request, "endorse.statement")}</label>'
        f'<textarea id="e-statement" name="statement" rows="3" maxlength="2000"></textarea>'
        f'<label class="check"><input type="checkbox" name="public" value="1" checked> '
        f"{_t(request, 'endorse.public')}</label>"
        f'<button type="submit">{_t(request, "endorse.send_member")}</button></form></section>'
    )


async def ask_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=20, max_part_size=16 * 1024)
    check_form_csrf(request, form.get("csrf"))
    services = services_of(request)
    address = f"address:{request.client.host if request.client else '?'}"
    slug = request.path_params["slug"]
    number = str(form.get("version", ""))[:20]
    wait = await services.request_throttle.retry_after(address)
    if wait:
        raise TooMany(
            text("too many requests from here; try again in {wait} s", wait=wait), retry_after=wait
        )
    await services.request_throttle.fail(address)
    try:
        async with charter_call(request) as c:
            await ops.request_endorsement(
                c.session,
                c.charter,
                ops.Request(
                    NewOrganisation(
                        str(form.get("name", "")),
                        str(form.get("kind", "")),
                        str(form.get("country", "")),
                        str(form.get("city", "")),
                        str(form.get("website", "")),
                    ),
                    Signatory(
                        str(form.get("signatory_name", "")),
                        str(form.get("signatory_title", "")),
                        str(form.get("statement", "")),
                        form.get("public") == "1",
                    ),
                    str(form.get("contact_email", "")),
                    {"homepage": str(form.get("homepage", ""))},
                ),
                number or None,
            )
            c.services.rooms.announce(c.charter_id, {"type": "endorsement", "action": "requested"})
    except DomainError as error:
        if error.status == 404:
            raise
        title = translate(language_of(request), "endorse.ask")
        main = (
            f'<main class="narrow"><h1>{escape(title)}</h1><p class="error" role="alert">'
            f"{escape(_message(request, error))}</p>{request_form(request, slug, number, form)}"
            "</main>"
        )
        return HTMLResponse(page(request, title, main), status_code=error.status)
    title = translate(language_of(request), "endorse.thanks_title")
    main = (
        f'<main class="narrow"><h1>{escape(title)}</h1><p role="status">'
        f'{_t(request, "endorse.thanks")}</p><p><a href="/charters/{escape(slug)}/versions/'
        f'{escape(number)}">{_t(request, "version.read")}</a></p></main>'
    )
    return HTMLResponse(page(request, title, main), status_code=202)


async def endorse_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=16 * 1024)
    check_form_csrf(request, form.get("csrf"))
    number = request.path_params["number"]
    async with charter_call(request) as c:
        require(c.member, Action.endorse, c.target)
        assert c.member is not None
        signatory = Signatory(
            str(form.get("signatory_name", "")),
            str(form.get("signatory_title", "")),
            str(form.get("statement", "")),
            form.get("public") == "1",
        )
        endorsement, added = await ops.endorse(c.session, c.member, c.charter, number, signatory)
        if added:
            await announce(c, endorsement.status, endorsement, number)
    return RedirectResponse(f"/charters/{request.path_params['slug']}/versions/{number}", 303)


async def act_form(request: Request) -> Response:
    """Verify, reject, withdraw or re-confirm one endorsement, from a page's form."""
    form = await request.form(max_files=0, max_fields=10, max_part_size=16 * 1024)
    check_form_csrf(request, form.get("csrf"))
    act = request.path_params["act"]
    raw = request.path_params["id"]
    if act not in ("verify", "reject", "withdraw", "reconfirm"):
        raise NotFound(text("no endorsement {id} in this charter", id=raw[:20]))
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        assert c.member is not None
        endorsement = await ops.get_endorsement(c.session, c.charter_id, parse_id(raw) or 0)
        if act == "verify":
            await ops.verify(c.session, c.member, c.charter, endorsement)
        elif act == "reject":
            await ops.reject(
                c.session, c.member, c.charter, endorsement, str(form.get("reason", ""))
            )
        elif act == "withdraw":
            await ops.withdraw(c.session, c.member, c.charter, endorsement)
        else:
            endorsement, _added = await ops.reconfirm(
                c.session, c.member, c.charter, endorsement, str(form.get("version", ""))
            )
        await announce(c, endorsement.status, endorsement)
        versions = f"/charters/{c.charter.slug}/versions"
        back = {
            "verify": f"/charters/{c.charter.slug}/endorsements",  # the queue
            "reject": f"/charters/{c.charter.slug}/endorsements",
            "reconfirm": f"{versions}/{quote(str(form.get('version', '')))}",  # the one confirmed
        }.get(act, versions)
    return RedirectResponse(back, 303)


async def dashboard(request: Request) -> Response:
    """The secretariat's campaign: charts, the pending queue, the CSV."""
    async with charter_call(request) as c:
        if c.member is None:
            return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
        require(c.member, Action.manage_endorsements, c.target)
        numbers = await stats(c.session, c.charter_id)
        pending = await endorsement_views(
            c.session,
            await endorsements_of(c.session, c.charter_id, everyone=True, status="pending"),
            contact=True,
        )
    t = language_of(request)
    slug = escape(c.charter.slug)
    csrf = f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
    queue = "".join(_pending_item(request, slug, csrf, p) for p in pending) or (
        f"<li>{_t(request, 'endorse.no_pending')}</li>"
    )
    kinds = {translate(t, "kind.org." + k): n for k, n in numbers["by_kind"].items()}
    charts = (
        bars(translate(t, "endorse.by_version"), numbers["by_version"])
        + bars(translate(t, "endorse.by_kind"), kinds)
        + bars(translate(t, "endorse.by_country"), numbers["by_country"])
        + cumulative(translate(t, "endorse.over_time"), numbers["over_time"])
    )
    rates = (
        ", ".join(
            f"{escape(n)}: {'–' if r is None else f'{round(r * 100)} %'}"
            for n, r in numbers["reconfirmation"].items()
        )
        or "–"
    )
    title = translate(t, "endorse.dashboard")
    main = (
        f'<main class="dashboard"><p><a href="/charters/{slug}/versions">'
        f"{_t(request, 'version.list')}</a></p><h1>{escape(title)}</h1>"
        f'<p><a href="/api/charters/{slug}/endorsements.csv" download>'
        f"{_t(request, 'report.csv')}</a></p>"
        f'<section class="queue"><h2>{_t(request, "endorse.pending")} ({numbers["pending"]})</h2>'
        f'<ul>{queue}</ul></section><section class="charts">{charts}</section>'
        f'<p class="reconfirmation">{_t(request, "endorse.reconfirmed")} {rates}</p></main>'
    )
    return HTMLResponse(page(request, title, main, caller=c.caller))


def _pending_item(request: Request, slug: str, csrf: str, p: dict[str, Any]) -> str:
    """One request in the secretariat's queue, with its verify and reject forms."""
    o = p["organisation"]
    kind = escape(translate(language_of(request), "kind.org." + o["kind"]))
    action = f"/charters/{slug}/endorsements/{p['id']}"
    statement = f"<blockquote>{escape(p['statement'])}</blockquote>" if p["statement"] else ""
    return (
        f'<li class="pending" data-endorsement="{p["id"]}"><strong>{escape(o["name"])}</strong>'
        f" ({kind}, {escape(o['country'])}) · {escape(p['signatory_name'])}, "
        f"{escape(p['signatory_title'])} · {escape(p['contact_email'])} · "
        f"{_t(request, 'version.word')} {escape(p['version'])}{statement}"
        f'<form method="post" action="{action}/verify" class="inline">{csrf}'
        f'<button type="submit">{_t(request, "endorse.verify")}</button></form>'
        f'<form method="post" action="{action}/reject" class="inline">{csrf}'
        f'<label for="r-{p["id"]}">{_t(request, "amend.reason")}</label>'
        f'<input id="r-{p["id"]}" name="reason" required>'
        f'<button type="submit">{_t(request, "amend.reject")}</button></form></li>'
    )


async def version_endorsers(c: CharterCall, number: str) -> list[dict[str, Any]]:
    published = await get_version(c.session, c.charter_id, number)
    return await endorsers(c.session, published.version)


async def is_latest(c: CharterCall, number: str) -> bool:
    latest = await latest_version(c.session, c.charter_id)
    return latest is not None and latest.number == number


routes = [
    Route("/charters/{slug}/endorsement-requests", ask_form, methods=["POST"]),
    Route("/charters/{slug}/versions/{number}/endorse", endorse_form, methods=["POST"]),
    Route("/charters/{slug}/endorsements/{id}/{act:str}", act_form, methods=["POST"]),
    Route("/charters/{slug}/endorsements", dashboard, methods=["GET"]),
    Route("/charters/{slug}/versions/{number}/endorsers", endorsers_page, methods=["GET"]),
]
