"""Deactivating and reactivating accounts on one server (SQLite and PostgreSQL): over HTTP by a
site administrator, and with the command line; who may not, and that a refusal changes nothing."""

from __future__ import annotations

import asyncio

import pytest
from websockets.protocol import State

from tests.accounts import (
    CHARTER,
    admin,
    as_session,
    as_token,
    audit_of,
    closed_within,
    ends_within,
    event_stream,
    live_socket,
    new_member,
    refused_code,
    signs_in,
    stored_account,
)
from tests.conftest import BACKENDS, ServerFactory
from tests.people import (
    ANONYMOUS,
    COMMENTER,
    EDITOR,
    OBSERVER,
    OUTSIDER,
    SECRETARIAT,
    SITE_ADMIN,
    add_accounts,
    client,
)
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def admin_id(server: ServerProcess) -> int:
    with admin(server) as http:
        return int(http.get("/api/session").json()["user"]["id"])


async def test_deactivating_ends_everything_the_account_has_open(people: ServerProcess) -> None:
    member = new_member(people)
    async with (
        live_socket(people, member) as socket,
        event_stream(people, member) as events,
    ):
        with admin(people) as http:
            done = http.post(
                f"/api/users/{member.user_id}/deactivate", json={"reason": "left the city council"}
            )
        assert done.status_code == 200, done.text
        assert done.json()["active"] is False
        assert done.json()["tokens_revoked"] == 1
        closed = await closed_within(socket, 1.0)
        await ends_within(events, 1.0)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4401, "this account is deactivated")
    # The session, the token and the password open nothing any more.
    with as_session(people, member) as http:
        assert http.get("/api/session").json()["user"] is None
    with as_session(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    with as_token(people, member) as http:
        refused = http.get(CHARTER)
        assert refused.status_code == 401
        assert refused.json()["error"] == "unauthenticated"
    assert signs_in(people, member.email) == 401
    assert await refused_code(people, member) == 4401
    assert stored_account(people, member.user_id) == (False, 1, 0)
    assert audit_of(people, member.user_id) == [
        (
            "account.deactivate",
            admin_id(people),
            {"reason": "left the city council", "tokens_revoked": 1},
        )
    ]
    # Reactivated: they sign in again, but the earlier session and token stay ended.
    with admin(people) as http:
        back = http.post(f"/api/users/{member.user_id}/reactivate", json={"reason": "re-elected"})
    assert back.status_code == 200, back.text
    assert back.json()["active"] is True
    assert signs_in(people, member.email) == 200
    with as_session(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    with as_token(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    assert [entry[0] for entry in audit_of(people, member.user_id)] == [
        "account.deactivate",
        "account.reactivate",
    ]
    assert audit_of(people, member.user_id)[1][2] == {"reason": "re-elected"}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OUTSIDER, 403),
        (OBSERVER, 403),
        (COMMENTER, 403),
        (EDITOR, 403),
        (SECRETARIAT, 403),
    ],
    ids=["anonymous", "outsider", "observer", "commenter", "editor", "secretariat"],
)
async def test_only_a_site_administrator_may_deactivate(
    people: ServerProcess, who: str | None, status: int
) -> None:
    member = new_member(people)
    before = stored_account(people, member.user_id)
    async with live_socket(people, member) as socket:
        with client(people, who) as http:
            refused = http.post(f"/api/users/{member.user_id}/deactivate", json={"reason": "x"})
            assert refused.status_code == status
            assert refused.json()["error"] == ("unauthenticated" if who is None else "forbidden")
            # An unknown account is refused alike: no one but an administrator learns of it.
            unknown = http.post("/api/users/999999/deactivate", json={"reason": "x"})
            assert unknown.status_code == status
        await asyncio.sleep(0.3)
        assert socket.state is State.OPEN
    # Nothing changed: the account, its session and token work, nothing was audited.
    assert stored_account(people, member.user_id) == before == (True, 0, 1)
    assert audit_of(people, member.user_id) == []
    with as_session(people, member) as http:
        assert http.get(CHARTER).status_code == 200
    with as_token(people, member) as http:
        assert http.get(CHARTER).status_code == 200
    assert signs_in(people, member.email) == 200


def test_refusals_of_a_site_administrator_change_nothing(people: ServerProcess) -> None:
    member = new_member(people)
    me = admin_id(people)
    with admin(people) as http:
        own = http.post(f"/api/users/{me}/deactivate", json={"reason": "tired"})
        assert own.status_code == 403
        assert own.json()["message"] == "you may not deactivate or reactivate your own account"
        unknown = http.post("/api/users/999999/deactivate", json={"reason": "x"})
        assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
        unreasoned = http.post(f"/api/users/{member.user_id}/deactivate", json={"reason": " "})
        assert (unreasoned.status_code, unreasoned.json()["error"]) == (400, "invalid")
        active = http.post(f"/api/users/{member.user_id}/reactivate", json={})
        assert (active.status_code, active.json()["error"]) == (409, "conflict")
        french = http.post(
            f"/api/users/{me}/deactivate?lang=fr", json={"reason": "fatigue"}
        ).json()["message"]
        assert french == "vous ne pouvez pas désactiver ni réactiver votre propre compte"
        assert http.get("/api/session").json()["user"]["email"] == SITE_ADMIN
    assert stored_account(people, member.user_id) == (True, 0, 1)
    assert audit_of(people, member.user_id) == audit_of(people, me) == []
    assert signs_in(people, member.email) == 200
    # Deactivated once, a second deactivation is refused and changes nothing more.
    with admin(people) as http:
        first = http.post(f"/api/users/{member.user_id}/deactivate", json={"reason": "one"})
        assert first.status_code == 200
        again = http.post(f"/api/users/{member.user_id}/deactivate", json={"reason": "two"})
        assert (again.status_code, again.json()["error"]) == (409, "conflict")
    assert stored_account(people, member.user_id) == (False, 1, 0)
    assert len(audit_of(people, member.user_id)) == 1


def test_the_command_line_deactivates_and_reactivates(people: ServerProcess) -> None:
    member = new_member(people)
    done = people.cli("deactivate-user", member.email, "--reason", "asked to leave")
    assert done.returncode == 0, done.stderr
    assert "1 API token(s) revoked" in done.stdout
    assert "no REDIS_URL" in done.stdout
    # The running server refuses the session and the token at their next request.
    with as_session(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    with as_token(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    assert signs_in(people, member.email) == 401
    assert audit_of(people, member.user_id) == [
        ("account.deactivate", None, {"reason": "asked to leave", "tokens_revoked": 1})
    ]
    again = people.cli("deactivate-user", member.email, "--reason", "twice")
    assert again.returncode == 2
    assert "deactivated already" in again.stderr
    unknown = people.cli("deactivate-user", "nobody@example.org", "--reason", "x")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().endswith("charter-drafts: no account for nobody@example.org")
    back = people.cli("reactivate-user", member.email)
    assert back.returncode == 0, back.stderr
    assert signs_in(people, member.email) == 200
    with as_session(people, member) as http:
        assert http.get(CHARTER).status_code == 401
    assert stored_account(people, member.user_id) == (True, 1, 0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_without_redis_a_running_server_closes_what_the_command_line_deactivated(
    make_server: ServerFactory, backend: str
) -> None:
    """The command line cannot tell a running process without Redis; its sweep (every
    ACCOUNT_CHECK_SECONDS) closes the account's live documents and event streams."""
    server = make_server(backend, env={"ACCOUNT_CHECK_SECONDS": "1"})
    member, bystander = new_member(server), new_member(server)
    async with (
        live_socket(server, member) as socket,
        event_stream(server, member) as events,
        live_socket(server, bystander) as other,
        event_stream(server, bystander) as others_events,
    ):
        done = await asyncio.to_thread(
            server.cli, "deactivate-user", member.email, "--reason", "suspended"
        )
        assert done.returncode == 0, done.stderr
        closed = await closed_within(socket, 2.5)
        await ends_within(events, 2.5)
        # Others stay connected through the sweeps.
        await asyncio.sleep(1.5)
        assert other.state is State.OPEN
        line = ""
        while not line:  # past the blank line that ends each message
            line = await asyncio.wait_for(anext(others_events), 20)
        assert line == ": heartbeat"
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4401, "this account is deactivated")
