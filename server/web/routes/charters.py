"""Charters: list, read the live text, create (site admins), change phase (secretariat)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from charter_drafts.charters import list_charters, start_charter
from charter_drafts.deliberation.comments import open_counts
from charter_drafts.deliberation.listing import open_amendment_counts
from charter_drafts.models import Charter
from charter_drafts.permissions import Action, Member, require
from charter_drafts.structure import change_phase, frozen_keys, parse_phase
from server.web.events import StreamGate, public_view, stream
from server.web.inputs import Input, read_json
from server.web.reads import read_charter
from server.web.routes.context import call, charter_call, created


class CharterCreate(Input):
    slug: str
    title: str
    summary: str = ""
    secretariat_email: str


class CharterUpdate(Input):
    phase: str


def charter_json(charter: Charter) -> dict[str, Any]:
    return {
        "slug": charter.slug,
        "title": charter.title,
        "summary": charter.summary,
        "phase": charter.phase,
    }


async def charters(request: Request) -> JSONResponse:
    """Every charter's title, summary and phase are public; their drafts are not."""
    async with call(request) as c:
        found = await list_charters(c.session)
    return JSONResponse({"charters": [charter_json(charter) for charter in found]})


async def charter(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        amendments = await open_amendment_counts(c.session, c.charter_id)
        comments = await open_counts(c.session, c.charter_id)
    text = await read_charter(c.services, c.charter.slug)
    return JSONResponse(
        {
            **charter_json(text.charter),
            "clauses": [
                {
                    "id": clause.key,
                    "number": clause.number,
                    "kind": clause.kind,
                    "title": clause.title,
                    "body": clause.body,
                    "frozen": clause.frozen,
                    "amendments": amendments.get(clause.key, 0),
                    "comments": comments.get(clause.key, 0),
                }
                for clause in text.clauses
            ],
        }
    )


async def create(request: Request) -> JSONResponse:
    async with call(request) as c:
        member = None
        if c.caller is not None:
            assert c.caller.user.id is not None
            member = Member(c.caller.user.id, None, site_admin=c.caller.user.site_admin)
        require(member, Action.create_charter)
        data = await read_json(request, CharterCreate)
        new = await start_charter(
            c.session,
            data.slug,
            data.title,
            data.summary,
            data.secretariat_email,
            actor_id=c.user_id,
        )
        await c.session.commit()
    return created(charter_json(new))


async def update(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.change_phase, c.target)
        assert c.member is not None
        data = await read_json(request, CharterUpdate)
        await change_phase(c.session, c.member, c.charter, parse_phase(data.phase))
        c.services.rooms.charter_changed(
            c.charter_id, parse_phase(data.phase), await frozen_keys(c.session, c.charter_id)
        )
    return JSONResponse(charter_json(c.charter))


async def events(request: Request) -> StreamingResponse:
    """Live domain events (role, phase and frozen-clause changes) as Server-Sent Events."""
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        user_id = c.user_id
    hub = c.services.rooms.events

    async def body() -> AsyncIterator[str]:
        with hub.subscription(c.charter_id, user_id) as queue:
            async for chunk in stream(queue, user_id):
                yield chunk

    return StreamingResponse(body(), media_type="text/event-stream", headers=STREAM_HEADERS)


STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class GatedStream(StreamingResponse):
    """A stream that gives its place at the gate back when it ends, however it ends (even if
    the client left before the first byte)."""

    def __init__(self, body: AsyncIterator[str], gate: StreamGate) -> None:
        super().__init__(body, media_type="text/event-stream", headers=STREAM_HEADERS)
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.gate.leave()


async def public_events(request: Request) -> StreamingResponse:
    """For anyone, signed in or not: a version's public endorsers changed, a version was
    published (``server.web.events.public_view``); at most ``PUBLIC_STREAMS_MAX`` per process."""
    async with charter_call(request) as c:
        charter_id = c.charter_id
    hub = c.services.rooms.events
    gate: StreamGate = request.app.state.public_streams
    gate.enter()

    async def body() -> AsyncIterator[str]:
        with hub.subscription(charter_id) as queue:
            async for chunk in stream(queue, None, public_view):
                yield chunk

    return GatedStream(body(), gate)


routes = [
    Route("/api/charters", charters, methods=["GET"]),
    Route("/api/charters", create, methods=["POST"]),
    Route("/api/charters/{slug}", charter, methods=["GET"]),
    Route("/api/charters/{slug}", update, methods=["PATCH"]),
    Route("/api/charters/{slug}/events", events, methods=["GET"]),
    Route("/api/charters/{slug}/public-events", public_events, methods=["GET"]),
]
