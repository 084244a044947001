"""Membership administration (secretariat): members, invitations, the charter's tokens, audit."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.errors import NotFound
from charter_drafts.models import Invitation, Organisation, User
from charter_drafts.people import audit
from charter_drafts.people.invitations import invite, list_invitations, revoke_invitation
from charter_drafts.people.memberships import (
    change_member,
    list_members,
    member_of,
    parse_role,
    remove_member,
)
from charter_drafts.people.organisations import find_or_create_organisation, get_organisation
from charter_drafts.people.tokens import revoke_token, tokens_of
from charter_drafts.permissions import Action, can, require
from charter_drafts.texts import text
from server.web.inputs import Input, parse_id, read_json
from server.web.routes.context import CharterCall, charter_call, created, no_content
from server.web.routes.tokens import token_json


class OrganisationInput(Input):
    name: str
    kind: str
    country: str
    city: str = ""


class MemberUpdate(Input):
    role: str | None = None
    organisation_id: int | None = None
    organisation: OrganisationInput | None = None


class InvitationCreate(Input):
    email: str
    role: str
    valid_days: int = Field(default=14, ge=1, le=90)
    organisation_id: int | None = None
    organisation: OrganisationInput | None = None


def organisation_json(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country,
        "city": organisation.city,
    }


def invitation_json(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "organisation_id": invitation.organisation_id,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
        "accepted_at": invitation.accepted_at.isoformat() if invitation.accepted_at else None,
        "revoked_at": invitation.revoked_at.isoformat() if invitation.revoked_at else None,
    }


async def _organisation_id(
    c: CharterCall, organisation_id: int | None, organisation: OrganisationInput | None
) -> int | None:
    if organisation is not None:
        found = await find_or_create_organisation(
            c.session, organisation.name, organisation.kind, organisation.country, organisation.city
        )
        return found.id
    if organisation_id is not None:
        await get_organisation(c.session, organisation_id)
    return organisation_id


def _admin(c: CharterCall) -> int:
    require(c.member, Action.manage_members, c.target)
    assert c.member is not None
    return c.member.user_id


async def members(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        admin = can(c.member, Action.manage_members, c.target)
        if not admin:
            require(c.member, Action.read_draft, c.target)
        found = await list_members(c.session, c.charter_id)
    return JSONResponse(
        {
            "members": [
                {
                    "user_id": m.user_id,
                    "display_name": m.display_name,
                    "email": m.email if admin else None,
                    "role": m.role,
                    "organisation": organisation_json(m.organisation),
                }
                for m in found
            ]
        }
    )


async def change(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        actor = _admin(c)
        data = await read_json(request, MemberUpdate)
        user_id = int(request.path_params["user_id"])
        organisation_id = await _organisation_id(c, data.organisation_id, data.organisation)
        membership = await change_member(
            c.session,
            c.charter_id,
            user_id,
            role=parse_role(data.role) if data.role is not None else None,
            organisation_id=organisation_id,
            actor_id=actor,
        )
        await c.session.commit()
        user = await c.session.get(User, user_id)
        assert user is not None
        c.services.rooms.member_changed(
            c.charter_id, user_id, await member_of(c.session, user, c.charter_id)
        )
    return JSONResponse(
        {
            "user_id": user_id,
            "role": membership.role,
            "organisation_id": membership.organisation_id,
        }
    )


async def remove(request: Request) -> Response:
    async with charter_call(request) as c:
        actor = _admin(c)
        user_id = int(request.path_params["user_id"])
        await remove_member(c.session, c.charter_id, user_id, actor_id=actor)
        await c.session.commit()
        c.services.rooms.member_changed(c.charter_id, user_id, None)
    return no_content()


async def invitations(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        _admin(c)
        found = await list_invitations(c.session, c.charter_id)
    return JSONResponse({"invitations": [invitation_json(i) for i in found]})


async def create_invitation(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        actor = _admin(c)
        data = await read_json(request, InvitationCreate)
        organisation_id = await _organisation_id(c, data.organisation_id, data.organisation)
        invitation, secret = await invite(
            c.session,
            c.charter_id,
            data.email,
            parse_role(data.role),
            organisation_id,
            actor_id=actor,
        )
        await c.session.commit()
    link = str(request.url_for("invitation_page", secret=secret))
    return created({**invitation_json(invitation), "link": link})


async def withdraw_invitation(request: Request) -> Response:
    async with charter_call(request) as c:
        actor = _admin(c)
        await revoke_invitation(
            c.session, c.charter_id, int(request.path_params["invitation_id"]), actor_id=actor
        )
        await c.session.commit()
    return no_content()


async def charter_tokens(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        _admin(c)
        found = await tokens_of(c.session, charter_id=c.charter_id)
    return JSONResponse({"tokens": [token_json(t) for t in found]})


async def revoke_charter_token(request: Request) -> Response:
    async with charter_call(request) as c:
        actor = _admin(c)
        token_id = int(request.path_params["token_id"])
        scoped = {t.id for t in await tokens_of(c.session, charter_id=c.charter_id)}
        if token_id not in scoped:
            raise NotFound(text("no token {id} for this charter", id=token_id))
        await revoke_token(c.session, token_id, actor_id=actor)
        await c.session.commit()
    return no_content()


async def audit_log(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_audit, c.target)
        before = request.query_params.get("before")
        found = await audit.entries(c.session, c.charter_id, before=parse_id(before))
    return JSONResponse(
        {
            "entries": [
                {
                    "id": e.id,
                    "actor_id": e.actor_id,
                    "action": e.action,
                    "target": e.target,
                    "details": json.loads(e.details),
                    "created_at": e.created_at.isoformat(),
                }
                for e in found
            ]
        }
    )


routes = [
    Route("/api/charters/{slug}/members", members, methods=["GET"]),
    Route("/api/charters/{slug}/members/{user_id:id}", change, methods=["PATCH"]),
    Route("/api/charters/{slug}/members/{user_id:id}", remove, methods=["DELETE"]),
    Route("/api/charters/{slug}/invitations", invitations, methods=["GET"]),
    Route("/api/charters/{slug}/invitations", create_invitation, methods=["POST"]),
    Route(
        "/api/charters/{slug}/invitations/{invitation_id:id}",
        withdraw_invitation,
        methods=["DELETE"],
    ),
    Route("/api/charters/{slug}/tokens", charter_tokens, methods=["GET"]),
    Route("/api/charters/{slug}/tokens/{token_id:id}", revoke_charter_token, methods=["DELETE"]),
    Route("/api/charters/{slug}/audit", audit_log, methods=["GET"]),
]
