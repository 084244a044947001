"""Amendments: list, propose, change, withdraw, support, and the secretariat's decision."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from charter_drafts.deliberation import amendments
from charter_drafts.deliberation.amendments import Proposal
from charter_drafts.deliberation.listing import amendment_views
from charter_drafts.deliberation.models import Amendment
from charter_drafts.errors import Conflict, Invalid, NotFound
from charter_drafts.permissions import Action, require
from charter_drafts.publishing.models import RevisionSource
from charter_drafts.publishing.revisions import Contributor
from charter_drafts.texts import text
from server.web.inputs import Input, parse_id, read_json
from server.web.reads import current_document
from server.web.routes.context import CharterCall, charter_call, created
from server.web.routes.revisions import record_change

DECISIONS = ("accept", "reject")


class AmendmentCreate(Input):
    clause: str
    kind: str
    title: str | None = None
    body: str | None = None
    rationale: str


class AmendmentChange(Input):
    kind: str | None = None
    title: str | None = None
    body: str | None = None
    rationale: str | None = None


class Decision(Input):
    decision: str
    reason: str = ""


def amendment_id(request: Request) -> int:
    raw = request.path_params["id"]
    found = parse_id(raw)
    if found is None:
        raise NotFound(text("no amendment {id} in this charter", id=raw[:20]))
    return found


async def _view(c: CharterCall, amendment: Amendment) -> dict[str, Any]:
    doc = await current_document(c.services, c.session, c.charter)
    return (await amendment_views(c.session, [amendment], doc))[0]


def _announce(c: CharterCall, action: str, amendment: Amendment) -> None:
    event = {
        "type": "amendment",
        "action": action,
        "amendment": amendment.id,
        "clause": amendment.clause_key,
        "status": amendment.status,
    }
    c.services.rooms.announce(c.charter_id, event)


async def do_propose(c: CharterCall, clause: str, proposal: Proposal) -> Amendment:
    """Propose (the caller may comment); announced to the charter's open pages."""
    require(c.member, Action.comment, c.target)
    assert c.member is not None
    async with c.services.rooms.live(c.charter.slug) as room:
        amendment = await amendments.propose(c.session, c.member, c.charter, room, clause, proposal)
    _announce(c, "proposed", amendment)
    return amendment


async def do_support(c: CharterCall, amendment: Amendment, *, add: bool) -> bool:
    require(c.member, Action.comment, c.target)
    assert c.member is not None
    if add:
        changed = await amendments.support(c.session, c.member, c.charter, amendment)
    else:
        changed = await amendments.withdraw_support(c.session, c.member, c.charter, amendment)
    if changed:
        _announce(c, "supported" if add else "unsupported", amendment)
    return changed


async def do_withdraw(c: CharterCall, amendment: Amendment) -> None:
    require(c.member, Action.comment, c.target)
    assert c.member is not None
    await amendments.withdraw(c.session, c.member, c.charter, amendment)
    _announce(c, "withdrawn", amendment)


async def do_decide(c: CharterCall, amendment: Amendment, decision: str, reason: str) -> None:
    """Accept (merge) or reject; raises ``Conflict`` with the clashing passages."""
    require(c.member, Action.decide_amendment, c.target)
    assert c.member is not None
    if decision not in DECISIONS:
        raise Invalid("the decision is accept or reject")
    if decision == "reject":
        await amendments.reject(c.session, c.member, c.charter, amendment, reason)
    else:
        rooms = c.services.rooms
        async with rooms.live(c.charter.slug) as room:
            await rooms.revisions.settle(room, [amendment.clause_key])  # what was typed before
            try:
                await amendments.accept(c.session, c.member, c.charter, room, amendment, reason)
            except Conflict:
                if amendment.conflicted:
                    _announce(c, "conflicted", amendment)
                raise
            keys = [amendment.clause_key, amendment.merged_clause_key or ""]
            author = Contributor(amendment.author_id, amendment.organisation_id)
            source = RevisionSource.amendment
            await record_change(c, room, keys, source, str(amendment.id), [author])
    _announce(c, amendment.status, amendment)


async def list_amendments(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        found = await amendments.amendments_of(
            c.session,
            c.charter_id,
            clause=request.query_params.get("clause"),
            status=request.query_params.get("status"),
        )
        doc = await current_document(c.services, c.session, c.charter)
        views = await amendment_views(c.session, found, doc)
    return JSONResponse({"amendments": views})


async def one_amendment(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        view = await _view(c, amendment)
    return JSONResponse(view)


async def propose(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        data = await read_json(request, AmendmentCreate)
        proposal = Proposal(data.kind, data.title, data.body, data.rationale)
        amendment = await do_propose(c, data.clause, proposal)
        view = await _view(c, amendment)
    return created(view)


async def change(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        data = await read_json(request, AmendmentChange)
        given = data.model_fields_set
        proposal = Proposal(
            data.kind if data.kind is not None else amendment.kind,
            data.title if "title" in given else amendment.title,
            data.body if "body" in given else amendment.body,
            data.rationale if data.rationale is not None else amendment.rationale,
        )
        async with c.services.rooms.live(c.charter.slug) as room:
            await amendments.revise(c.session, c.member, c.charter, room, amendment, proposal)
        view = await _view(c, amendment)
        _announce(c, "edited", amendment)
    return JSONResponse(view)


async def withdraw(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        await do_withdraw(c, amendment)
        view = await _view(c, amendment)
    return JSONResponse(view)


async def add_support(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        added = await do_support(c, amendment, add=True)
        view = await _view(c, amendment)
    return JSONResponse(view, status_code=201 if added else 200)


async def remove_support(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        await do_support(c, amendment, add=False)
        view = await _view(c, amendment)
    return JSONResponse(view)


async def decide(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.decide_amendment, c.target)
        amendment = await amendments.get_amendment(c.session, c.charter_id, amendment_id(request))
        data = await read_json(request, Decision)
        await do_decide(c, amendment, data.decision, data.reason)
        view = await _view(c, amendment)
    return JSONResponse(view)


routes = [
    Route("/api/charters/{slug}/amendments", list_amendments, methods=["GET"]),
    Route("/api/charters/{slug}/amendments", propose, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{id}", one_amendment, methods=["GET"]),
    Route("/api/charters/{slug}/amendments/{id}", change, methods=["PATCH"]),
    Route("/api/charters/{slug}/amendments/{id}/withdraw", withdraw, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{id}/supports", add_support, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{id}/supports", remove_support, methods=["DELETE"]),
    Route("/api/charters/{slug}/amendments/{id}/decision", decide, methods=["POST"]),
]
