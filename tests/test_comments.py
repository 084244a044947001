"""Comments over the real server: the contract's shapes, who may do what (and that a refusal
changes nothing), anchors that follow live edits, the event stream, and hostile bodies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.client import LiveClient
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
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(180)
CHARTER = "/api/charters/lampedusa"
COMMENTS = CHARTER + "/comments"
COMMENT_KEYS = {
    "id",
    "clause",
    "reply_to",
    "author",
    "body",
    "body_html",
    "status",
    "anchor",
    "reactions",
    "created_at",
    "edited_at",
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


def post(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post(COMMENTS, json=body)


def made(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = post(http, **body)
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()
    return comment


def everything(people: ServerProcess) -> dict[str, Any]:
    """What a refused call must leave as it was (as the secretariat sees it)."""
    with client(people, SECRETARIAT) as http:
        return {"comments": http.get(COMMENTS).json(), "charter": http.get(CHARTER).json()}


def new_clause(people: ServerProcess, body: str, title: str = "Scratch") -> str:
    with client(people, SECRETARIAT) as http:
        response = http.post(CHARTER + "/clauses", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def utf16(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def anchor_on(body: str, words: str, field: str = "body") -> dict[str, Any]:
    start = utf16(body[: body.index(words)])
    return {"field": field, "from": start, "to": start + utf16(words)}


def quoted(text: str, anchor: dict[str, Any]) -> str:
    """The UTF-16 range ``[from, to)`` of ``text``, as a browser would cut it."""
    units = text.encode("utf-16-le")
    return units[2 * anchor["from"] : 2 * anchor["to"]].decode("utf-16-le")


def comment_of(people: ServerProcess, comment_id: int, who: str = EDITOR) -> dict[str, Any]:
    with client(people, who) as http:
        found = http.get(COMMENTS).json()["comments"]
    return next(c for c in found if c["id"] == comment_id)


def clause_json(people: ServerProcess, key: str) -> dict[str, Any]:
    clauses = people.get(CHARTER).json()["clauses"]
    found: dict[str, Any] = next(c for c in clauses if c["id"] == key)
    return found


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
    assert secretariat.post(url + "/reactions", json={"reaction": "agree"}).status_code == 200
    withdrawn = editor.delete(url + "/reactions")
    assert withdrawn.json()["reactions"] == {"agree": 1, "disagree": 0}

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


async def test_an_anchor_follows_its_words_through_live_edits(people: ServerProcess) -> None:
    body = "Cities open their doors to every newcomer and keep them open."
    key = new_clause(people, body)
    words = "every newcomer"
    with client(people, COMMENTER) as http:
        comment = made(http, clause=key, body="Which ones?", anchor=anchor_on(body, words))
    assert comment["anchor"] == {**anchor_on(body, words), "quote": words, "lost": False}
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as live:
        await asyncio.wait_for(live.synced.wait(), 10)
        text = live.text(key, "body")
        text.insert(0, "Our ")  # before the range
        current = str(text)
        at_start = len(current[: current.index(words)].encode())
        text.insert(at_start, "nearly ")  # right at its start: stays outside
        current = str(text)
        inside = len(current[: current.index("newcomer")].encode())
        text.insert(inside, "single ")  # inside: the range grows
        current = str(text)
        after = len(current[: current.index(" and keep")].encode())
        text.insert(after, " indeed")  # right after its end: stays outside
        expected = str(text)
        await eventually_async(lambda: clause_json(people, key)["body"] == expected)
        anchor = comment_of(people, comment["id"])["anchor"]
        assert quoted(expected, anchor) == "every single newcomer", anchor
        assert anchor["quote"] == words
        assert not anchor["lost"]

        current = str(text)
        start = len(current[: current.index("every single newcomer")].encode())
        del text[start : start + len(b"every single newcomer")]
        expected = str(text)
        await eventually_async(lambda: clause_json(people, key)["body"] == expected)
        gone = comment_of(people, comment["id"])["anchor"]
        assert gone["lost"]
        assert gone["from"] == gone["to"]
        assert gone["quote"] == words
    assert comment_of(people, comment["id"])["clause"] == key


async def test_anchors_count_utf16_units_in_non_ascii_text(people: ServerProcess) -> None:
    body = "Accueil 😀 des réfugiés, 👩‍👩‍👧 familles: égalité 😀!"
    key = new_clause(people, body, title="Égalité 😀 pour tous")
    with client(people, COMMENTER) as http:
        on_body = made(http, clause=key, body="é 😀", anchor=anchor_on(body, "réfugiés, 👩‍👩‍👧"))
        tail = made(http, clause=key, body="tail", anchor=anchor_on(body, "égalité 😀"))
        title = "Égalité 😀 pour tous"
        on_title = made(http, clause=key, body="t", anchor=anchor_on(title, "😀 pour", "title"))
        # Inside a surrogate pair is not between characters.
        split = anchor_on(body, "😀")
        split["to"] -= 1
        assert post(http, clause=key, body="x", anchor=split).status_code == 400
    assert on_body["anchor"]["quote"] == "réfugiés, 👩‍👩‍👧"
    assert on_title["anchor"]["quote"] == "😀 pour"
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as live:
        await asyncio.wait_for(live.synced.wait(), 10)
        text = live.text(key, "body")
        text.insert(0, "Déjà 🎉 ")
        current = str(text)
        text.insert(len(current[: current.index("des")].encode()), "ç😀")
        current = str(text)
        text.insert(len(current[: current.index("familles")].encode()), "🎉é ")
        current = str(text)
        text.insert(len(current[: current.index("!")].encode()), "ü")
        live.text(key, "title").insert(0, "🎉 ")
        expected = str(text)
        await eventually_async(lambda: clause_json(people, key)["body"] == expected)
        await eventually_async(lambda: clause_json(people, key)["title"].startswith("🎉"))
    final = clause_json(people, key)
    for comment, words, source in (
        (on_body, "réfugiés, 👩‍👩‍👧", final["body"]),
        (tail, "égalité 😀", final["body"]),  # "ü" typed right after its emoji stays outside
        (on_title, "😀 pour", final["title"]),
    ):
        anchor = comment_of(people, comment["id"])["anchor"]
        assert quoted(source, anchor) == words, (anchor, source)
        assert not anchor["lost"]


async def test_a_new_comment_reaches_the_event_stream_within_a_second(
    people: ServerProcess,
) -> None:
    headers = {"Authorization": f"Bearer {people.token(OBSERVER)}"}
    async with (
        httpx.AsyncClient(base_url=people.base_url, headers=headers, timeout=10) as http,
        http.stream("GET", CHARTER + "/events") as events,
    ):
        assert events.status_code == 200
        lines = events.aiter_lines()
        assert await anext(lines) == ": connected"

        async def next_event() -> dict[str, Any]:
            while True:
                line = await asyncio.wait_for(anext(lines), 1.0)
                if line.startswith("data: "):
                    event: dict[str, Any] = json.loads(line[6:])
                    return event

        writer = {"Authorization": f"Bearer {people.token(COMMENTER)}"}
        moderator = {"Authorization": f"Bearer {people.token(SECRETARIAT)}"}
        async with (
            httpx.AsyncClient(base_url=people.base_url, headers=writer) as commenter,
            httpx.AsyncClient(base_url=people.base_url, headers=moderator) as secretary,
        ):
            response = await commenter.post(
                COMMENTS, json={"clause": "preamble", "body": "live **news**"}
            )
            assert response.status_code == 201
            event = await next_event()
            assert event["type"] == "comment"
            assert event["action"] == "created"
            assert event["clause"] == "preamble"
            assert event["comment"] == response.json()
            comment_id = response.json()["id"]
            url = f"{COMMENTS}/{comment_id}"
            await commenter.post(url + "/reactions", json={"reaction": "agree"})
            event = await next_event()
            assert (event["action"], event["comment"]["reactions"]["agree"]) == ("reaction", 1)
            await commenter.post(url + "/report")
            assert await next_event() == {
                "type": "comment",
                "action": "reported",
                "comment": response.json()["id"],
                "clause": "preamble",
            }
            reply = await commenter.post(
                COMMENTS, json={"clause": "preamble", "body": "me too", "reply_to": comment_id}
            )
            event = await next_event()
            assert (event["action"], event["comment"]) == ("replied", reply.json())
            await commenter.patch(url, json={"body": "live news, edited"})
            event = await next_event()
            assert (event["action"], event["comment"]["body"]) == ("edited", "live news, edited")
            await commenter.patch(url, json={"status": "resolved"})
            event = await next_event()
            assert (event["action"], event["comment"]["status"]) == ("status", "resolved")
            await secretary.post(url + "/hide", json={"reason": "test"})
            event = await next_event()
            assert event["action"] == "hidden"
            # Everyone on the stream sees it hidden, without its words.
            assert (event["comment"]["status"], event["comment"]["body"]) == ("hidden", "")
            assert event["comment"]["body_html"] == ""


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
