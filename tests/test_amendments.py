"""Amendments over the real server, on SQLite and PostgreSQL: proposing, supporting, deciding;
accepting merges into the live text while others edit it; conflicts, stale previews, refusals."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import threading
import time
from typing import Any

import httpx
import pytest

from server.client import LiveClient
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
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(120)
CHARTER = "/api/charters/lampedusa"
AMENDMENTS = CHARTER + "/amendments"
BODY = "Cities welcome newcomers. Schools teach every child. Parks are open to all."
_serial = itertools.count()


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def new_clause(server: ServerProcess, body: str = BODY) -> str:
    with client(server, SECRETARIAT) as http:
        title = f"Welcome {next(_serial)}"
        response = http.post(CHARTER + "/clauses", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def clause_of(server: ServerProcess, key: str) -> dict[str, Any]:
    with client(server, OBSERVER) as http:
        clauses = http.get(CHARTER).json()["clauses"]
    return next(c for c in clauses if c["id"] == key)


def propose(server: ServerProcess, who: str, clause: str, **fields: Any) -> httpx.Response:
    body = {"clause": clause, "kind": "replace", "rationale": "clearer", **fields}
    with client(server, who) as http:
        return http.post(AMENDMENTS, json=body)


def amendment(server: ServerProcess, amendment_id: int) -> dict[str, Any]:
    with client(server, OBSERVER) as http:
        response = http.get(f"{AMENDMENTS}/{amendment_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def decide(server: ServerProcess, who: str, amendment_id: int, decision: str, reason: str = ""):
    with client(server, who) as http:
        return http.post(
            f"{AMENDMENTS}/{amendment_id}/decision", json={"decision": decision, "reason": reason}
        )


def replace_words(live: LiveClient, clause: str, old: str, new: str) -> None:
    """Edit the live body as a client would: delete ``old``'s characters, insert ``new``."""
    text = live.text(clause, "body")
    current = str(text)
    start = len(current[: current.index(old)].encode())
    with live.doc.transaction():
        del text[start : start + len(old.encode())]
        text.insert(start, new)


def append(live: LiveClient, clause: str, words: str) -> None:
    text = live.text(clause, "body")
    text.insert(len(str(text).encode()), words)


def state(server: ServerProcess) -> dict[str, Any]:
    """What a refused call must leave as it was."""
    with client(server, SECRETARIAT) as http:
        return {path: http.get(path).json() for path in (CHARTER, AMENDMENTS)}


async def test_accepting_merges_into_a_clause_others_edited_meanwhile(
    people: ServerProcess,
) -> None:
    key = new_clause(people)
    proposed = BODY.replace("welcome newcomers", "welcome all newcomers")
    created = propose(people, COMMENTER, key, body=proposed)
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["status"] == "open"
    assert proposal["stale"] is False
    assert proposal["base"]["body"] == BODY
    assert proposal["author"]["display_name"]
    assert [step["event"] for step in proposal["history"]] == ["opened"]
    async with (
        LiveClient.connect(people.ws_url(as_=EDITOR)) as editor,
        LiveClient.connect(people.ws_url(as_=OBSERVER)) as observer,
    ):
        await asyncio.wait_for(editor.synced.wait(), 10)
        await asyncio.wait_for(observer.synced.wait(), 10)
        append(editor, key, " Libraries lend books.")
        await eventually_async(lambda: clause_of(people, key)["body"].endswith("books."))
        listed = amendment(people, proposal["id"])
        assert listed["stale"] is True
        expected = proposed + " Libraries lend books."
        assert listed["preview"]["body"] == expected
        assert listed["conflicts"] == []
        accepted = decide(people, SECRETARIAT, proposal["id"], "accept", "agreed in the session")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "merged"
        assert clause_of(people, key)["body"] == expected
        for live in (editor, observer):
            await eventually_async(lambda live=live: str(live.text(key, "body")) == expected)
    history = amendment(people, proposal["id"])["history"]
    assert [step["event"] for step in history] == ["opened", "merged"]
    assert history[-1]["reason"] == "agreed in the session"
    assert history[-1]["actor"]["display_name"]


async def test_accepting_while_an_editor_types_in_the_same_clause_keeps_the_typing(
    people: ServerProcess,
) -> None:
    key = new_clause(people)
    proposed = BODY.replace("Parks are open to all.", "Parks and pools are open to all.")
    proposal = propose(people, EDITOR, key, body=proposed).json()
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        typed = ""

        async def type_words() -> None:
            nonlocal typed
            for word in ("Each", " neighbourhood", " has", " a", " voice."):
                text = editor.text(key, "body")
                text.insert(len(typed.encode()), word)
                typed += word
                await asyncio.sleep(0.05)

        typing = asyncio.create_task(type_words())
        await asyncio.sleep(0.08)
        accepted = await asyncio.to_thread(decide, people, SECRETARIAT, proposal["id"], "accept")
        await typing
        assert accepted.status_code == 200, accepted.text
        final = typed + proposed
        await eventually_async(lambda: clause_of(people, key)["body"] == final)
        await eventually_async(lambda: str(editor.text(key, "body")) == final)


async def test_a_clash_is_refused_with_the_passages_and_marks_the_amendment(
    people: ServerProcess,
) -> None:
    key = new_clause(people)
    proposal = propose(people, COMMENTER, key, body=BODY.replace("every child", "each child"))
    proposal_id = proposal.json()["id"]
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        replace_words(editor, key, "every", "all")
        expected = BODY.replace("every child", "all child")
        await eventually_async(lambda: clause_of(people, key)["body"] == expected)
    listed = amendment(people, proposal_id)
    assert listed["stale"] is True
    assert listed["preview"] is None
    assert listed["conflicts"] == [
        {"field": "body", "base": "every", "live": "all", "amendment": "each"}
    ]
    refused = decide(people, SECRETARIAT, proposal_id, "accept")
    assert refused.status_code == 409
    assert refused.json()["error"] == "conflict"
    assert refused.json()["conflicts"][0]["base"] == "every"
    assert clause_of(people, key)["body"] == expected
    after = amendment(people, proposal_id)
    assert after["status"] == "open"
    assert after["conflicted"] is True
    assert [step["event"] for step in after["history"]] == ["opened", "conflicted"]
    # The author re-bases it on the text now; it is no longer conflicted, and merges.
    with client(people, COMMENTER) as http:
        revised = http.patch(
            f"{AMENDMENTS}/{proposal_id}",
            json={"body": expected.replace("all child", "each child")},
        )
    assert revised.status_code == 200, revised.text
    assert revised.json()["conflicted"] is False
    assert revised.json()["stale"] is False
    assert decide(people, SECRETARIAT, proposal_id, "accept").status_code == 200
    assert clause_of(people, key)["body"] == BODY.replace("every child", "each child")


def test_inserting_and_deleting_clauses(people: ServerProcess) -> None:
    key = new_clause(people)
    inserted = propose(
        people, COMMENTER, key, kind="insert_after", title="Libraries", body="Libraries lend books."
    ).json()
    assert decide(people, SECRETARIAT, inserted["id"], "accept").status_code == 200
    merged = amendment(people, inserted["id"])
    new_key = merged["merged_clause"]
    with client(people, OBSERVER) as http:
        keys = [c["id"] for c in http.get(CHARTER).json()["clauses"]]
    assert keys[keys.index(key) + 1] == new_key
    assert clause_of(people, new_key)["body"] == "Libraries lend books."
    deleted = propose(people, EDITOR, new_key, kind="delete").json()
    assert decide(people, SECRETARIAT, deleted["id"], "accept").status_code == 200
    with client(people, OBSERVER) as http:
        assert new_key not in [c["id"] for c in http.get(CHARTER).json()["clauses"]]


def test_supports_withdrawal_and_rejection(people: ServerProcess) -> None:
    key = new_clause(people)
    proposal_id = propose(people, COMMENTER, key, title="Welcome everyone").json()["id"]
    with client(people, EDITOR) as http:
        first = http.post(f"{AMENDMENTS}/{proposal_id}/supports")
        again = http.post(f"{AMENDMENTS}/{proposal_id}/supports")
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(again.json()["supports"]) == 1
    assert again.json()["supports"][0]["user"]["display_name"]
    with client(people, COMMENTER) as http:
        own = http.post(f"{AMENDMENTS}/{proposal_id}/supports")
    assert own.status_code == 400
    with client(people, EDITOR) as http:
        assert len(http.delete(f"{AMENDMENTS}/{proposal_id}/supports").json()["supports"]) == 0
        not_theirs = http.post(f"{AMENDMENTS}/{proposal_id}/withdraw")
    assert not_theirs.status_code == 403
    no_reason = decide(people, SECRETARIAT, proposal_id, "reject", "  ")
    assert no_reason.status_code == 400
    rejected = decide(people, SECRETARIAT, proposal_id, "reject", "out of scope")
    assert rejected.json()["status"] == "rejected"
    assert decide(people, SECRETARIAT, proposal_id, "accept").status_code == 409
    assert decide(people, SECRETARIAT, proposal_id, "reject", "again").status_code == 409
    steps = [step["event"] for step in amendment(people, proposal_id)["history"]]
    assert steps == ["opened", "supported", "unsupported", "rejected"]
    withdrawn_id = propose(people, COMMENTER, key, title="Welcome all").json()["id"]
    with client(people, COMMENTER) as http:
        assert http.post(f"{AMENDMENTS}/{withdrawn_id}/withdraw").json()["status"] == "withdrawn"
    assert decide(people, SECRETARIAT, withdrawn_id, "accept").status_code == 409
    assert clause_of(people, key)["title"].startswith("Welcome ")


def test_counts_per_clause(people: ServerProcess) -> None:
    key = new_clause(people)
    assert clause_of(people, key)["amendments"] == 0
    first = propose(people, COMMENTER, key, title="One").json()["id"]
    propose(people, EDITOR, key, title="Two")
    assert clause_of(people, key)["amendments"] == 2
    decide(people, SECRETARIAT, first, "reject", "no")
    assert clause_of(people, key)["amendments"] == 1
    with client(people, OBSERVER) as http:
        listed = http.get(AMENDMENTS, params={"clause": key, "status": "open"}).json()
    assert [a["title"] for a in listed["amendments"]] == ["Two"]


REFUSALS = [
    ("observer proposes", OBSERVER, 403, lambda key: ("post", AMENDMENTS, _body(key))),
    ("outsider proposes", OUTSIDER, 403, lambda key: ("post", AMENDMENTS, _body(key))),
    ("site admin proposes", SITE_ADMIN, 403, lambda key: ("post", AMENDMENTS, _body(key))),
    ("no one proposes", ANONYMOUS, 401, lambda key: ("post", AMENDMENTS, _body(key))),
    ("outsider lists", OUTSIDER, 403, lambda key: ("get", AMENDMENTS, None)),
    ("unknown kind", COMMENTER, 400, lambda key: ("post", AMENDMENTS, _body(key, kind="x"))),
    ("unknown clause", COMMENTER, 404, lambda key: ("post", AMENDMENTS, _body("nope"))),
    ("empty rationale", COMMENTER, 400, lambda key: ("post", AMENDMENTS, _body(key, rationale=""))),
    ("same text", COMMENTER, 400, lambda key: ("post", AMENDMENTS, _body(key, **SAME_TITLE))),
    ("no text", COMMENTER, 400, lambda key: ("post", AMENDMENTS, _body(key, body=None))),
    ("text to delete", COMMENTER, 400, lambda key: ("post", AMENDMENTS, _body(key, kind="delete"))),
    ("huge body", COMMENTER, 413, lambda key: ("post", AMENDMENTS, _body(key, body="x" * 100_001))),
    (
        "long rationale",
        COMMENTER,
        400,
        lambda key: ("post", AMENDMENTS, _body(key, rationale="x" * 10_001)),
    ),
    ("bad status", OBSERVER, 400, lambda key: ("get", AMENDMENTS + "?status=maybe", None)),
]


SAME_TITLE = {"title": "Participation of migrants and civil society", "body": None}


def _body(key: str, **fields: Any) -> dict[str, Any]:
    base = {"clause": key, "kind": "replace", "body": "Another text.", "rationale": "why not"}
    return {name: value for name, value in {**base, **fields}.items() if value is not None}


@pytest.mark.parametrize(("name", "who", "status", "request_of"), REFUSALS, ids=lambda v: str(v))
def test_a_refused_call_changes_nothing(
    people: ServerProcess, name: str, who: str | None, status: int, request_of: Any
) -> None:
    key = "participation"
    before = state(people)
    method, path, body = request_of(key)
    with client(people, who) as http:
        response = http.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert state(people) == before


def test_decisions_are_the_secretariats_and_bad_bodies_are_refused(people: ServerProcess) -> None:
    key = new_clause(people)
    proposal_id = propose(people, COMMENTER, key, title="Welcome, all").json()["id"]
    before = state(people)
    for who, expected in ((EDITOR, 403), (COMMENTER, 403), (OBSERVER, 403), (OUTSIDER, 403)):
        assert decide(people, who, proposal_id, "accept").status_code == expected
    path = f"{AMENDMENTS}/{proposal_id}/decision"
    with client(people, SECRETARIAT) as http:
        garbage = http.post(
            path, content=b"{not json", headers={"content-type": "application/json"}
        )
        unknown = http.post(path, json={"decision": "maybe"})
        extra = http.post(path, json={"decision": "accept", "sneaky": 1})
        missing = http.get(f"{AMENDMENTS}/999999")
        nonsense = http.get(f"{AMENDMENTS}/..%2F1")
    assert [r.status_code for r in (garbage, unknown, extra)] == [400, 400, 400]
    assert (missing.status_code, nonsense.status_code) == (404, 404)
    assert state(people) == before


def test_frozen_clauses_and_a_closed_charter_take_no_amendments(people: ServerProcess) -> None:
    key = new_clause(people)
    open_id = propose(people, COMMENTER, key, title="Before the freeze").json()["id"]
    with client(people, SECRETARIAT) as http:
        assert http.patch(f"{CHARTER}/clauses/{key}", json={"frozen": True}).status_code == 200
    try:
        before = state(people)
        assert propose(people, COMMENTER, key, title="Frozen").status_code == 403
        assert decide(people, SECRETARIAT, open_id, "accept").status_code == 403
        assert state(people) == before
    finally:
        with client(people, SECRETARIAT) as http:
            http.patch(f"{CHARTER}/clauses/{key}", json={"frozen": False})
    with client(people, SECRETARIAT) as http:
        assert http.patch(CHARTER, json={"phase": "closed"}).status_code == 200
    try:
        before = state(people)
        assert propose(people, COMMENTER, key, title="Closed").status_code == 403
        assert decide(people, SECRETARIAT, open_id, "reject", "closed").status_code == 403
        with client(people, EDITOR) as http:
            assert http.post(f"{AMENDMENTS}/{open_id}/supports").status_code == 403
        assert state(people) == before
    finally:
        with client(people, SECRETARIAT) as http:
            assert http.patch(CHARTER, json={"phase": "drafting"}).status_code == 200


def test_another_charters_amendments_are_not_reachable(people: ServerProcess) -> None:
    with client(people, SITE_ADMIN) as http:
        made = http.post(
            "/api/charters",
            json={
                "slug": f"other-{next(_serial)}",
                "title": "Other",
                "secretariat_email": SECRETARIAT,
            },
        )
    assert made.status_code == 201, made.text
    other = f"/api/charters/{made.json()['slug']}"
    with client(people, SECRETARIAT) as http:
        clause = http.post(other + "/clauses", json={"title": "T", "body": "Some words here."})
        assert clause.status_code == 201, clause.text
        theirs = http.post(
            other + "/amendments",
            json={
                "clause": clause.json()["id"],
                "kind": "replace",
                "body": "Other words here.",
                "rationale": "r",
            },
        )
    assert theirs.status_code == 201, theirs.text
    their_id = theirs.json()["id"]
    before = state(people)
    with client(people, SECRETARIAT) as http:
        assert http.get(f"{AMENDMENTS}/{their_id}").status_code == 404
        assert decide(people, SECRETARIAT, their_id, "accept").status_code == 404
        assert http.post(f"{AMENDMENTS}/{their_id}/supports").status_code == 404
        assert their_id not in [a["id"] for a in http.get(AMENDMENTS).json()["amendments"]]
    assert state(people) == before


def _events(
    server: ServerProcess,
    who: str,
    found: list[dict[str, Any]],
    ready: threading.Event,
    stop: threading.Event,
) -> None:
    headers = {"Authorization": f"Bearer {server.token(who)}"}
    with (
        httpx.Client(
            base_url=server.base_url, headers=headers, timeout=httpx.Timeout(10.0, read=30.0)
        ) as http,
        http.stream("GET", CHARTER + "/events") as response,
    ):
        for line in response.iter_lines():
            ready.set()
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
            if stop.is_set():
                return


def test_an_open_page_hears_of_a_new_amendment_within_a_second(people: ServerProcess) -> None:
    key = new_clause(people)
    found: list[dict[str, Any]] = []
    ready, stop = threading.Event(), threading.Event()
    listener = threading.Thread(target=_events, args=(people, OBSERVER, found, ready, stop))
    listener.start()
    try:
        assert ready.wait(10)
        sent = time.monotonic()
        proposal_id = propose(people, COMMENTER, key, title="Heard").json()["id"]
        deadline = sent + 1.0
        while time.monotonic() < deadline and not any(
            e.get("type") == "amendment" and e.get("amendment") == proposal_id for e in found
        ):
            time.sleep(0.02)
        event = next(e for e in found if e.get("amendment") == proposal_id)
        assert event == {
            "type": "amendment",
            "action": "proposed",
            "amendment": proposal_id,
            "clause": key,
            "status": "open",
        }
    finally:
        stop.set()
        propose(people, EDITOR, key, title="Wake the listener")  # its next event ends the loop
        listener.join(10)


def test_the_amendments_page_escapes_shows_each_role_its_forms_and_checks_csrf(
    people: ServerProcess,
) -> None:
    key = new_clause(people)
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    proposal_id = propose(people, COMMENTER, key, title="Hostile", rationale=hostile).json()["id"]
    page_path = "/charters/lampedusa/amendments"
    with people.signed_in(OBSERVER) as http:
        seen = http.get(page_path)
    assert seen.status_code == 200
    assert f'id="amendment-{proposal_id}"' in seen.text
    assert "<script>alert" not in seen.text
    assert "<img src=x" not in seen.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen.text
    assert 'class="stacked propose"' not in seen.text  # observers do not propose
    assert "/decision" not in seen.text
    with people.signed_in(SECRETARIAT) as http:
        seen = http.get(page_path)
        assert f"/amendments/{proposal_id}/decision" in seen.text
        prefilled = http.get(page_path, params={"clause": key})
        assert BODY in prefilled.text  # "propose an amendment" starts from the clause's text
        before = state(people)
        forged = http.post(
            f"{page_path}/{proposal_id}/decision", data={"decision": "accept", "csrf": "forged"}
        )
        assert forged.status_code == 403
        assert state(people) == before
    with httpx.Client(base_url=people.base_url) as anonymous:
        assert anonymous.get(page_path).status_code == 303  # to the sign-in page


def test_the_consultation_report_as_csv_and_as_a_page(people: ServerProcess) -> None:
    key = new_clause(people)
    formula = '=HYPERLINK("http://example.org","click")'
    hostile = "<script>alert(1)</script>"
    proposal_id = propose(people, COMMENTER, key, title="Reported", rationale=formula).json()["id"]
    decide(people, SECRETARIAT, proposal_id, "reject", hostile)
    with client(people, SECRETARIAT) as http:
        whole = http.get(CHARTER + "/report.csv")
        one = http.get(CHARTER + "/report.csv", params={"clause": key})
    assert whole.status_code == 200
    assert whole.headers["content-type"].startswith("text/csv")
    assert "attachment" in whole.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(one.text)))
    assert [(r["type"], r["id"], r["clause"]) for r in rows] == [
        ("amendment", str(proposal_id), key)
    ]
    row = rows[0]
    assert row["author"] == "Chiara Commenter"
    assert row["organisation"] == "Demo welcome network"
    assert (row["organisation_kind"], row["country"]) == ("civil_society", "IT")
    assert row["status"] == "rejected"
    assert row["rationale"] == "'" + formula  # shown as text by a spreadsheet, never run
    assert row["decided_by"] == "Sam Secretariat"
    assert row["reason"] == hostile
    all_rows = list(csv.DictReader(io.StringIO(whole.text)))
    assert len(all_rows) > len(rows)
    assert {r["status"] for r in all_rows} >= {"merged", "rejected", "open"}
    with people.signed_in(SECRETARIAT) as http:
        page = http.get("/charters/lampedusa/report", params={"clause": key})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert f"<strong>Amendment {proposal_id}</strong>" in page.text
    for who in (COMMENTER, EDITOR, OBSERVER, OUTSIDER):
        with client(people, who) as http:
            assert http.get(CHARTER + "/report.csv").status_code == 403
    with people.signed_in(EDITOR) as http:
        assert http.get("/charters/lampedusa/report").status_code == 403
    with httpx.Client(base_url=people.base_url) as anonymous:
        assert anonymous.get(CHARTER + "/report.csv").status_code == 401
