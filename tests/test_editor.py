"""The drafting editor in real Chromium: co-editing one clause at once, remote carets, own-edit
undo, read-only selection, search and the keyboard (offline editing: test_offline.py).

One SQLite server for the module; each test that types gets a clause of its own.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browsers import (
    Browsing,
    Watched,
    clause,
    editor_text,
    expect_editor_text,
    open_charter_signed_in,
)
from tests.servers import ServerProcess, eventually

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]

SYNCED = "Connected and up to date. Your edits are shared live."
EDITOR = "editor@example.org"
EDITOR2 = "editor2@example.org"


def api_text(server: ServerProcess, clause_id: str, field_name: str = "body") -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return str(next(c[field_name] for c in clauses if c["id"] == clause_id))


def add_clause(server: ServerProcess, body: str) -> str:
    """A new clause at the end, with a known body (the secretariat's API): each test its own."""
    response = httpx.post(
        f"{server.base_url}/api/charters/lampedusa/clauses",
        json={"title": f"Test {uuid.uuid4().hex[:6]}", "body": body},
        headers={"Authorization": f"Bearer {server.token('secretariat@example.org')}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def freeze(server: ServerProcess, clause_id: str, frozen: bool) -> None:
    response = httpx.patch(
        f"{server.base_url}/api/charters/lampedusa/clauses/{clause_id}",
        json={"frozen": frozen},
        headers={"Authorization": f"Bearer {server.token('secretariat@example.org')}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def both_synced(*pages: Watched) -> None:
    for watched in pages:
        expect(watched.page.locator("#status")).to_have_text(SYNCED)


def test_two_editors_type_into_one_clause_at_once(
    server: ServerProcess, browsing: Browsing
) -> None:
    """50 characters each, keystrokes interleaved, at the start and at the end of one body."""
    original = "Cities welcome newcomers as residents from their first day."
    key = add_clause(server, original)
    elena = open_charter_signed_in(browsing, EDITOR)
    edouard = open_charter_signed_in(browsing, EDITOR2)
    both_synced(elena, edouard)
    start = clause(elena.page, key)
    end = clause(edouard.page, key)
    start.focus()
    start.press("Control+Home")
    end.focus()
    end.press("Control+End")

    mine = ("Elena " + uuid.uuid4().hex + uuid.uuid4().hex)[:49] + " "
    theirs = " " + ("Edouard " + uuid.uuid4().hex + uuid.uuid4().hex)[:49]
    assert len(mine) == len(theirs) == 50
    for i in range(0, 50, 5):
        start.press_sequentially(mine[i : i + 5])
        end.press_sequentially(theirs[i : i + 5])

    expected = mine + original + theirs
    expect_editor_text(start, expected)
    expect_editor_text(end, expected)
    eventually(lambda: api_text(server, key) == expected)

    # Each sees the other's caret, labelled with their name, in that clause's body.
    for watched, other in ((elena, "Edouard Editor"), (edouard, "Elena Editor")):
        caret = watched.page.locator(
            f'[data-clause="{key}"] [data-field="body"] .cm-ySelectionCaret'
        )
        expect(caret).to_have_count(1)
        expect(caret.locator(".cm-ySelectionInfo")).to_have_text(other)
        expect(caret).to_be_visible()
    assert browsing.problems() == []


def test_undo_takes_back_only_one_s_own_typing(server: ServerProcess, browsing: Browsing) -> None:
    original = "The city keeps a register of every promise it makes."
    key = add_clause(server, original)
    elena = open_charter_signed_in(browsing, EDITOR)
    edouard = open_charter_signed_in(browsing, EDITOR2)
    both_synced(elena, edouard)
    mine = clause(elena.page, key)
    theirs = clause(edouard.page, key)
    expect_editor_text(mine, original)

    mine.focus()
    mine.press("Control+Home")
    mine.press_sequentially("Elena first. ", delay=5)
    theirs.focus()
    theirs.press("Control+End")
    theirs.press_sequentially(" Edouard after.", delay=5)
    both = "Elena first. " + original + " Edouard after."
    expect_editor_text(mine, both)

    # Elena undoes until her words are gone, then a few more times: Édouard's stay.
    mine.focus()
    for _ in range(10):
        if "Elena first." not in editor_text(mine):
            break
        mine.press("Control+z")
        elena.page.wait_for_timeout(100)
    for _ in range(3):
        mine.press("Control+z")
    expected = original + " Edouard after."
    expect_editor_text(mine, expected)
    expect_editor_text(theirs, expected)
    eventually(lambda: api_text(server, key) == expected)

    # And redo brings back her own words only.
    mine.press("Control+y")
    expect_editor_text(mine, "Elena first. " + original + " Edouard after.")
    assert browsing.problems() == []


def test_a_commenter_can_select_but_not_change_the_text(
    server: ServerProcess, browsing: Browsing
) -> None:
    chiara = open_charter_signed_in(browsing, "commenter@example.org")
    page = chiara.page
    body = clause(page, "preamble")
    expect(body).to_have_attribute("aria-readonly", "true")
    expect(body).to_have_attribute("contenteditable", "false")
    before = api_text(server, "preamble")
    expect_editor_text(body, before)

    body.click()
    page.keyboard.type("nothing changes", delay=5)
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect_editor_text(body, before)
    assert api_text(server, "preamble") == before
    assert chiara.updates_sent() == 0

    # Selection works: a double-click selects a word, a drag selects a stretch of text.
    body.locator(".cm-line").first.dblclick()
    assert page.evaluate("getSelection().toString().trim().length") > 0
    line = body.locator(".cm-line").first.bounding_box()
    assert line is not None
    page.mouse.move(line["x"] + 5, line["y"] + 5)
    page.mouse.down()
    page.mouse.move(line["x"] + line["width"] - 5, line["y"] + 5, steps=5)
    page.mouse.up()
    assert len(page.evaluate("getSelection().toString()")) > 10
    # The reason is given to assistive technology, and read-only editors are in the tab order.
    described = body.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"#{described}")).to_contain_text("your role")
    expect(body).to_have_attribute("tabindex", "0")
    assert browsing.problems() == []


def test_ctrl_f_searches_every_clause_and_highlights_the_matches(
    server: ServerProcess, browsing: Browsing
) -> None:
    elena = open_charter_signed_in(browsing, EDITOR)
    page = elena.page
    both_synced(elena)
    texts = server.get("/api/charters/lampedusa").json()["clauses"]
    word = "communit"
    total = sum((c["title"] + "\n" + c["body"]).lower().count(word) for c in texts)
    assert total >= 2
    clause(page, "preamble").focus()
    page.keyboard.press("Control+f")
    search = page.get_by_role("searchbox", name="Search the clauses")
    expect(search).to_be_focused()
    page.keyboard.type(word)
    expect(page.locator(".search-count")).to_have_text(f"Match 1 of {total}")
    expect(page.locator(".cd-search-match")).to_have_count(total)
    expect(page.locator(".cd-search-current")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator(".search-count")).to_have_text(f"Match 2 of {total}")
    page.keyboard.press("Escape")
    expect(page.locator(".cd-search-match")).to_have_count(0)
    expect(clause(page, "preamble")).to_be_focused()
    assert browsing.problems() == []


def test_tab_reaches_every_clause_editor_with_a_visible_focus_and_a_label(
    server: ServerProcess, browsing: Browsing
) -> None:
    elena = open_charter_signed_in(browsing, EDITOR)
    page = elena.page
    both_synced(elena)
    editors = page.locator("#clauses [data-clause] [data-field] .cm-content")
    count = editors.count()
    assert count >= 4
    page.get_by_role("searchbox").focus()  # the last control before the clauses
    reached: list[str] = []
    # each clause's discussion (its buttons) and History link follow its title and body
    for _ in range(count * 30):
        if len(reached) == count:
            break
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const a = document.activeElement; return a.classList.contains('cm-content')"
            " ? a.getAttribute('aria-labelledby') : null }"
        )
        if focused:
            reached.append(focused)
            focus_ring = page.locator(".cm-editor:has(.cm-content:focus)")
            expect(focus_ring).to_have_css("outline-style", "solid")
            expect(focus_ring).to_have_css("outline-width", "3px")
    assert len(reached) == count
    labels = [page.locator(f"#{i}").text_content() for i in reached]
    assert labels[:3] == ["Preamble, title", "Preamble, body", "Clause 1, title"]
    assert labels[3] == "Clause 1, body"
    # Enter in a title moves to the clause's body, as before.
    clause(page, "preamble", "title").focus()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(clause(page, "preamble")).to_be_focused()
    assert browsing.problems() == []
