"""Clause revisions over the real server, on SQLite and PostgreSQL: recorded as the text settles,
as amendments merge, at each publish and on structure changes, with who typed them; word diffs;
restoring one while others type; the refusals, which change nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.client import LiveClient
from tests.conftest import BACKENDS
from tests.people import (
    ANONYMOUS,
    COMMENTER,
    EDITOR,
    OBSERVER,
    OUTSIDER,
    SECRETARIAT,
    SITE_ADMIN,
    client,
)
from tests.revising import (
    BODY,
    CHARTER,
    append,
    live_body,
    new_clause,
    publish_next,
    replace_words,
    restore,
    revisions,
    settled_server,
    sources,
)
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    yield from settled_server(request, "revisions")


def user_id(server: ServerProcess, who: str) -> int:
    with client(server, who) as http:
        return int(http.get("/api/session").json()["user"]["id"])


def contributors(revision: dict[str, Any]) -> set[int]:
    return {person["id"] for person in revision["contributors"]}


def accept_amendment(server: ServerProcess, key: str, body: str) -> int:
    with client(server, COMMENTER) as http:
        made = http.post(
            CHARTER + "/amendments",
            json={"clause": key, "kind": "replace", "body": body, "rationale": "clearer"},
        )
    assert made.status_code == 201, made.text
    amendment_id = int(made.json()["id"])
    with client(server, SECRETARIAT) as http:
        decided = http.post(
            f"{CHARTER}/amendments/{amendment_id}/decision",
            json={"decision": "accept", "reason": "agreed"},
        )
    assert decided.status_code == 200, decided.text
    return amendment_id


async def test_a_clause_history_from_typing_to_two_versions(server: ServerProcess) -> None:
    key = new_clause(server)
    assert sources(server, key) == ["structure"]
    editor_id = user_id(server, EDITOR)
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        append(editor, key, " Libraries lend books.")
        await eventually_async(lambda: sources(server, key) == ["live", "structure"])
        typed = revisions(server, key)[0]
        assert typed["body"] == BODY + " Libraries lend books."
        assert contributors(typed) == {editor_id}
        assert typed["contributors"][0]["display_name"]
        assert typed["contributors"][0]["organisation"]["name"]

        merged = BODY.replace("every child", "each child") + " Libraries lend books."
        amendment_id = accept_amendment(server, key, merged)
        history = revisions(server, key)
        assert [r["source"] for r in history] == ["amendment", "live", "structure"]
        assert history[0]["source_ref"] == str(amendment_id)
        assert history[0]["body"] == merged

        append(editor, key, " Museums open late.")
        await eventually_async(lambda: live_body(server, key).endswith("late."))
        first = publish_next(server)  # before the text settled: the publish records it
        history = revisions(server, key)
        assert history[0]["source"] == "publish"
        assert history[0]["source_ref"] == first
        assert history[0]["body"] == merged + " Museums open late."
        assert contributors(history[0]) == {editor_id}

        append(editor, key, " Markets sell bread.")
        await eventually_async(lambda: sources(server, key)[0] == "live")
        publish_next(server)  # the clause did not change since its last revision
    history = revisions(server, key)
    assert [r["source"] for r in history] == ["live", "publish", "amendment", "live", "structure"]
    assert history[0]["body"].endswith("late. Markets sell bread.")
    ids = [r["id"] for r in history]
    assert ids == sorted(ids, reverse=True)
    assert all(r["created_at"] for r in history)
    # Each revision follows the one before it.
    assert [r["previous_id"] for r in history[:-1]] == ids[1:]
    assert history[-1]["previous_id"] is None

    with client(server, OBSERVER) as http:
        diff = http.get(
            f"{CHARTER}/clauses/{key}/revisions/diff",
            params={"from": history[-1]["id"], "to": history[2]["id"]},
        )
        to_live = http.get(
            f"{CHARTER}/clauses/{key}/revisions/diff", params={"from": history[1]["id"]}
        )
    assert diff.status_code == 200, diff.text
    assert ["-", "every"] in diff.json()["body_diff"]
    assert ["+", "each"] in diff.json()["body_diff"]
    assert ["+", " Libraries lend books."] in diff.json()["body_diff"]
    assert all(op == "=" for op, _ in diff.json()["title_diff"])
    assert to_live.json()["body_diff"][-1] == ["+", " Markets sell bread."]


async def test_restoring_keeps_what_another_member_types_meanwhile(server: ServerProcess) -> None:
    key = new_clause(server)
    original = revisions(server, key)[0]
    async with (
        LiveClient.connect(server.ws_url(as_=EDITOR)) as editor,
        LiveClient.connect(server.ws_url(as_=OBSERVER)) as observer,
    ):
        await asyncio.wait_for(editor.synced.wait(), 10)
        await asyncio.wait_for(observer.synced.wait(), 10)
        replace_words(editor, key, "every child", "all children")
        await eventually_async(lambda: sources(server, key) == ["live", "structure"])
        headers = {"Authorization": f"Bearer {server.token(OBSERVER)}"}
        async with (
            httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=10) as http,
            http.stream("GET", CHARTER + "/events") as events,
        ):
            lines = events.aiter_lines()
            assert await anext(lines) == ": connected"
            typed = ""

            async def type_words() -> None:
                nonlocal typed
                for word in ("Each", " neighbourhood", " has", " a", " voice. "):
                    editor.text(key, "body").insert(len(typed.encode()), word)
                    typed += word
                    await asyncio.sleep(0.05)

            typing = asyncio.create_task(type_words())
            await asyncio.sleep(0.08)
            done = await asyncio.to_thread(restore, server, SECRETARIAT, key, original["id"])
            await typing
            assert done.status_code == 200, done.text
            recorded = done.json()["revision"]
            assert recorded["source"] == "restore"
            assert recorded["source_ref"] == str(original["id"])
            assert contributors(recorded) == {user_id(server, SECRETARIAT)}
            while True:
                line = await asyncio.wait_for(anext(lines), 5)
                if line.startswith("data: ") and json.loads(line[6:])["type"] == "revision":
                    event = json.loads(line[6:])
                    break
            assert event == {
                "type": "revision",
                "action": "restored",
                "clause": key,
                "restored": original["id"],
                "revision": recorded["id"],
            }
        final = typed + BODY
        for live in (editor, observer):
            await eventually_async(lambda live=live: str(live.text(key, "body")) == final)
        await eventually_async(lambda: live_body(server, key) == final)
    assert "restore" in sources(server, key)
    await eventually_async(lambda: revisions(server, key)[0]["body"] == final)


REFUSALS = [
    ("anonymous", ANONYMOUS, 401),
    ("outsider", OUTSIDER, 403),
    ("site admin", SITE_ADMIN, 403),
    ("observer", OBSERVER, 403),
    ("commenter", COMMENTER, 403),
    ("editor", EDITOR, 403),
]


def everything(server: ServerProcess, key: str) -> dict[str, Any]:
    with client(server, SECRETARIAT) as http:
        return {
            "charter": http.get(CHARTER).json(),
            "revisions": http.get(f"{CHARTER}/clauses/{key}/revisions").json(),
        }


@pytest.mark.parametrize(("name", "who", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_only_the_secretariat_restores(
    server: ServerProcess, name: str, who: str | None, status: int
) -> None:
    key = new_clause(server)
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        replace_words(editor, key, "Parks", "Gardens")
        await eventually_async(lambda: len(revisions(server, key)) == 2)
    first = revisions(server, key)[-1]["id"]
    before = everything(server, key)
    refused = restore(server, who, key, first)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"] in ("unauthenticated", "forbidden")
    assert everything(server, key) == before
    allowed = restore(server, SECRETARIAT, key, first)
    assert allowed.status_code == 200, allowed.text
    assert live_body(server, key) == BODY


def test_members_read_histories_and_others_do_not(server: ServerProcess) -> None:
    key = new_clause(server)
    for who in (OBSERVER, COMMENTER, EDITOR, SECRETARIAT):
        assert [r["source"] for r in revisions(server, key, who)] == ["structure"]
    first = revisions(server, key)[0]["id"]
    for who, status in ((ANONYMOUS, 401), (OUTSIDER, 403)):
        with client(server, who) as http:
            listed = http.get(f"{CHARTER}/clauses/{key}/revisions")
            diffed = http.get(f"{CHARTER}/clauses/{key}/revisions/diff?from={first}&to=live")
        assert listed.status_code == status
        assert diffed.status_code == status
    with client(server, OBSERVER) as http:
        assert http.get(f"{CHARTER}/clauses/nothing-here/revisions").status_code == 404


def test_a_revision_of_another_clause_or_charter_is_not_found(server: ServerProcess) -> None:
    key, other = new_clause(server), new_clause(server, "Other words.")
    theirs = revisions(server, other)[0]["id"]
    with client(server, SITE_ADMIN) as http:
        made = http.post(
            "/api/charters",
            json={"slug": f"other-{key}", "title": "Other", "secretariat_email": SECRETARIAT},
        )
    assert made.status_code == 201, made.text
    elsewhere = f"/api/charters/{made.json()['slug']}"
    with client(server, SECRETARIAT) as http:
        clause = http.post(elsewhere + "/clauses", json={"title": "T", "body": "Far words."})
        assert clause.status_code == 201, clause.text
        far_key = clause.json()["id"]
        far = http.get(f"{elsewhere}/clauses/{far_key}/revisions").json()["revisions"][0]["id"]
    before = everything(server, key)
    for revision in (theirs, far, 10**12, "abc"):
        assert restore(server, SECRETARIAT, key, revision).status_code == 404
        with client(server, OBSERVER) as http:
            diffed = http.get(f"{CHARTER}/clauses/{key}/revisions/diff?from={revision}&to=live")
        assert diffed.status_code == 404
    assert everything(server, key) == before


def test_a_frozen_clause_or_a_closed_charter_takes_no_restore(server: ServerProcess) -> None:
    key = new_clause(server)
    first = revisions(server, key)[0]["id"]
    with client(server, SECRETARIAT) as http:
        assert http.patch(f"{CHARTER}/clauses/{key}", json={"frozen": True}).status_code == 200
    try:
        before = everything(server, key)
        refused = restore(server, SECRETARIAT, key, first)
        assert refused.status_code == 403
        assert everything(server, key) == before
    finally:
        with client(server, SECRETARIAT) as http:
            http.patch(f"{CHARTER}/clauses/{key}", json={"frozen": False})
    with client(server, SECRETARIAT) as http:
        assert http.patch(CHARTER, json={"phase": "closed"}).status_code == 200
    try:
        before = everything(server, key)
        assert restore(server, SECRETARIAT, key, first).status_code == 403
        assert everything(server, key) == before
    finally:
        with client(server, SECRETARIAT) as http:
            assert http.patch(CHARTER, json={"phase": "drafting"}).status_code == 200


def test_the_demo_charter_comes_with_revisions(server: ServerProcess) -> None:
    assert sources(server, "inclusive-citizenship") == ["amendment", "publish"]
    assert sources(server, "natural-phenomenon") == ["live", "publish"]
    assert sources(server, "preamble") == ["publish"]
    assert revisions(server, "preamble")[0]["source_ref"] == "0.1"
    edited = revisions(server, "natural-phenomenon")[0]
    assert contributors(edited) == {user_id(server, EDITOR)}
    assert edited["body"].endswith("through the ties they keep.")


async def test_a_restore_clashing_with_unsettled_typing_is_refused(server: ServerProcess) -> None:
    key = new_clause(server)
    first = revisions(server, key)[0]["id"]
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        replace_words(editor, key, "every child", "all children")
        await eventually_async(lambda: sources(server, key) == ["live", "structure"])
        # The same words again, restored before this typing settles: a clash.
        replace_words(editor, key, "all children", "each child")
        typed = BODY.replace("every child", "each child")
        await eventually_async(lambda: live_body(server, key) == typed)
        refused = restore(server, SECRETARIAT, key, first)
        assert refused.status_code == 409, refused.text
        conflict = refused.json()["conflicts"][0]
        assert conflict == {"field": "body", "base": "all", "live": "each", "amendment": "every"}
        assert live_body(server, key) == typed
        assert str(editor.text(key, "body")) == typed
    assert "restore" not in sources(server, key)


async def test_typing_before_a_move_or_a_deletion_is_recorded_as_a_structure_change(
    server: ServerProcess,
) -> None:
    moved, deleted = new_clause(server), new_clause(server)
    editor_id = user_id(server, EDITOR)
    async with LiveClient.connect(server.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        for key in (moved, deleted):
            append(editor, key, " Typed just before.")
        for key in (moved, deleted):
            await eventually_async(lambda key=key: live_body(server, key).endswith("before."))
        with client(server, SECRETARIAT) as http:
            assert http.patch(f"{CHARTER}/clauses/{moved}", json={"position": 1}).status_code == 200
            assert http.delete(f"{CHARTER}/clauses/{deleted}").status_code == 204
    for key in (moved, deleted):
        history = revisions(server, key)
        assert [r["source"] for r in history] == ["structure", "structure"]
        assert history[0]["body"] == BODY + " Typed just before."
        assert contributors(history[0]) == {editor_id}
    # A deleted clause keeps its history, and its page.
    with client(server, OBSERVER) as http:
        page = http.get(f"/charters/lampedusa/clauses/{deleted}/history")
    assert page.status_code == 200
    assert "<ins>" not in page.text  # the latest revision against itself: no change
    assert f'id="revision-{revisions(server, deleted)[0]["id"]}"' in page.text
