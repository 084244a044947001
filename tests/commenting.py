"""What the comment tests share: the API's paths, calls that must succeed, and UTF-16 offsets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.people import EDITOR, SECRETARIAT, client
from tests.servers import ServerProcess

CHARTER = "/api/charters/lampedusa"
COMMENTS = CHARTER + "/comments"


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
