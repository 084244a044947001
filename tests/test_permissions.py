"""Every role (and no one) by every action, over HTTP and the live socket: allowed and refused.

Each refused call must change nothing; each refused live update must leave the stored document
byte-identical.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from pycrdt import Doc

from server.client import LiveClient
from server.live.protocol import (
    AuthMessage,
    AwarenessMessage,
    MessageType,
    SyncMessage,
    read_message,
    sync_step2,
)
from tests.people import (
    ANONYMOUS,
    COMMENTER,
    EDITOR,
    EVERYONE,
    OBSERVER,
    OUTSIDER,
    SECRETARIAT,
    SITE_ADMIN,
    add_accounts,
    client,
    stored_document,
)
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(120)
CHARTER = "/api/charters/lampedusa"
MEMBERS = frozenset({OBSERVER, COMMENTER, EDITOR, SECRETARIAT})
WRITERS = frozenset({EDITOR, SECRETARIAT})
ADMINS = frozenset({SECRETARIAT, SITE_ADMIN})
_serial = itertools.count()


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def as_secretariat(server: ServerProcess) -> httpx.Client:
    return client(server, SECRETARIAT)


def user_id(server: ServerProcess, email: str) -> int:
    with as_secretariat(server) as http:
        members = http.get(CHARTER + "/members").json()["members"]
    return int(next(m["user_id"] for m in members if m["email"] == email))


def new_clause(server: ServerProcess) -> str:
    with as_secretariat(server) as http:
        response = http.post(CHARTER + "/clauses", json={"title": "Scratch", "body": "scratch"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_member(server: ServerProcess) -> int:
    email = f"member{next(_serial)}@example.org"
    with as_secretariat(server) as http:
        link = http.post(CHARTER + "/invitations", json={"email": email, "role": "observer"})
    assert link.status_code == 201, link.text
    secret = link.json()["link"].rsplit("/", 1)[1]
    accepted = httpx.post(
        f"{server.base_url}/api/invitations/{secret}/accept",
        json={"display_name": "Scratch member", "password": "a long password"},
    )
    assert accepted.status_code == 201, accepted.text
    return int(accepted.json()["user"]["id"])


def state(server: ServerProcess) -> dict[str, Any]:
    """Everything a refused call must leave as it was."""
    with as_secretariat(server) as http:
        return {
            path: http.get(path).json()
            for path in (
                CHARTER,
                CHARTER + "/members",
                CHARTER + "/invitations",
                "/api/charters",
            )
        }


@dataclass(frozen=True)
class Case:
    name: str
    allowed: frozenset[str | None]
    status: int
    call: Callable[[ServerProcess, httpx.Client], httpx.Response]
    undo: Callable[[ServerProcess], None] | None = None


def _restore_phase(server: ServerProcess) -> None:
    with as_secretariat(server) as http:
        assert http.patch(CHARTER, json={"phase": "drafting"}).status_code == 200


def _unfreeze(server: ServerProcess) -> None:
    with as_secretariat(server) as http:
        response = http.patch(CHARTER + "/clauses/participation", json={"frozen": False})
        assert response.status_code == 200


def _observer_back(server: ServerProcess) -> None:
    with as_secretariat(server) as http:
        member = f"{CHARTER}/members/{user_id(server, OBSERVER)}"
        assert http.patch(member, json={"role": "observer"}).status_code == 200


CASES = [
    Case("read the draft", MEMBERS, 200, lambda s, h: h.get(CHARTER)),
    Case("list members", MEMBERS | {SITE_ADMIN}, 200, lambda s, h: h.get(CHARTER + "/members")),
    Case(
        "add a clause",
        WRITERS,
        201,
        lambda s, h: h.post(CHARTER + "/clauses", json={"title": "New", "body": "Text"}),
    ),
    Case(
        "move a clause",
        WRITERS,
        200,
        lambda s, h: h.patch(CHARTER + "/clauses/peace-development", json={"position": 4}),
    ),
    Case(
        "freeze a clause",
        frozenset({SECRETARIAT}),
        200,
        lambda s, h: h.patch(CHARTER + "/clauses/participation", json={"frozen": True}),
        _unfreeze,
    ),
    Case(
        "remove a clause",
        WRITERS,
        204,
        lambda s, h: h.delete(f"{CHARTER}/clauses/{new_clause(s)}"),
    ),
    Case(
        "change the phase",
        frozenset({SECRETARIAT}),
        200,
        lambda s, h: h.patch(CHARTER, json={"phase": "consultation"}),
        _restore_phase,
    ),
    Case("list invitations", ADMINS, 200, lambda s, h: h.get(CHARTER + "/invitations")),
    Case(
        "invite",
        ADMINS,
        201,
        lambda s, h: h.post(
            CHARTER + "/invitations",
            json={"email": f"invitee{next(_serial)}@example.org", "role": "editor"},
        ),
    ),
    Case(
        "change a member's role",
        ADMINS,
        200,
        lambda s, h: h.patch(
            f"{CHARTER}/members/{user_id(s, OBSERVER)}", json={"role": "commenter"}
        ),
        _observer_back,
    ),
    Case(
        "remove a member",
        ADMINS,
        204,
        lambda s, h: h.delete(f"{CHARTER}/members/{new_member(s)}"),
    ),
    Case("read the audit log", ADMINS, 200, lambda s, h: h.get(CHARTER + "/audit")),
    Case("list the charter's tokens", ADMINS, 200, lambda s, h: h.get(CHARTER + "/tokens")),
    Case(
        "create a charter",
        frozenset({SITE_ADMIN}),
        201,
        lambda s, h: h.post(
            "/api/charters",
            json={
                "slug": f"charter-{next(_serial)}",
                "title": "Another charter",
                "secretariat_email": SECRETARIAT,
            },
        ),
    ),
]


def cells() -> Iterator[Any]:
    for case in CASES:
        for who in EVERYONE:
            yield pytest.param(case, who, id=f"{case.name}-{who or 'anonymous'}")


@pytest.mark.parametrize(("case", "who"), list(cells()))
def test_http_action(people: ServerProcess, case: Case, who: str | None) -> None:
    server = people
    if who in case.allowed:
        with client(server, who) as http:
            response = case.call(server, http)
        assert response.status_code == case.status, response.text
        if case.undo:
            case.undo(server)
        return
    # Setup calls inside ``call`` (scratch clauses, members) happen before the snapshot.
    with client(server, who) as http:
        prepared = _prepare(server, case)
        before = state(server)
        response = prepared(http)
    expected = 401 if who is ANONYMOUS else 403
    assert response.status_code == expected, response.text
    body = response.json()
    assert body["error"] == ("unauthenticated" if who is ANONYMOUS else "forbidden")
    assert body["message"]
    assert state(server) == before


def _prepare(server: ServerProcess, case: Case) -> Callable[[httpx.Client], httpx.Response]:
    """Run the case's setup now (it may create a scratch clause or member), the call later."""
    if case.name == "remove a clause":
        key = new_clause(server)
        return lambda http: http.delete(f"{CHARTER}/clauses/{key}")
    if case.name == "remove a member":
        member = new_member(server)
        return lambda http: http.delete(f"{CHARTER}/members/{member}")
    if case.name == "change a member's role":
        observer = user_id(server, OBSERVER)
        return lambda http: http.patch(f"{CHARTER}/members/{observer}", json={"role": "editor"})
    return lambda http: case.call(server, http)


# The live socket


async def close_code(url: str) -> tuple[int, str]:
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _read_forever(socket)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def _read_forever(socket: websockets.ClientConnection) -> None:
    while True:
        await asyncio.wait_for(socket.recv(), 10)


@pytest.mark.parametrize(("who", "code"), [(ANONYMOUS, 4401), (OUTSIDER, 4403), (SITE_ADMIN, 4403)])
async def test_the_live_document_refuses_non_members(
    people: ServerProcess, who: str | None, code: int
) -> None:
    assert (await close_code(people.ws_url(as_=who)))[0] == code


async def test_a_bad_token_is_refused_on_the_socket(people: ServerProcess) -> None:
    url = people.ws_url(as_=None) + "?token=cdt_not-a-token"
    assert await close_code(url) == (4401, "unknown API token")


@pytest.mark.parametrize("who", sorted(MEMBERS))
async def test_live_edits_by_role(people: ServerProcess, who: str) -> None:
    server = people
    async with (
        LiveClient.connect(server.ws_url(as_=who)) as member,
        LiveClient.connect(server.ws_url(as_=SECRETARIAT)) as watcher,
    ):
        await asyncio.wait_for(member.synced.wait(), 10)
        await asyncio.wait_for(watcher.synced.wait(), 10)
        stored = stored_document(server)
        member.text("city-cooperation", "title").insert(0, f"({who}) ")
        if who in WRITERS:
            await eventually_async(
                lambda: str(watcher.text("city-cooperation", "title")).startswith(f"({who}) ")
            )
            assert not member.denials
            return
        await eventually_async(lambda: member.denials)
        role = {"observer": "an observer", "commenter": "a commenter"}[_role(who)]
        assert member.denials[0] == f"update refused: {role} may not edit text"
        await asyncio.sleep(0.3)
        assert watcher.updates_received == 0
        assert not str(watcher.text("city-cooperation", "title")).startswith(f"({who})")
    assert stored_document(server) == stored


def _role(email: str) -> str:
    return email.split("@", 1)[0]


async def test_a_frozen_clause_is_read_only_live_and_the_others_are_not(
    people: ServerProcess,
) -> None:
    server = people
    with as_secretariat(server) as http:
        frozen = http.patch(CHARTER + "/clauses/dignity-rights", json={"frozen": True})
        assert frozen.status_code == 200
    try:
        async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
            await asyncio.wait_for(editor.synced.wait(), 10)
            stored = stored_document(server)
            editor.text("dignity-rights", "body").insert(0, "Sneaky ")
            await eventually_async(lambda: editor.denials)
            assert editor.denials[0] == "update refused: this clause is frozen (dignity-rights)"
            assert stored_document(server) == stored
        # The reason in the language the client asked for (a browser's Accept-Language).
        async with LiveClient.connect(server.ws_url(as_=EDITOR) + "&lang=fr") as french:
            await asyncio.wait_for(french.synced.wait(), 10)
            french.text("dignity-rights", "body").insert(0, "En douce ")
            await eventually_async(lambda: french.denials)
            assert french.denials[0] == (
                "modification refusée : cette clause est figée (dignity-rights)"
            )
            assert stored_document(server) == stored
        async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
            await asyncio.wait_for(editor.synced.wait(), 10)
            editor.text("social-cohesion", "body").insert(0, "Fine ")
            await eventually_async(lambda: editor.updates_received > 0)
            assert not editor.denials
    finally:
        with as_secretariat(server) as http:
            http.patch(CHARTER + "/clauses/dignity-rights", json={"frozen": False})


async def test_phase_and_role_changes_apply_to_open_connections(people: ServerProcess) -> None:
    server = people
    editor_id = user_id(server, EDITOR)
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        with as_secretariat(server) as http:
            assert http.patch(CHARTER, json={"phase": "consultation"}).status_code == 200
            try:
                stored = stored_document(server)
                editor.text("preamble", "title").insert(0, "x")
                await eventually_async(lambda: editor.denials)
                assert "read-only in the consultation phase" in editor.denials[-1]
                assert stored_document(server) == stored
            finally:
                assert http.patch(CHARTER, json={"phase": "drafting"}).status_code == 200
            member = f"{CHARTER}/members/{editor_id}"
            assert http.patch(member, json={"role": "observer"}).status_code == 200
            try:
                denials = len(editor.denials)
                editor.text("preamble", "title").insert(0, "y")
                await eventually_async(lambda: len(editor.denials) > denials)
                assert editor.denials[-1] == "update refused: an observer may not edit text"
            finally:
                assert http.patch(member, json={"role": "editor"}).status_code == 200


async def test_removing_a_member_closes_their_socket(people: ServerProcess) -> None:
    server = people
    scratch = new_member(server)
    with as_secretariat(server) as http:
        promoted = http.patch(f"{CHARTER}/members/{scratch}", json={"role": "editor"})
        assert promoted.status_code == 200
    emails = [m["email"] for m in _members(server) if m["user_id"] == scratch]
    token = _scratch_token(server, str(emails[0]))
    async with websockets.connect(server.ws_url(as_=None) + f"?token={token}") as socket:
        await asyncio.wait_for(socket.recv(), 10)
        with as_secretariat(server) as http:
            assert http.delete(f"{CHARTER}/members/{scratch}").status_code == 204
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _read_forever(socket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


def _members(server: ServerProcess) -> list[dict[str, Any]]:
    with as_secretariat(server) as http:
        members: list[dict[str, Any]] = http.get(CHARTER + "/members").json()["members"]
    return members


def _scratch_token(server: ServerProcess, email: str) -> str:
    with httpx.Client(base_url=server.base_url) as http:
        session = http.post("/api/session", json={"email": email, "password": "a long password"})
        assert session.status_code == 200, session.text
        http.headers["X-CSRF-Token"] = session.json()["csrf_token"]
        issued = http.post("/api/tokens", json={"name": "scratch"})
        assert issued.status_code == 201, issued.text
        return str(issued.json()["secret"])


async def test_a_read_only_member_reconnecting_with_the_whole_document_is_not_refused(
    people: ServerProcess,
) -> None:
    """The stock client answers sync step 1 with its whole delete set: that is no edit."""
    server = people
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        body = editor.text("balanced-narratives", "body")
        body.insert(0, "temporary ")
        del body[0:10]  # the document now has deletions
        await eventually_async(lambda: editor.updates_received > 0)
        await asyncio.sleep(0.3)
        whole = editor.doc.get_update()
    stored = stored_document(server)
    async with websockets.connect(server.ws_url(as_=COMMENTER)) as socket:
        first = read_message(await asyncio.wait_for(socket.recv(), 10))
        assert isinstance(first, SyncMessage)
        copy = Doc()
        copy.apply_update(whole)
        await socket.send(sync_step2(copy.get_update(first.payload)))
        await socket.send(bytes([MessageType.QUERY_AWARENESS]))
        # Frames are handled in order: the answer to the query comes after any refusal.
        replies = []
        while not replies or not isinstance(replies[-1], AwarenessMessage):
            replies.append(read_message(await asyncio.wait_for(socket.recv(), 10)))
    assert not [r for r in replies if isinstance(r, AuthMessage)]
    assert stored_document(server) == stored
