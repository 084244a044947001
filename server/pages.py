"""HTML pages: the list of charters and a charter's live drafting page.

The page carries the text as the server has it (readable without JavaScript); the browser client
in static/ then replaces it with the live editor.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from charter_drafts.charters import list_charters
from server.i18n import language_of, translate
from server.reads import read_charter
from server.services import Services


def page(language: str, title: str, main: str, *, script: bool = False) -> str:
    bundle = '<script type="module" src="/static/dist/editor.js"></script>' if script else ""
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · charter-drafts</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        '<header class="site"><a href="/">charter-drafts</a></header>'
        f"{main}{bundle}</body></html>"
    )


async def home(request: Request) -> HTMLResponse:
    services: Services = request.app.state.services
    language = language_of(request)
    async with services.sessions() as session:
        charters = await list_charters(session)
    items = (
        "".join(
            f'<li><a href="/charters/{escape(c.slug)}">{escape(c.title)}</a>'
            f' <span class="phase">{escape(translate(language, "phase." + c.phase))}</span>'
            f"<p>{escape(c.summary)}</p></li>"
            for c in charters
        )
        or f"<li>{escape(translate(language, 'no_charters'))}</li>"
    )
    title = translate(language, "charters")
    main = f'<main><h1>{escape(title)}</h1><ul class="charters">{items}</ul></main>'
    return HTMLResponse(page(language, title, main))


async def charter(request: Request) -> HTMLResponse:
    language = language_of(request)
    text = await read_charter(request.app.state.services, request.path_params["slug"])
    slug = escape(text.charter.slug)
    clauses = "".join(
        f'<li class="clause" data-clause-id="{escape(c.key)}">'
        f'<span class="clause-number">'
        f"{escape(translate(language, 'preamble') if c.number is None else str(c.number))}"
        f"</span><h2>{escape(c.title)}</h2>"
        + "".join(f"<p>{escape(p)}</p>" for p in c.body.split("\n\n"))
        + "</li>"
        for c in text.clauses
    )
    main = (
        f'<main id="charter" data-slug="{slug}" data-ws-url="/ws/charters"'
        f' data-api-url="/api/charters/{slug}">'
        f'<h1 class="charter-title">{escape(text.charter.title)}</h1>'
        f'<p class="charter-summary">{escape(text.charter.summary)}</p>'
        f'<p id="status" role="status" aria-live="polite">'
        f"{escape(translate(language, 'loading'))}</p>"
        f'<ol id="clauses">{clauses}</ol></main>'
    )
    return HTMLResponse(page(language, text.charter.title, main, script=True))


routes = [
    Route("/", home, methods=["GET"]),
    Route("/charters/{slug}", charter, methods=["GET"]),
]
