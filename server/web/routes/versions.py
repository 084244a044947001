"""Published versions: publish (secretariat), list and read them (public), compare two of them
(or one with the live draft, for members), and their exports (public)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.charters import clause_rows
from charter_drafts.errors import NotFound
from charter_drafts.models import User, utcnow
from charter_drafts.permissions import Action, can, require
from charter_drafts.publishing import exports
from charter_drafts.publishing.compare import compare
from charter_drafts.publishing.models import RevisionSource, Version, VersionClause
from charter_drafts.publishing.provenance import Moment, add_provenance
from charter_drafts.publishing.revisions import record_document
from charter_drafts.publishing.versions import (
    Published,
    get_version,
    live_as_published,
    publish,
    versions_of,
)
from charter_drafts.texts import text
from charter_drafts.usertext import render_markdown
from server.web.inputs import Input, read_json
from server.web.reads import current_document
from server.web.routes.context import CharterCall, charter_call, created

LIVE = "live"
FORMATS = {
    "md": ("text/markdown; charset=utf-8", exports.to_markdown),
    "json": ("application/json", exports.to_json),
    "html": ("text/html; charset=utf-8", exports.to_html),
    "akn.xml": ("application/akn+xml", exports.to_akoma_ntoso),
    "pdf": ("application/pdf", exports.to_pdf),
}


class VersionCreate(Input):
    number: str
    title: str
    notes: str = ""


async def publisher_name(c: CharterCall, version: Version) -> str:
    user = await c.session.get(User, version.published_by)
    return user.display_name if user else ""


def version_json(version: Version, publisher: str) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "notes": version.notes,
        "notes_html": render_markdown(version.notes),
        "published_at": version.published_at.isoformat(),
        "published_by": publisher,
        "merged_amendments": json.loads(version.merged_amendments),
    }


def clause_json(clause: VersionClause) -> dict[str, Any]:
    return {
        "id": clause.key,
        "number": clause.number,
        "kind": clause.kind,
        "title": clause.title,
        "body": clause.body,
    }


async def published_json(c: CharterCall, published: Published) -> dict[str, Any]:
    return {
        **version_json(published.version, await publisher_name(c, published.version)),
        "clauses": [clause_json(clause) for clause in published.clauses],
    }


async def do_publish(c: CharterCall, number: str, title: str, notes: str) -> Published:
    """Publish the live text (secretariat); every clause that differs from its latest revision
    is recorded as a ``publish`` revision, with who typed it since; announced."""
    require(c.member, Action.publish, c.target)
    assert c.member is not None
    rooms = c.services.rooms
    async with rooms.live(c.charter.slug) as room:
        published = await publish(
            c.session, c.member, c.charter, room.doc, number=number, title=title, notes=notes
        )
        people = rooms.revisions.people(c.charter_id)
        source, ref = RevisionSource.publish, published.version.number
        await record_document(c.session, c.charter_id, room.doc, source, ref, people)
    rooms.announce(c.charter_id, {"type": "version", "number": published.version.number})
    return published


async def create(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.publish, c.target)
        assert c.member is not None
        data = await read_json(request, VersionCreate)
        published = await do_publish(c, data.number, data.title, data.notes)
        body = await published_json(c, published)
    return created(body)


async def list_versions(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        found = await versions_of(c.session, c.charter_id)
        versions = [version_json(v, await publisher_name(c, v)) for v in found]
    return JSONResponse({"versions": versions})


async def one_version(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        published = await get_version(c.session, c.charter_id, request.path_params["number"])
        body = await published_json(c, published)
    return JSONResponse(body)


async def side(c: CharterCall, number: str) -> list[VersionClause]:
    """A version's clauses, or the live draft's (``live``: members only)."""
    if number == LIVE:
        require(c.member, Action.read_draft, c.target)
        doc = await current_document(c.services, c.session, c.charter)
        return live_as_published(doc, await clause_rows(c.session, c.charter_id))
    return (await get_version(c.session, c.charter_id, number)).clauses


async def moment(c: CharterCall, number: str) -> Moment:
    """When a side of a comparison stands: a version's publication, or now (``live``)."""
    if number == LIVE:
        return Moment(utcnow())
    version = (await get_version(c.session, c.charter_id, number)).version
    return Moment(version.published_at, version.number)


async def compared(c: CharterCall, old: str, new: str) -> tuple[list[dict[str, Any]], Any]:
    """The comparison's clauses with their provenance, and its changelog. Revisions and
    comments are the draft's: only members see them."""
    entries = compare(await side(c, old), await side(c, new))
    changelog = await add_provenance(
        c.session, c.charter.slug, c.charter_id, entries, await moment(c, old), await moment(c, new)
    )
    if not can(c.member, Action.read_draft, c.target):
        for entry in entries:
            for field in ("revisions", "comments", "history"):
                del entry[field]
    return entries, changelog


async def comparison(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        old, new = request.query_params.get("from"), request.query_params.get("to")
        if not old or not new:
            raise NotFound(text("no version {number} of this charter", number=""))
        entries, changelog = await compared(c, old, new)
    return JSONResponse({"from": old, "to": new, "clauses": entries, "changelog": changelog})


async def export(request: Request) -> Response:
    kind = request.path_params["format"]
    if kind not in FORMATS:
        raise NotFound(text("no version {number} of this charter", number=kind[:20]))
    media_type, render = FORMATS[kind]
    async with charter_call(request) as c:
        published = await get_version(c.session, c.charter_id, request.path_params["number"])
        edition = exports.Edition(
            c.charter.slug,
            published.version,
            published.clauses,
            await publisher_name(c, published.version),
        )
    content = render(edition)
    name = f"{c.charter.slug}-{published.version.number}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "html":  # a document of its own: its print style is inline
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(content, media_type=media_type, headers=headers)


routes = [
    Route("/api/charters/{slug}/versions", create, methods=["POST"]),
    Route("/api/charters/{slug}/versions", list_versions, methods=["GET"]),
    Route("/api/charters/{slug}/versions/{number}", one_version, methods=["GET"]),
    Route("/api/charters/{slug}/compare", comparison, methods=["GET"]),
    Route("/charters/{slug}/versions/{number}/export.{format}", export, methods=["GET"]),
]
