"""The browser client in real Chromium against the real server: sign-in, co-editing, roles, i18n.

One server on SQLite for the whole module (the `server` fixture is parametrised to SQLite only):
these tests exercise the pages, the bundled client and the live socket from a browser, which do
not depend on the store; both stores are covered by the other modules, and a PostgreSQL run
would double the time for no new coverage.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browsers import (
    CHARTER_PAGE,
    Browsing,
    clause,
    expect_editor_text,
    follow_sign_in_link,
    open_charter_signed_in,
    submit_sign_in,
)
from tests.servers import ServerProcess, eventually

CHARTER_API = "/api/charters/lampedusa"
pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]

SYNCED = "Connected and up to date. Your edits are shared live."
SYNCED_READ_ONLY_ROLE = (
    "Connected and up to date. You can follow the draft live; your role does not allow editing it."
)
PAUSED = "Connected. Editing is paused until you reload the latest text."
SYNCED_FR = "Connecté et à jour. Vos modifications sont partagées en direct."


def api_text(server: ServerProcess, clause_id: str, field_name: str = "body") -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return next(c[field_name] for c in clauses if c["id"] == clause_id)


def test_two_editors_see_each_other_type_live(
    server: ServerProcess, browsing: Browsing, tmp_path: Path
) -> None:
    elena = open_charter_signed_in(browsing, "editor@example.org")
    edouard = open_charter_signed_in(browsing, "editor2@example.org")
    for watched in (elena, edouard):
        expect(watched.page.locator("#status")).to_have_text(SYNCED)
        expect(clause(watched.page, "preamble")).to_be_editable()

    # Presence: each sees the other by their display name, and themselves.
    expect(elena.page.locator(".presence")).to_contain_text("Elena Editor (you)")
    expect(elena.page.locator(".presence")).to_contain_text("Edouard Editor")
    expect(edouard.page.locator(".presence")).to_contain_text("Edouard Editor (you)")
    expect(edouard.page.locator(".presence")).to_contain_text("Elena Editor")

    # Elena types at the end of the preamble, key by key, as a person does.
    typed = f" Typed in Chromium {uuid.uuid4().hex[:8]}."
    body = clause(elena.page, "preamble")
    text = api_text(server, "preamble") + typed
    body.focus()
    body.press("Control+End")
    body.press_sequentially(typed, delay=5)
    expect_editor_text(body, text)

    expect_editor_text(clause(edouard.page, "preamble"), text)
    eventually(lambda: api_text(server, "preamble") == text)
    assert elena.updates_sent() > 0  # it went over the live socket, as sync updates
    # Édouard sees that Elena is in the preamble's text right now.
    expect(
        edouard.page.locator('li.clause[data-clause="preamble"] [data-field="body"] .editors')
    ).to_contain_text("Elena Editor")

    # And the other way: Édouard types into a clause title, Elena sees it.
    title = clause(edouard.page, "dignity-rights", "title")
    new_title = api_text(server, "dignity-rights", "title") + " (Marseille)"
    title.focus()
    title.press("End")
    title.press_sequentially(" (Marseille)", delay=5)
    expect_editor_text(title, new_title)
    expect_editor_text(clause(elena.page, "dignity-rights", "title"), new_title)
    eventually(lambda: api_text(server, "dignity-rights", "title") == new_title)

    screenshot = elena.page.screenshot(path=tmp_path / "charter.png")
    assert screenshot.startswith(b"\x89PNG")
    assert len(screenshot) > 10_000
    assert browsing.problems() == []


def test_a_commenter_follows_the_draft_read_only(server: ServerProcess, browsing: Browsing) -> None:
    chiara = open_charter_signed_in(browsing, "commenter@example.org")
    page = chiara.page
    expect(page.locator("#status")).to_have_text(SYNCED_READ_ONLY_ROLE)
    expect(page.locator("main#charter")).to_contain_class("is-readonly")
    fields = page.locator("#clauses li.clause [data-field] .cm-content")
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    expect(fields).to_have_count(2 * len(clauses))
    not_read_only = (
        "all => all.filter(f => f.getAttribute('contenteditable') !== 'false'"
        " || f.getAttribute('aria-readonly') !== 'true').length"
    )
    assert fields.evaluate_all(not_read_only) == 0

    before = api_text(server, "preamble")
    page.evaluate(
        "window.inputEvents = 0;"
        " document.addEventListener('input', () => { window.inputEvents++ }, true)"
    )
    body = clause(page, "preamble")
    body.click()
    page.keyboard.type("not allowed", delay=5)

    expect_editor_text(body, before)
    assert page.evaluate("window.inputEvents") == 0  # nothing for the client to send
    expect(page.locator(".notice")).to_be_hidden()  # and nothing refused
    expect(page.locator("#status")).to_have_text(SYNCED_READ_ONLY_ROLE)
    assert chiara.updates_sent() == 0  # nothing sent on the live socket either
    assert api_text(server, "preamble") == before
    assert browsing.problems() == []


def freeze(server: ServerProcess, clause_id: str, frozen: bool) -> None:
    response = httpx.patch(
        f"{server.base_url}/api/charters/lampedusa/clauses/{clause_id}",
        json={"frozen": frozen},
        headers={"Authorization": f"Bearer {server.token('secretariat@example.org')}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_an_edit_refused_by_the_server_is_shown_and_the_text_reloaded(
    server: ServerProcess, browsing: Browsing
) -> None:
    """The secretariat freezes a clause under an editor whose page gets no events: the editor
    learns it on typing, from the server's refusal."""
    elena = open_charter_signed_in(browsing, "editor@example.org", events=False)
    page = elena.page
    body = clause(page, "participation")
    expect(page.locator("#status")).to_have_text(SYNCED)
    expect(body).to_be_editable()
    before = api_text(server, "participation")

    freeze(server, "participation", True)
    try:
        body.focus()
        body.press("Control+End")
        body.press_sequentially(" refused", delay=5)
        expect(page.locator("#status")).to_have_text(PAUSED)
        notice = page.get_by_role("alert")
        expect(notice).to_be_visible()
        expect(notice.locator(".notice-text")).to_contain_text("The server refused a change: ")
        expect(notice.locator(".notice-text")).to_contain_text("frozen")
        expect(body).not_to_be_editable()  # nothing more is sent until the reload
        expect(clause(page, "preamble")).not_to_be_editable()

        notice.get_by_role("button", name="Reload the latest text").click()
        expect(page.locator("#status")).to_have_text(SYNCED)
        expect(notice).to_be_hidden()
        expect_editor_text(clause(page, "participation"), before)
        expect(clause(page, "participation")).not_to_be_editable()
        frozen = page.locator('li.clause[data-clause="participation"] .frozen-badge')
        expect(frozen).to_have_text("Frozen")
        expect(frozen).to_be_visible()
        expect(clause(page, "preamble")).to_be_editable()
        assert api_text(server, "participation") == before
    finally:
        freeze(server, "participation", False)
    # The one expected error: the event stream this test cut off.
    assert [p for p in browsing.problems() if "/events" not in p] == []


def test_a_french_page_is_told_the_server_s_refusal_in_french(
    server: ServerProcess, browsing: Browsing
) -> None:
    """The page passes its language to the live socket, whose refusals follow it."""
    elena = open_charter_signed_in(browsing, "editor@example.org", locale="fr-FR", events=False)
    page = elena.page
    body = clause(page, "participation")
    expect(page.locator("#status")).to_have_text(SYNCED_FR)
    freeze(server, "participation", True)
    try:
        body.focus()
        body.press("Control+End")
        body.press_sequentially(" refusé", delay=5)
        notice = page.get_by_role("alert")
        expect(notice.locator(".notice-text")).to_contain_text(
            "Le serveur a refusé une modification : cette clause est figée (participation)"
        )
    finally:
        freeze(server, "participation", False)
    assert [p for p in browsing.problems() if "/events" not in p] == []


def test_phase_and_frozen_changes_reach_an_open_page_live(
    server: ServerProcess, browsing: Browsing
) -> None:
    """Through the event stream: no refused edit and no reload needed."""
    elena = open_charter_signed_in(browsing, "editor@example.org")
    page = elena.page
    expect(page.locator("#status")).to_have_text(SYNCED)
    expect(clause(page, "participation")).to_be_editable()
    freeze(server, "participation", True)
    try:
        frozen = page.locator('li.clause[data-clause="participation"] .frozen-badge')
        expect(frozen).to_be_visible()
        expect(clause(page, "participation")).not_to_be_editable()
        expect(clause(page, "preamble")).to_be_editable()
    finally:
        freeze(server, "participation", False)
    expect(clause(page, "participation")).to_be_editable()
    with server.signed_in("secretariat@example.org") as http:
        assert http.patch(CHARTER_API, json={"phase": "consultation"}).status_code == 200
        try:
            expect(page.locator(".charter-meta .phase")).to_have_text("Consultation")
            expect(clause(page, "preamble")).not_to_be_editable()
        finally:
            assert http.patch(CHARTER_API, json={"phase": "drafting"}).status_code == 200
    expect(clause(page, "preamble")).to_be_editable()
    assert browsing.problems() == []


def test_anonymous_visitors_are_sent_to_sign_in_and_a_wrong_password_is_refused(
    server: ServerProcess, browsing: Browsing
) -> None:
    visitor = browsing.open()
    page = visitor.page
    visitor.goto(CHARTER_PAGE)  # the published text, not the live draft
    expect(page.locator("main.version")).to_have_attribute("data-version", "0.1")
    expect(page.locator("#charter")).to_have_count(0)
    follow_sign_in_link(visitor, server.base_url)
    expect(page.locator("h1")).to_have_text("Sign in")

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit_sign_in(visitor, "observer@example.org", "not-the-demo-password")
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password")
    expect(page.locator("#email")).to_have_value("observer@example.org")
    expect(page.locator("#password")).to_have_value("")

    session = page.request.get("/api/session").json()
    assert session["user"] is None
    visitor.goto(CHARTER_PAGE)
    expect(page.locator("main.version")).to_be_visible()
    expect(page.locator("#charter")).to_have_count(0)
    # Chromium logs the 401 answer of the form's POST; that one is expected here.
    refused = f"status of 401 (Unauthorized) ({server.base_url}/sign-in?next="
    assert [p for p in browsing.problems() if refused not in p] == []


def test_pages_are_in_french_for_a_french_browser(
    server: ServerProcess, browsing: Browsing
) -> None:
    sam = browsing.open(locale="fr-FR")
    page = sam.page
    sam.goto("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Se connecter")
    expect(page.locator("label[for=email]")).to_have_text("Courriel")
    expect(page.locator("label[for=password]")).to_have_text("Mot de passe")
    expect(page.locator("form.stacked button[type=submit]")).to_have_text("Se connecter")

    sam.goto(CHARTER_PAGE)
    follow_sign_in_link(sam, server.base_url)
    submit_sign_in(sam, "secretariat@example.org")
    expect(page).to_have_url(server.base_url + CHARTER_PAGE)
    expect(page.locator("#status")).to_have_text(SYNCED_FR)
    expect(page.locator("header.site button[type=submit]")).to_have_text("Se déconnecter")
    expect(page.locator(".charter-meta .phase")).to_have_text("Rédaction")
    expect(page.locator(".charter-meta .role")).to_have_text("Secrétariat")
    labels = page.locator("#clauses li.clause .clause-label-text")
    expect(labels.nth(0)).to_have_text("Préambule")
    expect(labels.nth(1)).to_have_text("Article 1")
    expect(page.locator(".presence")).to_contain_text("Présents :")
    expect(page.locator(".presence")).to_contain_text("Sam Secretariat (vous)")

    # Without JavaScript the server's own rendering of the charter is French too.
    plain = browsing.open(
        locale="fr-FR", javascript=False, storage_state=sam.context.storage_state()
    )
    plain.goto(CHARTER_PAGE)
    expect(plain.page.locator("#status")).to_have_text("Chargement du texte en direct…")
    expect(plain.page.locator("#clauses .clause-number").first).to_have_text("Préambule")
    assert browsing.problems() == []


def test_the_watch_does_catch_a_csp_violation(server: ServerProcess, browsing: Browsing) -> None:
    """The "no problems" assertions above mean something: an inline style is reported."""
    visitor = browsing.open()
    visitor.goto("/sign-in")
    # (Playwright's sync API delivers events only while it is called: wait for this one.)
    with visitor.page.expect_console_message(lambda m: "CSP violation" in m.text):
        visitor.page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert any("style-src" in p for p in visitor.problems), visitor.problems


def test_the_language_switcher_changes_and_keeps_the_language(
    server: ServerProcess, browsing: Browsing
) -> None:
    sam = browsing.open(locale="en-GB")
    page = sam.page
    sam.goto("/")
    switcher = page.get_by_role("navigation", name="Language")
    expect(switcher.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    switcher.get_by_role("link", name="Français").click()
    expect(page).to_have_url(server.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Chartes")
    # the choice is kept from page to page (a cookie), through signing in to the live page
    sam.goto(CHARTER_PAGE)
    follow_sign_in_link(sam, server.base_url)
    expect(page.locator("h1")).to_have_text("Se connecter")
    submit_sign_in(sam, "secretariat@example.org")
    expect(page).to_have_url(server.base_url + CHARTER_PAGE)
    expect(page.locator("#status")).to_have_text(SYNCED_FR)
    # the editors' names follow the language too
    expect(page.get_by_role("textbox", name="Article 1, texte")).to_be_editable()
    expect(page.locator(".clause-label-text").nth(1)).to_have_text("Article 1")
    french = page.get_by_role("navigation", name="Langue")
    expect(french.get_by_role("link", name="Français")).to_have_attribute("aria-current", "true")
    french.get_by_role("link", name="English").click()
    expect(page).to_have_url(server.base_url + CHARTER_PAGE)
    expect(page.locator("#status")).to_have_text(SYNCED)
    # the switcher only ever sends back to a page of this site
    answer = httpx.get(
        f"{server.base_url}/language/fr?next=//elsewhere.example/x", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert browsing.problems() == []
