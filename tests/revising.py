"""What the revision tests share: a demo server whose revisions settle quickly, and the calls."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from server.client import LiveClient
from tests.conftest import database_url_for
from tests.people import OBSERVER, SECRETARIAT, add_accounts, client
from tests.servers import ServerProcess

CHARTER = "/api/charters/lampedusa"
SETTLE = {"REVISION_SETTLE_SECONDS": "1.5"}
BODY = "Cities welcome newcomers. Schools teach every child. Parks are open to all."
_serial = itertools.count()


def settled_server(request: pytest.FixtureRequest, name: str) -> Iterator[ServerProcess]:
    """A module's demo server (its ``BACKENDS`` parameter), its revisions settling within a
    second, with the outsider and site administrator accounts."""
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    with ExitStack() as stack:
        data_dir = factory.mktemp(f"{name}-{request.param}")
        url = database_url_for(request.param, data_dir, stack)
        process = ServerProcess(data_dir, url, dict(SETTLE))
        process.start("--demo")
        add_accounts(process)
        yield process
        if process.process is not None:
            process.stop()


def new_clause(server: ServerProcess, body: str = BODY) -> str:
    with client(server, SECRETARIAT) as http:
        title = f"Archive {next(_serial)}"
        response = http.post(CHARTER + "/clauses", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def revisions(server: ServerProcess, key: str, who: str = OBSERVER) -> list[dict[str, Any]]:
    with client(server, who) as http:
        response = http.get(f"{CHARTER}/clauses/{key}/revisions")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["revisions"]
    return found


def sources(server: ServerProcess, key: str) -> list[str]:
    return [r["source"] for r in revisions(server, key)]


def live_body(server: ServerProcess, key: str) -> str:
    with client(server, OBSERVER) as http:
        clauses = http.get(CHARTER).json()["clauses"]
    return str(next(c for c in clauses if c["id"] == key)["body"])


def restore(server: ServerProcess, who: str | None, key: str, revision: Any) -> httpx.Response:
    with client(server, who) as http:
        return http.post(f"{CHARTER}/clauses/{key}/revisions/{revision}/restore")


def publish_next(server: ServerProcess) -> str:
    """Publish a version numbered after the latest one; its number."""
    with client(server, SECRETARIAT) as http:
        latest = http.get(CHARTER + "/versions").json()["versions"][0]["number"]
        major, minor = (int(part) for part in latest.split("."))
        number = f"{major}.{minor + 1}"
        response = http.post(CHARTER + "/versions", json={"number": number, "title": "Draft"})
    assert response.status_code == 201, response.text
    return number


def append(live: LiveClient, key: str, words: str) -> None:
    text = live.text(key, "body")
    text.insert(len(str(text).encode()), words)


def replace_words(live: LiveClient, key: str, old: str, new: str) -> None:
    text = live.text(key, "body")
    current = str(text)
    start = len(current[: current.index(old)].encode())
    with live.doc.transaction():
        del text[start : start + len(old.encode())]
        text.insert(start, new)
