"""Endorsements: members endorse a version for their organisation; anyone asks to endorse
(pending until verified); the secretariat verifies, rejects and follows the counts."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.endorsements import endorsements as ops
from charter_drafts.endorsements.endorsements import NewOrganisation, Signatory
from charter_drafts.endorsements.models import Endorsement, EndorsementStatus
from charter_drafts.endorsements.tracking import (
    endorsement_views,
    endorsements_of,
    endorsers,
    stats,
)
from charter_drafts.errors import Invalid, NotFound, TooMany
from charter_drafts.permissions import Action, can, require
from charter_drafts.publishing.versions import get_version
from charter_drafts.texts import text
from server.web.inputs import Input, parse_id, read_json
from server.web.routes.context import CharterCall, charter_call, services_of


class EndorsementCreate(Input):
    organisation_id: int | None = None
    signatory_name: str
    signatory_title: str
    statement: str = ""
    public: bool = True
    clauses: list[str] = []


class OrganisationInput(Input):
    name: str
    kind: str
    country: str
    city: str = ""
    website: str = ""


class EndorsementRequest(Input):
    organisation: OrganisationInput
    signatory_name: str
    signatory_title: str
    contact_email: str
    statement: str = ""
    public: bool = True
    version: str | None = None
    clauses: list[str] = []
    homepage: str = ""  # left empty by people: the form hides it; robots fill it in


class Reason(Input):
    reason: str = ""


class Reconfirmation(Input):
    version: str


def _id(request: Request) -> int:
    raw = request.path_params["id"]
    found = parse_id(raw)
    if found is None:
        raise NotFound(text("no endorsement {id} in this charter", id=raw[:20]))
    return found


async def _one(c: CharterCall, endorsement: Endorsement) -> dict[str, Any]:
    everyone = can(c.member, Action.manage_endorsements, c.target)
    return (await endorsement_views(c.session, [endorsement], contact=everyone))[0]


async def announce(
    c: CharterCall, action: str, endorsement: Endorsement, version: str | None = None
) -> None:
    """Tell the charter's open pages that an endorsement changed (``action`` is its new status);
    visitors hear of it only when the public list changes (``server.web.events.public_view``).
    The API's routes and the pages' forms both announce through here."""
    if version is None:
        version = (await endorsement_views(c.session, [endorsement]))[0]["version"]
    event = {
        "type": "endorsement",
        "action": action,
        "endorsement": endorsement.id,
        "version": version,
        "public": endorsement.public,
    }
    c.services.rooms.announce(c.charter_id, event)


async def endorse(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.endorse, c.target)
        assert c.member is not None
        data = await read_json(request, EndorsementCreate)
        signatory = Signatory(
            data.signatory_name,
            data.signatory_title,
            data.statement,
            data.public,
            tuple(data.clauses),
        )
        number = request.path_params["number"]
        endorsement, added = await ops.endorse(
            c.session, c.member, c.charter, number, signatory, data.organisation_id
        )
        view = await _one(c, endorsement)
        if added:
            await announce(c, "verified", endorsement, view["version"])
    return JSONResponse(view, status_code=201 if added else 200)


async def ask(request: Request) -> JSONResponse:
    """A public request: throttled per address, pending until the secretariat verifies it."""
    services = services_of(request)
    address = f"address:{request.client.host if request.client else '?'}"
    wait = await services.request_throttle.retry_after(address)
    if wait:
        refusal = text("too many requests from here; try again in {wait} s", wait=wait)
        raise TooMany(refusal, retry_after=wait)
    await services.request_throttle.fail(address)  # every request counts, well-formed or not
    async with charter_call(request) as c:
        data = await read_json(request, EndorsementRequest)
        o = data.organisation
        endorsement = await ops.request_endorsement(
            c.session,
            c.charter,
            ops.Request(
                NewOrganisation(o.name, o.kind, o.country, o.city, o.website),
                Signatory(
                    data.signatory_name,
                    data.signatory_title,
                    data.statement,
                    data.public,
                    tuple(data.clauses),
                ),
                data.contact_email,
                {"homepage": data.homepage},
            ),
            data.version,
        )
        c.services.rooms.announce(c.charter_id, {"type": "endorsement", "action": "requested"})
    return JSONResponse({"id": endorsement.id, "status": endorsement.status}, status_code=202)


async def list_endorsements(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        assert c.member is not None
        status = request.query_params.get("status")
        if status is not None and status not in set(EndorsementStatus):
            raise Invalid(
                text(
                    "an endorsement's status is one of: {choices}",
                    choices=", ".join(EndorsementStatus),
                )
            )
        everyone = can(c.member, Action.manage_endorsements, c.target)
        found = await endorsements_of(
            c.session,
            c.charter_id,
            organisation_id=c.member.organisation_id,
            everyone=everyone,
            status=status,
            version=request.query_params.get("version"),
        )
        views = await endorsement_views(c.session, found, contact=everyone)
    return JSONResponse({"endorsements": views})


async def _act(request: Request, act: str) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        assert c.member is not None
        endorsement = await ops.get_endorsement(c.session, c.charter_id, _id(request))
        status = 200
        if act == "verify":
            await ops.verify(c.session, c.member, c.charter, endorsement)
        elif act == "reject":
            rejection = await read_json(request, Reason)
            await ops.reject(c.session, c.member, c.charter, endorsement, rejection.reason)
        elif act == "withdraw":
            await ops.withdraw(c.session, c.member, c.charter, endorsement)
        else:
            reconfirmation = await read_json(request, Reconfirmation)
            endorsement, added = await ops.reconfirm(
                c.session, c.member, c.charter, endorsement, reconfirmation.version
            )
            status = 201 if added else 200
        view = await _one(c, endorsement)
        await announce(c, endorsement.status, endorsement, view["version"])
    return JSONResponse(view, status_code=status)


async def verify(request: Request) -> JSONResponse:
    return await _act(request, "verify")


async def reject(request: Request) -> JSONResponse:
    return await _act(request, "reject")


async def withdraw(request: Request) -> JSONResponse:
    return await _act(request, "withdraw")


async def reconfirm(request: Request) -> JSONResponse:
    return await _act(request, "reconfirm")


async def public_endorsers(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        published = await get_version(c.session, c.charter_id, request.path_params["number"])
        found = await endorsers(c.session, published.version)
    return JSONResponse({"endorsers": found})


async def campaign(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.manage_endorsements, c.target)
        numbers = await stats(c.session, c.charter_id)
    return JSONResponse(numbers)


CSV_COLUMNS = (
    "id",
    "version",
    "status",
    "organisation",
    "kind",
    "country",
    "city",
    "signatory_name",
    "signatory_title",
    "statement",
    "public",
    "previous",
    "created_at",
    "decided_at",
    "contact_email",
)


async def endorsers_csv(request: Request) -> Response:
    async with charter_call(request) as c:
        require(c.member, Action.manage_endorsements, c.target)
        found = await endorsements_of(c.session, c.charter_id, everyone=True)
        views = await endorsement_views(c.session, found, contact=True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in views:
        o = v["organisation"]
        row = (
            v["id"],
            v["version"],
            v["status"],
            o["name"],
            o["kind"],
            o["country"],
            o["city"],
            v["signatory_name"],
            v["signatory_title"],
            v["statement"],
            v["public"],
            v["previous"] or "",
            v["created_at"],
            v["decided_at"] or "",
            v["contact_email"],
        )
        writer.writerow(
            ["'" + str(x) if str(x).startswith(("=", "+", "-", "@")) else x for x in row]
        )
    name = f"{c.charter.slug}-endorsements.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


routes = [
    Route("/api/charters/{slug}/versions/{number}/endorsements", endorse, methods=["POST"]),
    Route("/api/charters/{slug}/versions/{number}/endorsers", public_endorsers, methods=["GET"]),
    Route("/api/charters/{slug}/endorsement-requests", ask, methods=["POST"]),
    Route("/api/charters/{slug}/endorsements", list_endorsements, methods=["GET"]),
    Route("/api/charters/{slug}/endorsements/stats", campaign, methods=["GET"]),
    Route("/api/charters/{slug}/endorsements.csv", endorsers_csv, methods=["GET"]),
    Route("/api/charters/{slug}/endorsements/{id}/verify", verify, methods=["POST"]),
    Route("/api/charters/{slug}/endorsements/{id}/reject", reject, methods=["POST"]),
    Route("/api/charters/{slug}/endorsements/{id}/withdraw", withdraw, methods=["POST"]),
    Route("/api/charters/{slug}/endorsements/{id}/reconfirm", reconfirm, methods=["POST"]),
]
