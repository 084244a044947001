"""Comments over the real server: the contract's shapes, who may do what (and that a refusal
changes nothing), bad input, other charters, and hostile bodies (live edits and the event
stream: ``test_comments_live``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.commenting import (
    CHARTER,
    COMMENTS,
    clause_json,
    comment_of,
    everything,
    made,
    post,
    utf16,
)
from tests.hostile import HOSTILE_BODIES, inert_problems
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
COMMENT_KEYS = {
    "id",
    "clause",
    "reply_to",
    "author",
    "body",
    "body_html",
    "status",
    "hidden_reason",
    "anchor",
    "reactions",
    "created_at",
    "edited_at",
    "my_reaction",
}


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


@pytest.fixture
def as_(people: ServerProcess) -> Iterator[Any]:
    opened: list[httpx.Client] = []

    def make(who: str | None) -> httpx.Client:
        opened.append(client(people, who))
        return opened[-1]

    yield make
    for http in opened:
        http.close()


def test_a_comment_has_the_contract_shape_and_counts_on_its_clause(as_: Any) -> None:
    commenter, editor = as_(COMMENTER), as_(EDITOR)
    before = next(c for c in editor.get(CHARTER).json()["clauses"] if c["id"] == "preamble")
    comment = made(
        commenter,
        clause="preamble",
        body="We *support* this.\n\nSee [the note](https://example.org).",
    )
    assert set(comment) == COMMENT_KEYS
    assert comment["clause"] == "preamble"
    assert comment["reply_to"] is None
    assert comment["status"] == "open"
    assert comment["anchor"] is None
    assert comment["reactions"] == {"agree": 0, "disagree": 0}
    assert comment["edited_at"] is None
    assert comment["created_at"]
    assert comment["body_html"].startswith("<p>We <em>support</em> this.</p>")
    assert 'href="https://example.org"' in comment["body_html"]
    author = comment["author"]
    assert set(author) == {"id", "display_name", "organisation"}
    assert set(author["organisation"]) == {"id", "name", "kind", "country"}
    listed = editor.get(COMMENTS, params={"clause": "preamble"}).json()
    assert set(listed) == {"comments"}
    assert comment in listed["comments"]
    after = next(c for c in editor.get(CHARTER).json()["clauses"] if c["id"] == "preamble")
    assert after["comments"] == before["comments"] + 1
    reply = made(editor, clause="preamble", body="Agreed.", reply_to=comment["id"])
    assert reply["reply_to"] == comment["id"]
    # A reply is not a thread of its own: the count is of open threads.
    assert clause_json_from(editor, "preamble")["comments"] == after["comments"]


def clause_json_from(http: httpx.Client, key: str) -> dict[str, Any]:
    clauses = http.get(CHARTER).json()["clauses"]
    found: dict[str, Any] = next(c for c in clauses if c["id"] == key)
    return found


def test_edit_resolve_react_report_and_hide(as_: Any, people: ServerProcess) -> None:
    commenter, editor, secretariat = as_(COMMENTER), as_(EDITOR), as_(SECRETARIAT)
    comment = made(commenter, clause="participation", body="First words")
    url = f"{COMMENTS}/{comment['id']}"

    edited = commenter.patch(url, json={"body": "Second words"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "Second words"
    assert edited.json()["edited_at"]

    assert editor.post(url + "/reactions", json={"reaction": "agree"}).json()["reactions"] == {
        "agree": 1,
        "disagree": 0,
    }
    # A second reaction replaces the first.
    again = editor.post(url + "/reactions", json={"reaction": "disagree"})
    assert again.json()["reactions"] == {"agree": 0, "disagree": 1}
    assert again.json()["my_reaction"] == "disagree"
    assert secretariat.post(url + "/reactions", json={"reaction": "agree"}).status_code == 200
    # Each reader is told their own reaction, and only theirs.
    listed = {c["id"]: c for c in editor.get(COMMENTS).json()["comments"]}
    assert listed[comment["id"]]["my_reaction"] == "disagree"
    listed = {c["id"]: c for c in commenter.get(COMMENTS).json()["comments"]}
    assert listed[comment["id"]]["my_reaction"] is None
    withdrawn = editor.delete(url + "/reactions")
    assert withdrawn.json()["reactions"] == {"agree": 1, "disagree": 0}
    assert withdrawn.json()["my_reaction"] is None

    resolved = secretariat.patch(url, json={"status": "resolved"})
    assert resolved.json()["status"] == "resolved"
    assert commenter.patch(url, json={"status": "open"}).json()["status"] == "open"

    assert editor.post(url + "/report").status_code == 204
    assert editor.post(url + "/report").status_code == 409  # once each
    assert commenter.post(url + "/report").status_code == 204

    hidden = secretariat.post(url + "/hide", json={"reason": "off topic"})
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["status"] == "hidden"
    assert hidden.json()["body"] == "Second words"
    for who, sees in ((EDITOR, False), (OBSERVER, False), (COMMENTER, True), (SECRETARIAT, True)):
        seen = comment_of(people, comment["id"], who)
        assert seen["status"] == "hidden"
        assert (seen["body"], bool(seen["body_html"])) == (
            ("Second words", True) if sees else ("", False)
        )
        assert seen["hidden_reason"] == ("off topic" if sees else None)
    assert (
        secretariat.get(COMMENTS, params={"status": "hidden"}).json()["comments"][-1]["id"]
        == comment["id"]
    )
    # Hidden stays hidden: no edit, status change, reaction or report.
    assert commenter.patch(url, json={"body": "x"}).status_code == 409
    assert secretariat.patch(url, json={"status": "open"}).status_code == 409
    assert editor.post(url + "/reactions", json={"reaction": "agree"}).status_code == 409
    audit = secretariat.get(CHARTER + "/audit").json()
    entry = next(e for e in audit["entries"] if e["action"] == "comment.hide")
    assert entry["target"] == f"comment:{comment['id']}"
    assert "off topic" in json.dumps(entry)
    assert "Second words" in json.dumps(entry)


def test_who_may_do_what_and_refusals_change_nothing(as_: Any, people: ServerProcess) -> None:
    comment = made(as_(COMMENTER), clause="participation", body="Mine")
    url = f"{COMMENTS}/{comment['id']}"
    for who, status in ((ANONYMOUS, 401), (OUTSIDER, 403), (SITE_ADMIN, 403)):
        assert as_(who).get(COMMENTS).status_code == status
    assert as_(OBSERVER).get(COMMENTS).status_code == 200
    refusals: list[tuple[str | None, str, str, dict[str, Any] | None, int]] = [
        (ANONYMOUS, "POST", COMMENTS, {"clause": "participation", "body": "x"}, 401),
        (OUTSIDER, "POST", COMMENTS, {"clause": "participation", "body": "x"}, 403),
        (OBSERVER, "POST", COMMENTS, {"clause": "participation", "body": "x"}, 403),
        (OBSERVER, "POST", url + "/reactions", {"reaction": "agree"}, 403),
        (OBSERVER, "POST", url + "/report", None, 403),
        (EDITOR, "PATCH", url, {"body": "not mine"}, 403),
        (SECRETARIAT, "PATCH", url, {"body": "not mine either"}, 403),
        (EDITOR, "PATCH", url, {"status": "resolved"}, 403),
        (COMMENTER, "PATCH", url, {"status": "hidden"}, 400),
        (COMMENTER, "POST", url + "/hide", {"reason": "mine"}, 403),
        (EDITOR, "POST", url + "/hide", {"reason": "spam"}, 403),
        (OBSERVER, "POST", url + "/hide", {"reason": "spam"}, 403),
        (SECRETARIAT, "POST", url + "/hide", {"reason": "  "}, 400),
    ]
    for who, method, path, body, status in refusals:
        before = everything(people)
        response = as_(who).request(method, path, json=body)
        assert response.status_code == status, (who, method, path, response.text)
        assert set(response.json()) >= {"error", "message"}
        assert everything(people) == before, (who, method, path)
    # The allowed ones, for contrast.
    for who in (COMMENTER, EDITOR, SECRETARIAT):
        made(as_(who), clause="participation", body=f"from {who}")
    assert as_(SECRETARIAT).patch(url, json={"status": "resolved"}).status_code == 200


def test_a_frozen_clause_can_still_be_commented(as_: Any) -> None:
    secretariat = as_(SECRETARIAT)
    frozen = secretariat.patch(CHARTER + "/clauses/participation", json={"frozen": True})
    assert frozen.status_code == 200
    try:
        made(as_(COMMENTER), clause="participation", body="on a frozen clause")
    finally:
        secretariat.patch(CHARTER + "/clauses/participation", json={"frozen": False})


def test_nobody_writes_once_closed(as_: Any, people: ServerProcess) -> None:
    comment = made(as_(COMMENTER), clause="participation", body="before closing")
    url = f"{COMMENTS}/{comment['id']}"
    secretariat = as_(SECRETARIAT)
    assert secretariat.patch(CHARTER, json={"phase": "closed"}).status_code == 200
    try:
        before = everything(people)
        for who in (COMMENTER, EDITOR, SECRETARIAT):
            http = as_(who)
            assert post(http, clause="participation", body="late").status_code == 403
            assert http.post(url + "/reactions", json={"reaction": "agree"}).status_code == 403
            assert http.post(url + "/report").status_code == 403
        assert as_(COMMENTER).patch(url, json={"body": "late edit"}).status_code == 403
        assert secretariat.patch(url, json={"status": "resolved"}).status_code == 403
        refused = post(as_(COMMENTER), clause="participation", body="late")
        assert "closed" in refused.json()["message"]
        assert everything(people) == before
        assert as_(OBSERVER).get(COMMENTS).status_code == 200  # still readable
        # Moderation is not deliberation: the secretariat may still hide a comment.
        hidden = secretariat.post(url + "/hide", json={"reason": "abusive, found late"})
        assert hidden.json()["status"] == "hidden"
    finally:
        assert secretariat.patch(CHARTER, json={"phase": "drafting"}).status_code == 200
    # Consultation: comments are what it is for.
    assert secretariat.patch(CHARTER, json={"phase": "consultation"}).status_code == 200
    try:
        made(as_(COMMENTER), clause="participation", body="in consultation")
    finally:
        assert secretariat.patch(CHARTER, json={"phase": "drafting"}).status_code == 200


def test_bad_input_is_refused_and_changes_nothing(as_: Any, people: ServerProcess) -> None:
    commenter = as_(COMMENTER)
    body = clause_json(people, "participation")["body"]
    size = utf16(body)
    other = made(commenter, clause="preamble", body="on the preamble")
    target = made(commenter, clause="participation", body="target")
    url = f"{COMMENTS}/{target['id']}"
    cases: list[tuple[str, str, Any, int]] = [
        ("POST", COMMENTS, {"clause": "participation", "body": ""}, 400),
        ("POST", COMMENTS, {"clause": "participation", "body": " \n\t "}, 400),
        ("POST", COMMENTS, {"clause": "participation", "body": "x" * 10_001}, 400),
        ("POST", COMMENTS, {"clause": "participation"}, 400),
        ("POST", COMMENTS, {"clause": "participation", "body": 3}, 400),
        ("POST", COMMENTS, {"clause": "participation", "body": "x", "extra": 1}, 400),
        ("POST", COMMENTS, {"clause": "no-such-clause", "body": "x"}, 404),
        ("POST", COMMENTS, {"clause": "participation", "body": "x", "reply_to": other["id"]}, 400),
        ("POST", COMMENTS, {"clause": "participation", "body": "x", "reply_to": 10**9}, 404),
        (
            "POST",
            COMMENTS,
            {
                "clause": "participation",
                "body": "x",
                "reply_to": target["id"],
                "anchor": {"field": "body", "from": 0, "to": 3},
            },
            400,
        ),
    ]
    for anchor in (
        {"field": "body", "from": 0, "to": size + 1},
        {"field": "body", "from": size, "to": size + 2},
        {"field": "body", "from": -1, "to": 3},
        {"field": "body", "from": 5, "to": 2},
        {"field": "body", "from": 4, "to": 4},
        {"field": "body", "from": size, "to": size},
        {"field": "kind", "from": 0, "to": 2},
        {"field": "order", "from": 0, "to": 2},
        {"field": "body", "from": 0},
        {"field": "body", "from": "a", "to": 2},
        {"field": "title", "from": 0, "to": 10_000},
    ):
        cases.append(
            ("POST", COMMENTS, {"clause": "participation", "body": "x", "anchor": anchor}, 400)
        )
    cases += [
        ("PATCH", url, {"body": ""}, 400),
        ("PATCH", url, {"body": "y" * 10_001}, 400),
        ("PATCH", url, {"status": "closed"}, 400),
        ("PATCH", url, {}, 400),
        ("POST", url + "/reactions", {"reaction": "love"}, 400),
        ("POST", url + "/reactions", {}, 400),
        ("PATCH", f"{COMMENTS}/{10**9}", {"body": "x"}, 404),
        ("POST", f"{COMMENTS}/{10**9}/reactions", {"reaction": "agree"}, 404),
        ("POST", f"{COMMENTS}/{10**9}/report", None, 404),
        ("PATCH", f"{COMMENTS}/abc", {"body": "x"}, 404),
    ]
    for method, path, payload, status in cases:
        before = everything(people)
        response = commenter.request(method, path, json=payload)
        assert response.status_code == status, (method, path, payload, response.text)
        assert response.json()["error"] in ("invalid", "not_found")
        assert everything(people) == before, (method, path, payload)
    for raw in (b"{", b"[]", b"null", b'{"clause": "participation", "body": "x"'):
        before = everything(people)
        response = commenter.post(
            COMMENTS, content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, raw
        assert everything(people) == before
    assert commenter.get(COMMENTS, params={"status": "nope"}).status_code == 400
    assert commenter.get(COMMENTS, params={"clause": "no-such-clause"}).json() == {"comments": []}
    # Exactly at the limit is fine.
    made(commenter, clause="participation", body="z" * 10_000)


def test_another_charters_comments_stay_there(as_: Any, people: ServerProcess) -> None:
    admin, secretariat = as_(SITE_ADMIN), as_(SECRETARIAT)
    response = admin.post(
        "/api/charters",
        json={"slug": "elsewhere", "title": "Elsewhere", "secretariat_email": SECRETARIAT},
    )
    assert response.status_code == 201, response.text
    clause = secretariat.post("/api/charters/elsewhere/clauses", json={"title": "T", "body": "B"})
    key = clause.json()["id"]
    theirs = secretariat.post(
        "/api/charters/elsewhere/comments", json={"clause": key, "body": "elsewhere only"}
    )
    assert theirs.status_code == 201, theirs.text
    their_id = theirs.json()["id"]
    assert all(c["id"] != their_id for c in secretariat.get(COMMENTS).json()["comments"])
    before = everything(people)
    url = f"{COMMENTS}/{their_id}"
    for method, path, body in (
        ("PATCH", url, {"status": "resolved"}),
        ("POST", url + "/reactions", {"reaction": "agree"}),
        ("DELETE", url + "/reactions", None),
        ("POST", url + "/report", None),
        ("POST", url + "/hide", {"reason": "not here"}),
        ("POST", COMMENTS, {"clause": "participation", "body": "x", "reply_to": their_id}),
        ("POST", COMMENTS, {"clause": key, "body": "x"}),
    ):
        response = secretariat.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert everything(people) == before
    assert (
        secretariat.get("/api/charters/elsewhere/comments").json()["comments"][0]["status"]
        == "open"
    )
    # Members of lampedusa only are not members there.
    assert as_(COMMENTER).get("/api/charters/elsewhere/comments").status_code == 403


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_render_inert(people: ServerProcess, body: str) -> None:
    with client(people, COMMENTER) as http:
        comment = made(http, clause="participation", body=body)
    assert comment["body"] == body  # kept as written
    html = comment["body_html"]
    assert inert_problems(html) == [], html


def test_the_hostile_corpus_is_caught_by_the_inspector() -> None:
    """The check itself sees what it must refuse (so an inert result means something)."""
    assert len(HOSTILE_BODIES) >= 40
    caught = [body for body in HOSTILE_BODIES if inert_problems(body)]
    assert len(caught) >= 25
    assert inert_problems('<a href=" JaVaScRiPt:x">')
    assert inert_problems("<img src=x>")
