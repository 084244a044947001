"""Comments on a charter's clauses: list, write, reply, edit, resolve, react, report, hide.

Every change is announced on the charter's event stream (``{"type": "comment", "action", "comment",
"clause"}``) in every process. The event carries the comment as any member sees it (a hidden
comment without its words), or only its id for a report.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter_drafts.charters import stored_document
from charter_drafts.deliberation.comments import (
    AnchorRange,
    CommentView,
    change_comment,
    get_comment,
    hide_comment,
    list_comments,
    own_reactions,
    parse_reaction,
    parse_status,
    post_comment,
    react,
    report_comment,
    shows_body,
    view_comment,
)
from charter_drafts.deliberation.models import Comment
from charter_drafts.models import Organisation
from charter_drafts.permissions import Action, Member, require
from charter_drafts.usertext import render_markdown
from server.web.inputs import Input, read_json
from server.web.routes.context import CharterCall, charter_call, created, no_content


class AnchorInput(Input):
    field: str
    start: int = Field(alias="from")
    end: int = Field(alias="to")


class CommentCreate(Input):
    clause: str
    body: str
    reply_to: int | None = None
    anchor: AnchorInput | None = None


class CommentUpdate(Input):
    body: str | None = None
    status: str | None = None


class ReactionInput(Input):
    reaction: str


class HideInput(Input):
    reason: str


def organisation_json(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country,
    }


def comment_json(
    view: CommentView, viewer: Member | None, mine: str | None = None
) -> dict[str, Any]:
    """The contract's shape; a hidden comment's words, and why it was hidden, only for its author
    and the secretariat; ``mine``: the viewer's own reaction (none in the events, which go to
    everyone)."""
    comment, place = view.comment, view.place
    shown = shows_body(view, viewer)
    anchor = None
    if place is not None:
        anchor = {
            "field": comment.anchor_field,
            "from": place.start,
            "to": place.end,
            "quote": comment.anchor_quote,
            "lost": place.lost,
        }
    return {
        "id": view.id,
        "clause": comment.clause_key,
        "reply_to": comment.reply_to,
        "author": {
            "id": view.author.id,
            "display_name": view.author.display_name,
            "organisation": organisation_json(view.organisation),
        },
        "body": comment.body if shown else "",
        "body_html": render_markdown(comment.body) if shown else "",
        "status": comment.status,
        "hidden_reason": comment.hidden_reason if shown else None,  # set only by hiding
        "anchor": anchor,
        "reactions": {"agree": view.agree, "disagree": view.disagree},
        "my_reaction": mine,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


async def current_document(c: CharterCall) -> Doc[Any]:
    """The live room's document when it is loaded (it holds only stored updates), else the
    store's: the text as it is now, to place anchors in."""
    room = c.services.rooms.peek(c.charter.slug)
    if room is not None:
        doc: Doc[Any] = room.doc
        return doc
    return await stored_document(c.session, c.charter_id)


async def comments(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.read_draft, c.target)
        status = request.query_params.get("status")
        found = await list_comments(
            c.session,
            c.charter_id,
            await current_document(c),
            clause=request.query_params.get("clause") or None,
            status=parse_status(status) if status else None,
        )
        mine = await _own(c, found)
    return JSONResponse(
        {"comments": [comment_json(view, c.member, mine.get(view.id)) for view in found]}
    )


async def add(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        data = await read_json(request, CommentCreate)
        anchor = None
        if data.anchor is not None:
            anchor = AnchorRange(data.anchor.field, data.anchor.start, data.anchor.end)
        doc = await current_document(c)
        comment = await post_comment(
            c.session,
            c.member,
            c.charter,
            doc,
            clause=data.clause,
            body=data.body,
            reply_to=data.reply_to,
            anchor=anchor,
            max_chars=c.services.settings.max_comment_chars,
        )
        view = await view_comment(c.session, comment, doc)
    _announce(c, "replied" if comment.reply_to else "created", view)
    return created(comment_json(view, c.member))


async def change(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        await get_comment(c.session, c.charter_id, request.path_params["comment_id"])
        data = await read_json(request, CommentUpdate)
        comment = await change_comment(
            c.session,
            c.member,
            c.charter,
            request.path_params["comment_id"],
            body=data.body,
            status=parse_status(data.status) if data.status is not None else None,
            max_chars=c.services.settings.max_comment_chars,
        )
        view = await view_comment(c.session, comment, await current_document(c))
        mine = await _own(c, [view])
    _announce(c, "edited" if data.body is not None else "status", view)
    return JSONResponse(comment_json(view, c.member, mine.get(view.id)))


async def add_reaction(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        await get_comment(c.session, c.charter_id, request.path_params["comment_id"])
        data = await read_json(request, ReactionInput)
        reaction = parse_reaction(data.reaction)
        view = await _react(c, c.member, request.path_params["comment_id"], reaction.value)
        mine = await _own(c, [view])
    return JSONResponse(comment_json(view, c.member, mine.get(view.id)))


async def remove_reaction(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        view = await _react(c, c.member, request.path_params["comment_id"], None)
        mine = await _own(c, [view])
    return JSONResponse(comment_json(view, c.member, mine.get(view.id)))


async def report(request: Request) -> Response:
    async with charter_call(request) as c:
        require(c.member, Action.comment, c.target)
        assert c.member is not None
        comment = await report_comment(
            c.session, c.member, c.charter, request.path_params["comment_id"]
        )
    _announce(c, "reported", comment)
    return no_content()


async def hide(request: Request) -> JSONResponse:
    async with charter_call(request) as c:
        require(c.member, Action.moderate, c.target)
        assert c.member is not None
        await get_comment(c.session, c.charter_id, request.path_params["comment_id"])
        data = await read_json(request, HideInput)
        comment = await hide_comment(
            c.session, c.member, c.charter, request.path_params["comment_id"], data.reason
        )
        view = await view_comment(c.session, comment, await current_document(c))
    _announce(c, "hidden", view)
    return JSONResponse(comment_json(view, c.member))


async def _own(c: CharterCall, views: list[CommentView]) -> dict[int, str]:
    """The caller's own reactions to these comments, by comment id."""
    if c.member is None:
        return {}
    return await own_reactions(c.session, c.member.user_id, [view.id for view in views])


async def _react(
    c: CharterCall, member: Member, comment_id: int, reaction: str | None
) -> CommentView:
    comment = await react(
        c.session,
        member,
        c.charter,
        comment_id,
        parse_reaction(reaction) if reaction else None,
    )
    view = await view_comment(c.session, comment, await current_document(c))
    _announce(c, "reaction", view)
    return view


def _announce(c: CharterCall, action: str, what: CommentView | Comment) -> None:
    payload: dict[str, Any] | int | None
    if isinstance(what, CommentView):
        comment, payload = what.comment, comment_json(what, None)
    else:
        comment, payload = what, what.id
    event = {"type": "comment", "action": action, "comment": payload, "clause": comment.clause_key}
    c.services.rooms.announce(c.charter_id, event)


COMMENT = "/api/charters/{slug}/comments/{comment_id:id}"
routes = [
    Route("/api/charters/{slug}/comments", comments, methods=["GET"]),
    Route("/api/charters/{slug}/comments", add, methods=["POST"]),
    Route(COMMENT, change, methods=["PATCH"]),
    Route(COMMENT + "/reactions", add_reaction, methods=["POST"]),
    Route(COMMENT + "/reactions", remove_reaction, methods=["DELETE"]),
    Route(COMMENT + "/report", report, methods=["POST"]),
    Route(COMMENT + "/hide", hide, methods=["POST"]),
]
