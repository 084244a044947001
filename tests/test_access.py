"""Signing in, sessions and CSRF, throttling, invitations, API tokens, bad JSON, the audit log."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest
import websockets

from charter_drafts.demo.seed import DEMO_MEMBERS
from server.client import LiveClient
from tests.people import COMMENTER, EDITOR, SECRETARIAT, SITE_ADMIN, add_accounts, client
from tests.servers import DEMO_PASSWORD, ServerProcess, eventually_async, read_until_closed

pytestmark = pytest.mark.timeout(120)
CHARTER = "/api/charters/lampedusa"


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def browser(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=10)


@pytest.mark.parametrize("member", DEMO_MEMBERS, ids=lambda m: m.email)
def test_every_demo_member_can_sign_in(people: ServerProcess, member: object) -> None:
    email, role = member.email, member.role.value  # type: ignore[attr-defined]
    with browser(people) as http:
        response = http.post("/api/session", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200
        assert response.json()["user"]["email"] == email
        assert "password" not in response.text
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert http.get(CHARTER).status_code == 200
        page = http.get("/charters/lampedusa")
        assert f'data-role="{role}"' in page.text
        editable = "true" if role in ("editor", "secretariat") else "false"
        assert f'data-can-edit="{editable}"' in page.text
        assert (
            http.delete(
                "/api/session", headers={"X-CSRF-Token": response.json()["csrf_token"]}
            ).status_code
            == 204
        )
        assert http.get(CHARTER).status_code == 401


def test_wrong_password_is_refused_and_never_logged(people: ServerProcess) -> None:
    with browser(people) as http:
        response = http.post(
            "/api/session", json={"email": EDITOR, "password": "not-the-password-42"}
        )
        assert response.status_code == 401
        assert response.json() == {"error": "unauthenticated", "message": "wrong email or password"}
        unknown = http.post(
            "/api/session", json={"email": "nobody@example.org", "password": "whatever-it-is"}
        )
        assert unknown.json() == response.json()
        assert http.get(CHARTER).status_code == 401
    assert "not-the-password-42" not in people.log_text()
    assert DEMO_PASSWORD not in people.log_text().replace("password: demo-password", "")


def test_repeated_failures_are_throttled_per_account(make_server) -> None:
    server = make_server()
    with browser(server) as http:
        for _ in range(5):
            wrong = http.post("/api/session", json={"email": COMMENTER, "password": "x" * 12})
            assert wrong.status_code == 401
        blocked = http.post("/api/session", json={"email": COMMENTER, "password": DEMO_PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        # Another account from the same address is not blocked yet.
        other = http.post("/api/session", json={"email": EDITOR, "password": DEMO_PASSWORD})
        assert other.status_code == 200


def test_cookie_writes_need_the_csrf_token_and_our_origin(people: ServerProcess) -> None:
    with browser(people) as http:
        signed = http.post("/api/session", json={"email": SECRETARIAT, "password": DEMO_PASSWORD})
        csrf = signed.json()["csrf_token"]
        body = {"title": "Via cookie", "body": ""}
        missing = http.post(CHARTER + "/clauses", json=body)
        assert missing.status_code == 403
        assert "X-CSRF-Token" in missing.json()["message"]
        wrong = http.post(CHARTER + "/clauses", json=body, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        foreign = http.post(
            CHARTER + "/clauses",
            json=body,
            headers={"X-CSRF-Token": csrf, "Origin": "https://elsewhere.example"},
        )
        assert foreign.status_code == 403
        titles = [c["title"] for c in http.get(CHARTER).json()["clauses"]]
        assert "Via cookie" not in titles
        ok = http.post(CHARTER + "/clauses", json=body, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201
        assert http.delete(f"{CHARTER}/clauses/{ok.json()['id']}", headers={"X-CSRF-Token": csrf})
    # A bearer token is not exposed to CSRF and needs no header.
    with client(people, SECRETARIAT) as http:
        assert http.get(CHARTER + "/audit").status_code == 200


def test_html_sign_in_form_works_and_checks_its_csrf_field(people: ServerProcess) -> None:
    with browser(people) as http:
        form = http.get("/sign-in?next=/charters/lampedusa")
        assert form.status_code == 200
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        forged = http.post(
            "/sign-in", data={"email": EDITOR, "password": DEMO_PASSWORD, "csrf": "forged"}
        )
        assert forged.status_code == 403
        bad = http.post(
            "/sign-in?next=/charters/lampedusa",
            data={"email": EDITOR, "password": "wrong password", "csrf": csrf},
        )
        assert bad.status_code == 401
        assert "Wrong email or password" in bad.text
        good = http.post(
            "/sign-in?next=https://evil.example/",
            data={"email": EDITOR, "password": DEMO_PASSWORD, "csrf": csrf},
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/"  # never redirected to another site
        assert http.get("/charters/lampedusa").status_code == 200


def test_invitation_makes_a_member_once(people: ServerProcess) -> None:
    with client(people, SECRETARIAT) as http:
        created = http.post(
            CHARTER + "/invitations",
            json={
                "email": "New.Person@Example.org",
                "role": "commenter",
                "organisation": {"name": "Demo NGO", "kind": "civil_society", "country": "sn"},
            },
        )
    assert created.status_code == 201, created.text
    link = created.json()["link"]
    secret = link.rsplit("/", 1)[1]
    with browser(people) as http:
        page = http.get(f"/invitations/{secret}")
        assert page.status_code == 200
        assert "new.person@example.org" in page.text
        short = http.post(
            f"/api/invitations/{secret}/accept",
            json={"display_name": "New Person", "password": "short"},
        )
        assert short.status_code == 400
        accepted = http.post(
            f"/api/invitations/{secret}/accept",
            json={"display_name": "New Person", "password": "a long enough password"},
        )
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["role"] == "commenter"
        assert http.get(CHARTER).status_code == 200
    with browser(people) as http:
        again = http.post(
            f"/api/invitations/{secret}/accept",
            json={"display_name": "Someone else", "password": "another long password"},
        )
        assert again.status_code == 410
        assert http.get(f"/invitations/{secret}").status_code == 410
    with client(people, SECRETARIAT) as http:
        members = http.get(CHARTER + "/members").json()["members"]
    joined = next(m for m in members if m["email"] == "new.person@example.org")
    assert joined["role"] == "commenter"
    assert joined["organisation"]["country"] == "SN"


def test_expired_and_withdrawn_invitations_are_refused(people: ServerProcess) -> None:
    with client(people, SECRETARIAT) as http:
        first = http.post(
            CHARTER + "/invitations", json={"email": "a@example.org", "role": "observer"}
        )
        withdrawn = http.delete(f"{CHARTER}/invitations/{first.json()['id']}")
        assert withdrawn.status_code == 204
        second = http.post(
            CHARTER + "/invitations", json={"email": "b@example.org", "role": "observer"}
        )
    _expire(people, second.json()["id"])
    for response in (first, second):
        secret = response.json()["link"].rsplit("/", 1)[1]
        refused = httpx.post(
            f"{people.base_url}/api/invitations/{secret}/accept",
            json={"display_name": "Late", "password": "a long enough password"},
        )
        assert refused.status_code == 410
    assert (
        "withdrawn"
        in httpx.get(
            f"{people.base_url}/api/invitations/{first.json()['link'].rsplit('/', 1)[1]}"
        ).json()["message"]
    )


def _expire(server: ServerProcess, invitation_id: int) -> None:
    sql = "UPDATE invitation SET expires_at = created_at WHERE id = ?"
    if server.database_url.startswith("sqlite"):
        with sqlite3.connect(server.database_url.split(":///", 1)[1]) as connection:
            connection.execute(sql, (invitation_id,))
        return
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(
            server.database_url.replace("postgresql+asyncpg", "postgresql")
        )
        try:
            await connection.execute(sql.replace("?", "$1"), invitation_id)
        finally:
            await connection.close()

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


async def test_a_token_for_another_charter_is_refused(people: ServerProcess) -> None:
    with client(people, SITE_ADMIN) as http:
        other = http.post(
            "/api/charters",
            json={"slug": "other-charter", "title": "Other", "secretariat_email": SECRETARIAT},
        )
    assert other.status_code == 201, other.text
    scoped = people.token(SECRETARIAT, charter="lampedusa")
    headers = {"Authorization": f"Bearer {scoped}"}
    async with httpx.AsyncClient(base_url=people.base_url, headers=headers) as http:
        assert (await http.get(CHARTER)).status_code == 200
        refused = await http.get("/api/charters/other-charter")
    assert refused.status_code == 403
    assert refused.json()["message"] == "this API token is for another charter"
    url = people.ws_url("other-charter", as_=None) + f"?token={scoped}"
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    # With the right, unscoped token the same person gets in.
    async with LiveClient.connect(people.ws_url("other-charter", as_=SECRETARIAT)) as live:
        await asyncio.wait_for(live.synced.wait(), 10)


def test_a_revoked_token_stops_working(people: ServerProcess) -> None:
    with people.signed_in(EDITOR) as http:
        issued = http.post("/api/tokens", json={"name": "script"}).json()
        headers = {"Authorization": f"Bearer {issued['secret']}"}
        assert httpx.get(people.base_url + CHARTER, headers=headers).status_code == 200
        listed = http.get("/api/tokens").json()["tokens"]
        assert any(t["id"] == issued["id"] and t["last_used_at"] for t in listed)
        assert "secret" not in str(listed)
        assert http.delete(f"/api/tokens/{issued['id']}").status_code == 204
    refused = httpx.get(people.base_url + CHARTER, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["message"] == "this API token was revoked"


def test_a_commenter_cannot_raise_their_own_role(people: ServerProcess) -> None:
    with client(people, SECRETARIAT) as http:
        members = http.get(CHARTER + "/members").json()["members"]
    me = next(m for m in members if m["email"] == COMMENTER)
    with client(people, COMMENTER) as http:
        response = http.patch(f"{CHARTER}/members/{me['user_id']}", json={"role": "secretariat"})
        assert response.status_code == 403
        assert http.get(CHARTER + "/members").json()["members"] == [
            {**m, "email": None} for m in members
        ]


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        (b"{garbage", {"content-type": "application/json"}, 400, "invalid"),
        (b"[1, 2]", {"content-type": "application/json"}, 400, "invalid"),
        (b'{"title": 5}', {"content-type": "application/json"}, 400, "invalid"),
        (b'{"title": "x", "evil": 1}', {"content-type": "application/json"}, 400, "invalid"),
        (b'{"title": "x"}', {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        (
            b'{"title": "' + b"x" * 70_000 + b'"}',
            {"content-type": "application/json"},
            413,
            "too_large",
        ),
    ],
    ids=["garbage", "not-an-object", "wrong-type", "unknown-field", "not-json", "oversized"],
)
def test_bad_json_is_refused_and_changes_nothing(
    people: ServerProcess, body: bytes, headers: dict[str, str], status: int, error: str
) -> None:
    with client(people, SECRETARIAT) as http:
        before = http.get(CHARTER).json()
        response = http.post(CHARTER + "/clauses", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["error"] == error
        assert response.json()["message"]
        assert http.get(CHARTER).json() == before


async def test_demo_commenter_is_refused_live_while_an_editor_reaches_everyone(
    people: ServerProcess,
) -> None:
    async with (
        LiveClient.connect(people.ws_url(as_=COMMENTER)) as commenter,
        LiveClient.connect(people.ws_url(as_=EDITOR)) as editor,
        LiveClient.connect(people.ws_url(as_="observer@example.org")) as observer,
    ):
        for live in (commenter, editor, observer):
            await asyncio.wait_for(live.synced.wait(), 10)
        commenter.text("peace-development", "body").insert(0, "Commenter was here. ")
        await eventually_async(lambda: commenter.denials)
        editor.text("peace-development", "body").insert(0, "Editor was here. ")
        for live in (editor, observer, commenter):
            await eventually_async(
                lambda live=live: "Editor was here. " in str(live.text("peace-development", "body"))
            )
        assert "Commenter was here" not in str(observer.text("peace-development", "body"))
        assert "Commenter was here" not in str(editor.text("peace-development", "body"))


def test_every_change_is_in_the_audit_log(people: ServerProcess) -> None:
    with client(people, SECRETARIAT) as http:
        created = http.post(CHARTER + "/clauses", json={"title": "Audited", "body": ""})
        key = created.json()["id"]
        http.patch(f"{CHARTER}/clauses/{key}", json={"frozen": True})
        http.delete(f"{CHARTER}/clauses/{key}")
        entries = http.get(CHARTER + "/audit").json()["entries"]
    actions = [(e["action"], e["target"]) for e in entries[:3]]
    assert actions == [
        ("clause.remove", f"clause:{key}"),
        ("clause.change", f"clause:{key}"),
        ("clause.add", f"clause:{key}"),
    ]
    assert entries[1]["details"] == {"frozen": [False, True]}
    assert all(e["actor_id"] for e in entries[:3])


async def test_revoking_a_token_closes_the_live_documents_it_opened(people: ServerProcess) -> None:
    with people.signed_in(EDITOR) as http:
        issued = http.post("/api/tokens", json={"name": "laptop"}).json()
        url = f"{people.ws_url(as_=None)}?token={issued['secret']}"
        async with (
            websockets.connect(url) as revoked,
            LiveClient.connect(people.ws_url(as_=EDITOR)) as other,
        ):
            await asyncio.wait_for(revoked.recv(), 10)  # in: the server's sync step 1
            await asyncio.wait_for(other.synced.wait(), 10)
            assert http.delete(f"/api/tokens/{issued['id']}").status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await read_until_closed(revoked, 10)
            # The editor's other connection (another token) stays open and served.
            other.text("preamble", "title").insert(0, "still here ")
            await eventually_async(lambda: "still here" in api_title(people, "preamble"))
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert closed.value.rcvd.reason == "this API token was revoked"
    # ...and the token opens nothing any more.
    async with websockets.connect(url) as again:
        with pytest.raises(websockets.ConnectionClosed) as refused:
            await asyncio.wait_for(again.recv(), 10)
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4401


def api_title(server: ServerProcess, key: str) -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return str(next(c["title"] for c in clauses if c["id"] == key))


async def test_freezing_a_clause_of_a_charter_no_one_has_open_does_not_load_it(
    people: ServerProcess,
) -> None:
    with client(people, SITE_ADMIN) as http:
        made = http.post(
            "/api/charters",
            json={"slug": "quiet", "title": "Quiet", "secretariat_email": SECRETARIAT},
        )
        assert made.status_code == 201
    with client(people, SECRETARIAT) as http:
        added = http.post("/api/charters/quiet/clauses", json={"title": "One", "body": ""})
        key = added.json()["id"]
        await eventually_async(lambda: "room quiet unloaded" in people.log_text(), within=20)
        loads = people.log_text().count("room quiet loaded")
        assert http.patch(f"/api/charters/quiet/clauses/{key}", json={"frozen": True}).is_success
        assert people.log_text().count("room quiet loaded") == loads
    # A client that joins afterwards finds the clause frozen.
    async with LiveClient.connect(people.ws_url("quiet", as_=SECRETARIAT)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        editor.text(key, "body").insert(0, "not while frozen")
        await eventually_async(lambda: editor.denials)
    assert "frozen" in editor.denials[0]


def test_the_sign_in_form_speaks_french_and_keeps_the_whole_next_path(
    people: ServerProcess,
) -> None:
    with httpx.Client(
        base_url=people.base_url, timeout=10, headers={"Accept-Language": "fr"}
    ) as http:
        form = http.get("/sign-in?next=/charters/lampedusa%3Fa%3D1%26b%3D2")
        assert 'action="/sign-in?next=/charters/lampedusa%3Fa%3D1%26b%3D2"' in form.text
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        refused = http.post(
            "/sign-in", data={"email": "observer@example.org", "password": "nope", "csrf": csrf}
        )
        assert refused.status_code == 401
        assert "Courriel ou mot de passe incorrect" in refused.text


async def test_domain_events_reach_open_browsers(people: ServerProcess) -> None:
    """Role, phase and frozen-clause changes arrive on the event stream within a second."""
    headers = {"Authorization": f"Bearer {people.token(EDITOR)}"}
    async with (
        httpx.AsyncClient(base_url=people.base_url, headers=headers, timeout=10) as http,
        http.stream("GET", CHARTER + "/events") as events,
    ):
        assert events.status_code == 200
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.aiter_lines()
        assert await anext(lines) == ": connected"

        async def next_event() -> dict[str, object]:
            while True:
                line = await asyncio.wait_for(anext(lines), 1.0)
                if line.startswith("data: "):
                    event: dict[str, object] = json.loads(line[6:])
                    return event

        async with httpx.AsyncClient(
            base_url=people.base_url,
            headers={"Authorization": f"Bearer {people.token(SECRETARIAT)}"},
        ) as admin:
            assert (await admin.patch(CHARTER, json={"phase": "consultation"})).status_code == 200
            assert await next_event() == {"type": "charter", "phase": "consultation", "frozen": []}
            assert (await admin.patch(CHARTER, json={"phase": "drafting"})).status_code == 200
            assert (await next_event())["phase"] == "drafting"
            frozen = await admin.patch(CHARTER + "/clauses/preamble", json={"frozen": True})
            assert frozen.status_code == 200
            assert (await next_event())["frozen"] == ["preamble"]
            await admin.patch(CHARTER + "/clauses/preamble", json={"frozen": False})
            assert (await next_event())["frozen"] == []
    async with httpx.AsyncClient(base_url=people.base_url) as http:
        assert (await http.get(CHARTER + "/events")).status_code == 401
