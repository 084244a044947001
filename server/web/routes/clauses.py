"""Clause structure: add, remove, move, change kind, freeze. Applied to the live document."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.models import Clause, ClauseKind, Phase
from charter_drafts.permissions import Action, ClauseTarget, require
from charter_drafts.publishing.models import RevisionSource
from charter_drafts.publishing.revisions import Contributor
from charter_drafts.structure import (
    create_clause,
    delete_clause,
    frozen_keys,
    get_clause,
    parse_kind,
    update_clause,
)
from server.web.inputs import Input, read_json
from server.web.routes.context import charter_call, created, no_content
from server.web.routes.revisions import record_change


class ClauseCreate(Input):
    title: str = ""
    body: str = ""
    kind: str = ClauseKind.article.value
    position: int | None = None  # index in the order; default: at the end


class ClauseUpdate(Input):
    position: int | None = None
    kind: str | None = None
    frozen: bool | None = None


def clause_json(clause: Clause) -> dict[str, Any]:
    return {"id": clause.key, "kind": clause.kind, "frozen": clause.frozen}


async def add(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.change_structure, c.target)
        assert c.member is not None
        data = await read_json(request, ClauseCreate)
        async with c.services.rooms.live(c.charter.slug) as room:
            clause = await create_clause(
                c.session,
                c.member,
                c.charter,
                room,
                title=data.title,
                body=data.body,
                kind=parse_kind(data.kind),
                position=data.position,
            )
            people = [Contributor(c.member.user_id, c.member.organisation_id)]
            await record_change(c, room, [clause.key], RevisionSource.structure, "", people)
    return created({**clause_json(clause), "title": clause.title, "body": clause.body})


async def change(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        key = request.path_params["key"]
        clause = await get_clause(c.session, c.charter_id, key)
        data = await read_json(request, ClauseUpdate)
        if data.position is not None or data.kind is not None:
            require(c.member, Action.change_structure, c.target)
        if data.frozen is not None:
            target = ClauseTarget(Phase(c.charter.phase), clause.frozen)
            require(c.member, Action.freeze_clause, target)
        assert c.member is not None
        # Only a move changes the live document: a kind or freeze change does not load the room.
        live = c.services.rooms.live(c.charter.slug) if data.position is not None else None
        async with live or contextlib.nullcontext() as room:
            if room is not None:  # what was typed before the move, recorded as its own
                await c.services.rooms.revisions.settle(room, [key], RevisionSource.structure)
            clause = await update_clause(
                c.session,
                c.member,
                c.charter,
                room,
                key,
                position=data.position,
                kind=parse_kind(data.kind) if data.kind is not None else None,
                frozen=data.frozen,
            )
        # Here and in every other process holding the charter.
        c.services.rooms.charter_changed(
            c.charter_id, Phase(c.charter.phase), await frozen_keys(c.session, c.charter_id)
        )
    return JSONResponse(clause_json(clause))


async def remove(request: Request) -> Response:
    async with charter_call(request) as c:
        require(c.member, Action.change_structure, c.target)
        assert c.member is not None
        key = request.path_params["key"]
        rooms = c.services.rooms
        async with rooms.live(c.charter.slug) as room:
            await rooms.revisions.settle(room, [key], RevisionSource.structure)
            await delete_clause(c.session, c.member, c.charter, room, key)
    return no_content()


routes = [
    Route("/api/charters/{slug}/clauses", add, methods=["POST"]),
    Route("/api/charters/{slug}/clauses/{key}", change, methods=["PATCH"]),
    Route("/api/charters/{slug}/clauses/{key}", remove, methods=["DELETE"]),
]
