"""Comments and the live document: anchors that follow live edits (UTF-16 offsets, emoji), and
comment events on the stream within a second."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from server.client import LiveClient
from tests.commenting import (
    CHARTER,
    COMMENTS,
    anchor_on,
    clause_json,
    comment_of,
    made,
    new_clause,
    post,
    quoted,
)
from tests.people import COMMENTER, EDITOR, OBSERVER, SECRETARIAT, add_accounts, client
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


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
    # The same from the store, once the room has unloaded (no one connected).
    placed = {c["id"]: comment_of(people, c["id"])["anchor"] for c in (on_body, tail, on_title)}
    await eventually_async(lambda: rooms_open(people) == 0, within=30)
    assert {c: comment_of(people, c)["anchor"] for c in placed} == placed


def rooms_open(people: ServerProcess) -> float:
    metrics = people.get("/metrics", as_=None).text
    line = next(m for m in metrics.splitlines() if m.startswith("charter_drafts_rooms_open "))
    return float(line.split()[1])


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
