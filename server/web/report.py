"""The consultation report, for the secretariat: as CSV (``/api/charters/{slug}/report.csv``)
and as a readable, printable page (``/charters/{slug}/report``); both take ``?clause=``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html import escape
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.deliberation.report import Author, Item, report_items
from charter_drafts.permissions import Action, require
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page
from server.web.reads import read_charter
from server.web.review import diff_html
from server.web.routes.context import charter_call

COLUMNS = (
    "type",
    "id",
    "clause",
    "author",
    "organisation",
    "organisation_kind",
    "country",
    "created_at",
    "status",
    "kind",
    "text",
    "quote",
    "reply_to",
    "rationale",
    "agree",
    "disagree",
    "reports",
    "supports",
    "supporters",
    "decided_by",
    "decided_at",
    "reason",
)
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def _who(author: Author) -> str:
    return f"{author.name} ({author.organisation})" if author.organisation else author.name


def _row(item: Item) -> list[str]:
    values = (
        item.type,
        item.id,
        item.clause,
        item.author.name,
        item.author.organisation,
        item.author.kind,
        item.author.country,
        item.created_at.isoformat(),
        item.status,
        item.kind,
        item.text,
        item.quote,
        item.reply_to or "",
        item.rationale,
        item.agree,
        item.disagree,
        item.reports,
        len(item.supporters),
        "; ".join(_who(s) for s in item.supporters),
        item.decided_by,
        item.decided_at.isoformat() if item.decided_at else "",
        item.reason,
    )
    return [_cell(v) for v in values]


async def report_csv(request: Request) -> Response:
    async with charter_call(request) as c:
        require(c.member, Action.read_report, c.target)
        items = await report_items(c.session, c.charter_id, request.query_params.get("clause"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_row(item) for item in items)
    name = f"{c.charter.slug}-consultation-report.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def report_page(request: Request) -> Response:
    language = language_of(request)
    async with charter_call(request) as c:
        if c.member is None:
            return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
        require(c.member, Action.read_report, c.target)
        clause = request.query_params.get("clause")
        items = await report_items(c.session, c.charter_id, clause)
    text = await read_charter(c.services, c.charter.slug)

    def t(key: str) -> str:
        return escape(translate(language, key))

    sections = []
    for cl in text.clauses:
        if clause is not None and cl.key != clause:
            continue
        own = [item for item in items if item.clause == cl.key]
        label = cl.title if cl.number is None else f"{cl.number}. {cl.title}"
        entries = "".join(_entry(item, t) for item in own) or f"<p>{t('report.nothing')}</p>"
        sections.append(
            f'<section class="report-clause" id="clause-{escape(cl.key)}">'
            f"<h2>{escape(label)}</h2>{entries}</section>"
        )
    query = f"?clause={quote(clause)}" if clause else ""
    title = translate(language, "report.title")
    main = (
        f'<main class="report"><p><a href="/charters/{escape(c.charter.slug)}">'
        f"{escape(c.charter.title)}</a></p><h1>{escape(title)}</h1>"
        f'<p class="report-meta">{len([i for i in items if i.type != "amendment"])} '
        f"{t('report.comments')} · {len([i for i in items if i.type == 'amendment'])} "
        f'{t("report.amendments")} · <a href="/api/charters/{escape(c.charter.slug)}/report.csv'
        f'{escape(query)}" download>{t("report.csv")}</a></p>{"".join(sections)}</main>'
    )
    return HTMLResponse(page(request, title, main, caller=c.caller))


def _entry(item: Item, tr: Callable[[str], str]) -> str:
    """One comment, reply or amendment (``tr``: the page's translate-and-escape)."""
    who = escape(_who(item.author))
    if item.author.kind:
        who += f' <span class="org-kind">{tr("kind.org." + item.author.kind)}'
        who += f" · {escape(item.author.country)}</span>"
    head = (
        f'<p class="entry-head"><strong>{tr("report." + item.type)} {item.id}</strong> · {who}'
        f' · <time datetime="{item.created_at.isoformat()}">{item.created_at:%Y-%m-%d %H:%M}'
        f'</time> · <span class="status">{tr("report.status." + item.status)}</span></p>'
    )
    if item.type == "amendment":
        body = f'<p class="rationale">{escape(item.rationale)}</p>' + (
            diff_html(item.base, item.text)
            if item.kind == "replace"
            else f"<blockquote>{escape(item.text)}</blockquote>"
        )
        if item.supporters:
            body += f"<p>{tr('amend.supported_by')} {escape('; '.join(_who(s) for s in item.supporters))}</p>"  # noqa: E501
        if item.decided_by:
            body += f'<p class="decision">{escape(item.decided_by)}: {escape(item.reason)}</p>'
    else:
        quote_html = f"<blockquote>{escape(item.quote)}</blockquote>" if item.quote else ""
        reply = f' <span class="reply-to">↳ {item.reply_to}</span>' if item.reply_to else ""
        body = (
            f"{quote_html}<p>{escape(item.text)}{reply}</p>"
            f'<p class="reactions">{tr("report.agree")} {item.agree} · '
            f"{tr('report.disagree')} {item.disagree} · {tr('report.reports')} {item.reports}</p>"
        )
        if item.status == "hidden":
            body += f'<p class="decision">{tr("report.hidden")} {escape(item.reason)}</p>'
    return f'<article class="report-entry">{head}{body}</article>'


routes = [
    Route("/api/charters/{slug}/report.csv", report_csv, methods=["GET"]),
    Route("/charters/{slug}/report", report_page, methods=["GET"]),
]
