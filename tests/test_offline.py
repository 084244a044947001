"""Offline editing in real Chromium: edits made while the server is down reach the others
when it is back, also after the tab was closed and the charter reopened in the same browser
profile (y-indexeddb); edits to a clause frozen meanwhile are refused, and can be copied out.

Each test has a server of its own, which it stops and starts again on the same port and store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from tests.browsers import (
    CHARTER_PAGE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEADLINE_MS,
    REPORT_CSP_VIOLATIONS,
    Browsing,
    Watched,
    clause,
    expect_editor_text,
    follow_sign_in_link,
    open_charter_signed_in,
    submit_sign_in,
)
from tests.conftest import ServerFactory
from tests.servers import ServerProcess, eventually
from tests.test_accessibility import axe_source, scan
from tests.test_editor import EDITOR, EDITOR2, SYNCED, api_text, freeze

__all__ = ["axe_source"]  # a fixture, used by name

pytestmark = pytest.mark.timeout(180)


def unreachable(problem: str) -> bool:
    """Console errors a page logs, as it should, while the server is down."""
    return any(
        what in problem
        for what in ("WebSocket connection", "ERR_CONNECTION_REFUSED", "/events", "net::ERR_")
    )


@pytest.fixture
def offline_server(make_server: ServerFactory) -> ServerProcess:
    """A demo server of the test's own, that the test stops and starts again."""
    return make_server()


def restart(server: ServerProcess) -> None:
    server.start("--demo")  # same port, same store, same secret key: sessions still hold


def test_edits_made_while_the_server_is_down_reach_the_others_when_it_is_back(
    offline_server: ServerProcess, chromium: Browser, axe_source: str
) -> None:
    server = offline_server
    browsing = Browsing(chromium, server.base_url)
    try:
        elena = open_charter_signed_in(browsing, EDITOR)
        edouard = open_charter_signed_in(browsing, EDITOR2)
        for watched in (elena, edouard):
            expect(watched.page.locator("#status")).to_have_text(SYNCED)
        before = api_text(server, "preamble")
        server.kill()  # an outage: no goodbye to the open sockets and event streams
        status = elena.page.locator("#status")
        detail = elena.page.locator(".status-detail")
        expect(status).to_have_text("Offline, reconnecting…")
        expect(detail).to_contain_text("Attempt ")
        expect(detail).to_contain_text("next try in")
        expect(detail).to_contain_text("Last up to date at")

        body = clause(elena.page, "preamble")
        expect(body).to_be_editable()  # offline, one still writes
        body.focus()
        body.press("Control+End")
        typed = " Written offline."
        body.press_sequentially(typed, delay=5)
        expect(detail).to_contain_text(f"{len(typed)} local edits waiting")
        assert scan(elena.page, axe_source, "charter-offline") == []

        restart(server)
        expect(status).to_have_text(SYNCED)
        expect(detail).to_be_hidden()
        expect_editor_text(clause(edouard.page, "preamble"), before + typed)
        eventually(lambda: api_text(server, "preamble") == before + typed)
        assert [p for p in browsing.problems() if not unreachable(p)] == []
    finally:
        browsing.close()


def persistent(playwright: Playwright, profile: Path, base_url: str) -> BrowserContext:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=base_url,
        locale="en-GB",
    )
    context.set_default_timeout(DEADLINE_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    return context


def open_charter(context: BrowserContext, base_url: str, email: str) -> Page:
    """Open the charter in a persistent profile, signing in if the profile is not."""
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(base_url + CHARTER_PAGE)
    if page.locator("main a.sign-in-link").count():  # not signed in: the published text
        watched = Watched(context, page, base_url)
        follow_sign_in_link(watched, base_url)
        submit_sign_in(watched, email)
        expect(page).to_have_url(base_url + CHARTER_PAGE)
    return page


def test_offline_edits_survive_closing_the_tab_and_are_sent_on_reopening(
    offline_server: ServerProcess,
    playwright_driver: Playwright,
    chromium: Browser,
    tmp_path: Path,
) -> None:
    playwright = playwright_driver
    server = offline_server
    profile = tmp_path / "profile"
    context = persistent(playwright, profile, server.base_url)
    page = open_charter(context, server.base_url, EDITOR)
    expect(page.locator("#status")).to_have_text(SYNCED)
    before = api_text(server, "participation")

    server.kill()
    expect(page.locator("#status")).to_contain_text("Offline")
    body = clause(page, "participation")
    body.focus()
    body.press("Control+End")
    typed = " Kept in this browser."
    body.press_sequentially(typed, delay=5)
    expect(page.locator(".status-detail")).to_contain_text("local edits waiting")
    # y-indexeddb writes each update as it comes; give the last write a moment to commit
    page.wait_for_timeout(500)
    context.close()

    restart(server)
    assert api_text(server, "participation") == before  # nothing reached the server yet
    context = persistent(playwright, profile, server.base_url)
    try:
        page = open_charter(context, server.base_url, EDITOR)
        expect(page.locator("#status")).to_have_text(SYNCED)
        eventually(lambda: api_text(server, "participation") == before + typed)
        expect_editor_text(clause(page, "participation"), before + typed)
    finally:
        context.close()

    # Another member sees it, from the server.
    browsing = Browsing(chromium, server.base_url)
    try:
        edouard = open_charter_signed_in(browsing, EDITOR2)
        expect_editor_text(clause(edouard.page, "participation"), before + typed)
    finally:
        browsing.close()


def test_offline_edits_to_a_clause_frozen_meanwhile_are_refused_and_can_be_copied_out(
    offline_server: ServerProcess, chromium: Browser, axe_source: str
) -> None:
    server = offline_server
    browsing = Browsing(chromium, server.base_url)
    try:
        elena = open_charter_signed_in(browsing, EDITOR, events=False)
        page = elena.page
        expect(page.locator("#status")).to_have_text(SYNCED)
        before = api_text(server, "participation")
        server.kill()  # an outage: no goodbye to the open sockets and event streams
        expect(page.locator("#status")).to_contain_text("Offline")
        body = clause(page, "participation")
        body.focus()
        body.press("Control+End")
        typed = " Drafted on the ferry."
        body.press_sequentially(typed, delay=5)

        # the clause is frozen before the page can be back: keep it off the network meanwhile
        elena.context.set_offline(True)
        restart(server)
        freeze(server, "participation", True)
        elena.context.set_offline(False)

        notice = page.get_by_role("alert")
        expect(notice.locator(".notice-text")).to_contain_text("The server refused a change")
        expect(notice.locator(".notice-text")).to_contain_text("frozen")
        expect(notice.locator(".notice-help")).to_contain_text("while it was offline")
        unsaved = notice.get_by_label("Your text that the server did not accept")
        expect(unsaved).to_be_visible()
        label = page.locator(f"#{body.get_attribute('aria-labelledby')}").text_content()
        assert label is not None
        assert label.endswith(", body")
        kept = f"{label}\n{before}{typed}"
        expect(unsaved).to_have_value(kept)
        assert scan(page, axe_source, "charter-refused") == []
        elena.context.grant_permissions(["clipboard-read", "clipboard-write"])
        notice.get_by_role("button", name="Copy this text").click()
        expect(notice.locator(".copy-result")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == kept
        assert api_text(server, "participation") == before

        notice.get_by_role("button", name="Reload the latest text").click()
        expect(page.locator("#status")).to_have_text(SYNCED)
        expect(notice).to_be_hidden()
        expect_editor_text(clause(page, "participation"), before)
        # the refused edits are gone from the browser too: a reload does not send them again
        page.reload()
        expect(page.locator("#status")).to_have_text(SYNCED)
        expect(page.get_by_role("alert")).to_be_hidden()
        expect_editor_text(clause(page, "participation"), before)
        assert api_text(server, "participation") == before
        assert [p for p in browsing.problems() if not unreachable(p)] == []
    finally:
        browsing.close()


def test_signing_out_leaves_no_copy_of_the_charter_in_the_browser(
    offline_server: ServerProcess, chromium: Browser
) -> None:
    """A shared computer: the next person must not find the draft the editor kept offline."""
    browsing = Browsing(chromium, offline_server.base_url)
    try:
        elena = open_charter_signed_in(browsing, EDITOR)
        page = elena.page
        expect(page.locator("#status")).to_have_text(SYNCED)
        databases = "indexedDB.databases().then(found => found.map(d => d.name))"
        kept = eventually(lambda: page.evaluate(databases))
        assert any("lampedusa" in name for name in kept), kept
        page.locator("form[action='/sign-out'] button").click()
        expect(page).to_have_url(offline_server.base_url + "/")
        assert page.evaluate(databases) == []
        # The API's sign-out says the same.
        with offline_server.signed_in(EDITOR) as http:
            answer = http.delete("/api/session")
        assert answer.status_code == 204
        assert answer.headers["clear-site-data"] == '"storage"'
        assert browsing.problems() == []
    finally:
        browsing.close()
