"""Clause revisions: a clause's history (members), word diffs between two revisions or one and
the live text, and restoring one (secretariat); what the other routes record as revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from charter_drafts.errors import NotFound
from charter_drafts.models import Organisation, User
from charter_drafts.permissions import Action, require
from charter_drafts.publishing.models import ClauseRevision, RevisionSource
from charter_drafts.publishing.revisions import (
    Contributor,
    contributors_of,
    diff,
    get_revision,
    latest_revision,
    live_text,
    parse_revision_id,
    record,
    restore,
    revisions_of,
)
from charter_drafts.structure import get_clause
from server.web.reads import current_document
from server.web.routes.comments import organisation_json
from server.web.routes.context import CharterCall, charter_call

LIVE = "live"


async def revisions_json(
    c: CharterCall, revisions: Sequence[ClauseRevision]
) -> list[dict[str, Any]]:
    ids = [r.id for r in revisions if r.id is not None]
    contributions = await contributors_of(c.session, ids)
    people: dict[int, dict[str, Any]] = {}
    result = []
    for revision in revisions:
        assert revision.id is not None
        contributors = []
        for row in contributions[revision.id]:
            if row.user_id not in people:
                user = await c.session.get(User, row.user_id)
                organisation = (
                    await c.session.get(Organisation, row.organisation_id)
                    if row.organisation_id is not None
                    else None
                )
                people[row.user_id] = {
                    "id": row.user_id,
                    "display_name": user.display_name if user else "",
                    "organisation": organisation_json(organisation),
                }
            contributors.append(people[row.user_id])
        result.append(
            {
                "id": revision.id,
                "title": revision.title,
                "body": revision.body,
                "source": revision.source,
                "source_ref": revision.source_ref,
                "contributors": contributors,
                "created_at": revision.created_at.isoformat(),
                "previous_id": revision.previous_id,
            }
        )
    return result


async def clause_revisions(c: CharterCall, key: str) -> Sequence[ClauseRevision]:
    """Members only; raises ``NotFound`` for a clause that has neither a row nor a history."""
    require(c.member, Action.read_draft, c.target)
    found = await revisions_of(c.session, c.charter_id, key)
    if not found:
        await get_clause(c.session, c.charter_id, key)
    return found


async def list_revisions(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        found = await clause_revisions(c, request.path_params["key"])
        body = await revisions_json(c, found)
    return JSONResponse({"revisions": body})


async def side(c: CharterCall, key: str, raw: str) -> tuple[str, str]:
    """A revision's (title, body), or the live clause's (``live``)."""
    if raw == LIVE:
        return live_text(await current_document(c.services, c.session, c.charter), key)
    revision = await get_revision(c.session, c.charter_id, key, parse_revision_id(raw))
    return revision.title, revision.body


async def revision_diff(c: CharterCall, key: str, old: str, new: str) -> dict[str, Any]:
    require(c.member, Action.read_draft, c.target)
    return diff(await side(c, key, old), await side(c, key, new))


async def diff_revisions(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        old = request.query_params.get("from", "")
        new = request.query_params.get("to", LIVE)
        body = await revision_diff(c, request.path_params["key"], old, new)
    return JSONResponse(body)


async def do_restore(c: CharterCall, key: str, raw: str) -> ClauseRevision | None:
    """Restore the revision into the live clause, announced on the event stream."""
    require(c.member, Action.restore_revision, c.target)
    assert c.member is not None
    revision = await get_revision(c.session, c.charter_id, key, parse_revision_id(raw))
    rooms = c.services.rooms
    async with rooms.live(c.charter.slug) as room:
        # What the restore undoes: the changes from the revision to the latest one. What was
        # typed since is recorded first, as its own revision, and stays.
        latest = await latest_revision(c.session, c.charter_id, key)
        await rooms.revisions.settle(room, [key])
        restored = await restore(c.session, c.member, c.charter, room, revision, latest)
    event = {
        "type": "revision",
        "action": "restored",
        "clause": key,
        "restored": revision.id,
        "revision": restored.id if restored else None,
    }
    rooms.announce(c.charter_id, event)
    return restored


async def restore_revision(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        key = request.path_params["key"]
        restored = await do_restore(c, key, request.path_params["revision"])
        latest = list(await revisions_of(c.session, c.charter_id, key))[:1]
        body = await revisions_json(c, [restored] if restored else latest)
    return JSONResponse({"revision": body[0] if body else None})


async def record_change(
    c: CharterCall,
    room: Any,
    keys: Iterable[str],
    source: RevisionSource,
    ref: str = "",
    contributors: Iterable[Contributor] = (),
) -> None:
    """After a server-side change to the live text: record each clause that now differs."""
    people = list(contributors)
    for key in keys:
        try:
            title, body = live_text(room.doc, key)
        except NotFound:  # the clause is gone (deleted)
            continue
        await record(c.session, c.charter_id, key, title, body, source, ref, people)


routes = [
    Route("/api/charters/{slug}/clauses/{key}/revisions", list_revisions, methods=["GET"]),
    Route("/api/charters/{slug}/clauses/{key}/revisions/diff", diff_revisions, methods=["GET"]),
    Route(
        "/api/charters/{slug}/clauses/{key}/revisions/{revision}/restore",
        restore_revision,
        methods=["POST"],
    ),
]
