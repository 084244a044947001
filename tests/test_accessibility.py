"""Every page passes an axe-core scan (no serious or critical violation), in real Chromium.

axe-core comes from npm (static/package-lock.json; `make test` installs static/node_modules) and is
evaluated in the page through the DevTools protocol, which the page's Content-Security-Policy does
not govern: nothing is added to the pages themselves. A screenshot of each scanned page is saved
under tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browsers import (
    CHARTER_PAGE,
    IN_CI,
    Browsing,
    clause,
    open_charter_signed_in,
    select_words,
)
from tests.servers import ROOT, ServerProcess

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]

AXE = ROOT / "static" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
SERIOUS = {"serious", "critical"}
SYNCED = "Connected and up to date. Your edits are shared live."
READ_ONLY = (
    "Connected and up to date. You can follow the draft live; your role does not allow editing it."
)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        message = f"axe-core is not installed at {AXE} (`make static-deps`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def scan(page: Page, axe_source: str, name: str) -> list[dict[str, Any]]:
    """Run axe on the page as it is; save a screenshot; return the serious/critical violations."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    results = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'wcag22aa', 'best-practice']}})"
    )
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(results["violations"], indent=1))
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def test_the_list_of_charters_and_the_sign_in_page(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    visitor = browsing.open()
    visitor.goto("/")
    expect(visitor.page.locator("h1")).to_have_text("Charters")
    assert scan(visitor.page, axe_source, "charters") == []
    visitor.goto("/sign-in")
    expect(visitor.page.locator("h1")).to_have_text("Sign in")
    assert scan(visitor.page, axe_source, "sign-in") == []
    assert browsing.problems() == []


def test_the_charter_page_as_a_visitor(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    """Not signed in, the charter's address shows its latest published text, its endorsers and
    the form to endorse it."""
    visitor = browsing.open()
    visitor.goto(CHARTER_PAGE)
    expect(visitor.page.locator("main.version")).to_have_attribute("data-version", "0.1")
    expect(visitor.page.locator("form.request")).to_be_visible()
    assert scan(visitor.page, axe_source, "charter-as-visitor") == []
    assert browsing.problems() == []


def test_the_charter_page_as_an_editor_with_another_editor_and_a_search(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    elena = open_charter_signed_in(browsing, "editor@example.org")
    edouard = open_charter_signed_in(browsing, "editor2@example.org")
    for watched in (elena, edouard):
        expect(watched.page.locator("#status")).to_have_text(SYNCED)
    # Édouard's caret in the preamble shows in Elena's page; Elena searches.
    clause(edouard.page, "preamble").click()
    expect(elena.page.locator(".cm-ySelectionCaret")).to_have_count(1)
    elena.page.get_by_role("searchbox").fill("cit")
    expect(elena.page.locator(".cd-search-current")).to_have_count(1)
    assert scan(elena.page, axe_source, "charter-as-editor") == []
    assert browsing.problems() == []


@pytest.mark.parametrize("email", ["commenter@example.org", "observer@example.org"])
def test_the_charter_page_read_only(
    server: ServerProcess, browsing: Browsing, axe_source: str, email: str
) -> None:
    reader = open_charter_signed_in(browsing, email)
    expect(reader.page.locator("#status")).to_have_text(READ_ONLY)
    name = email.split("@")[0]
    assert scan(reader.page, axe_source, f"charter-as-{name}") == []
    assert browsing.problems() == []


def test_the_charter_page_with_comments_and_the_forms_open(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    """The discussion panels with a thread (a reply, a reaction) and an amendment, then the comment
    form over selected words, then the amendment form with its diff."""
    key = _clause_with_discussion(server)
    chiara = open_charter_signed_in(browsing, "commenter@example.org")
    expect(chiara.page.locator("#status")).to_have_text(READ_ONLY)
    discussion = chiara.page.locator(f'[data-clause="{key}"] section.deliberation')
    expect(discussion.locator("article.comment")).to_have_count(2)
    expect(discussion.locator("article.amendment")).to_have_count(1)
    expect(discussion.locator(".clause-actions")).to_be_visible()  # the phase is known
    select_words(clause(chiara.page, key), "newcomers")
    chiara.page.locator(".selection-bar").get_by_role("button", name="Comment").click()
    expect(discussion.locator("form.comment-form")).to_be_visible()
    assert scan(chiara.page, axe_source, "charter-comment-form") == []
    discussion.locator(".clause-actions").get_by_role("button", name="Propose an amendment").click()
    form = discussion.locator("form.amendment-form")
    form.get_by_label("Text", exact=True).fill("Cities welcome new neighbours from day one.")
    expect(form.locator(".preview ins")).not_to_have_count(0)
    assert scan(chiara.page, axe_source, "charter-amendment-form") == []
    assert browsing.problems() == []


def _clause_with_discussion(server: ServerProcess) -> str:
    """A new clause with an anchored comment, a reply, a reaction and an open amendment."""
    body = "Cities welcome newcomers from their first day."
    api = "/api/charters/lampedusa"
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        as_ = {
            who: {"Authorization": f"Bearer {server.token(who + '@example.org')}"}
            for who in ("secretariat", "editor", "commenter")
        }
        made = http.post(
            api + "/clauses", json={"title": "Welcome", "body": body}, headers=as_["secretariat"]
        )
        key = str(made.json()["id"])
        start = body.index("first day")
        comment = http.post(
            api + "/comments",
            json={
                "clause": key,
                "body": "Say *first day* plainly.",
                "anchor": {"field": "body", "from": start, "to": start + len("first day")},
            },
            headers=as_["commenter"],
        ).json()
        http.post(
            api + "/comments",
            json={"clause": key, "body": "Agreed.", "reply_to": comment["id"]},
            headers=as_["editor"],
        )
        http.post(
            f"{api}/comments/{comment['id']}/reactions",
            json={"reaction": "agree"},
            headers=as_["editor"],
        )
        proposed = http.post(
            api + "/amendments",
            json={
                "clause": key,
                "kind": "replace",
                "body": body.replace("newcomers", "every newcomer"),
                "rationale": "Each person counts.",
            },
            headers=as_["editor"],
        )
        assert proposed.status_code == 201, proposed.text
    return key


def test_the_charter_page_in_french(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    sam = open_charter_signed_in(browsing, "secretariat@example.org", locale="fr-FR")
    expect(sam.page.locator("#status")).to_have_text(
        "Connecté et à jour. Vos modifications sont partagées en direct."
    )
    assert scan(sam.page, axe_source, "charter-in-french") == []
    assert browsing.problems() == []


def test_the_scan_does_catch_a_violation(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    """The empty lists above mean something: a button without a name and low contrast are found."""
    visitor = browsing.open()
    visitor.goto("/sign-in")
    visitor.page.evaluate(
        "() => { const b = document.createElement('button');"
        " document.querySelector('main').append(b);"
        " const p = document.createElement('p'); p.textContent = 'faint';"
        " p.style.setProperty('color', '#eeeeee'); document.querySelector('main').append(p) }"
    )
    found = {v["id"] for v in scan(visitor.page, axe_source, "scan-check")}
    assert {"button-name", "color-contrast"} <= found


def test_the_charter_page_in_the_dark_colour_scheme(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    """The dark palette meets the same contrast, carets and search matches included."""
    elena = open_charter_signed_in(browsing, "editor@example.org", color_scheme="dark")
    edouard = open_charter_signed_in(browsing, "editor2@example.org")
    for watched in (elena, edouard):
        expect(watched.page.locator("#status")).to_have_text(SYNCED)
    clause(edouard.page, "preamble").click()
    expect(elena.page.locator(".cm-ySelectionCaret")).to_have_count(1)
    elena.page.get_by_role("searchbox").fill("cit")
    expect(elena.page.locator(".cd-search-current")).to_have_count(1)
    assert scan(elena.page, axe_source, "charter-dark") == []
    assert browsing.problems() == []


def test_the_invitation_page_and_a_page_not_found(
    server: ServerProcess, browsing: Browsing, axe_source: str
) -> None:
    created = httpx.post(
        f"{server.base_url}/api/charters/lampedusa/invitations",
        json={
            "email": f"invited-{uuid.uuid4().hex[:8]}@example.org",
            "role": "commenter",
            "organisation": {"name": "Demo NGO", "kind": "civil_society", "country": "sn"},
        },
        headers={"Authorization": f"Bearer {server.token('secretariat@example.org')}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    guest = browsing.open()
    guest.goto(urlsplit(created.json()["link"]).path)
    expect(guest.page.locator("h1")).to_be_visible()
    assert scan(guest.page, axe_source, "invitation") == []
    guest.goto("/charters/no-such-charter")
    expect(guest.page.locator("h1")).to_have_text("Not found")
    assert scan(guest.page, axe_source, "not-found") == []
    # Chromium logs the 404 answer of the missing charter's page; that one is expected here.
    assert [p for p in browsing.problems() if "404" not in p] == []
