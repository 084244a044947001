"""Commenting on the charter page in real Chromium: a commenter selects words and comments, an
editor sees the highlight and the thread arrive live; a proposal from selected words with its
word diff; an observer reads the threads but has no way to write, and the API refuses them.

One server for the module, on SQLite and on PostgreSQL; each test comments on a clause of its own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import Browsing, Watched, clause, open_charter_signed_in, select_words
from tests.commenting import CHARTER, COMMENTS, anchor_on, everything, made, new_clause
from tests.people import COMMENTER, EDITOR, OBSERVER, SECRETARIAT, client
from tests.servers import ServerProcess

pytestmark = [pytest.mark.timeout(180)]

SYNCED = "Connected and up to date. Your edits are shared live."
READ_ONLY = (
    "Connected and up to date. You can follow the draft live; your role does not allow editing it."
)
BODY = "Cities welcome newcomers as residents from their first day, whatever their papers."


def panel(page: Page, key: str) -> Any:
    """A clause's discussion panel."""
    return page.locator(f'[data-clause="{key}"] section.deliberation')


def ready(watched: Watched, status: str) -> None:
    expect(watched.page.locator("#status")).to_have_text(status)


def may_comment(watched: Watched, key: str) -> None:
    """Wait until the page knows the phase and role: the clause's buttons show."""
    expect(panel(watched.page, key).locator(".clause-actions")).to_be_visible()


def comments_on(server: ServerProcess, key: str) -> list[dict[str, Any]]:
    with client(server, EDITOR) as http:
        found: list[dict[str, Any]] = http.get(COMMENTS, params={"clause": key}).json()["comments"]
    return found


def test_a_commenter_comments_on_selected_words_and_an_editor_sees_it_live(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    chiara = open_charter_signed_in(browsing, COMMENTER)
    elena = open_charter_signed_in(browsing, EDITOR)
    ready(chiara, READ_ONLY)
    ready(elena, SYNCED)
    expect(panel(elena.page, key).locator("article.comment")).to_have_count(0)

    # Chiara selects words in her read-only editor: the bar offers to comment on them.
    may_comment(chiara, key)
    select_words(clause(chiara.page, key), "whatever their papers")
    bar = chiara.page.locator(".selection-bar")
    expect(bar).to_be_visible()
    bar.get_by_role("button", name="Comment").click()
    form = panel(chiara.page, key).locator("form.comment-form")
    expect(form.locator("blockquote")).to_have_text("whatever their papers")
    form.get_by_label("Your comment").fill("Papers should **never** decide who is welcome.")
    form.get_by_role("button", name="Send").click()
    expect(form).to_have_count(0)

    # Elena's page, never reloaded, shows the thread and the commented words highlighted.
    thread = panel(elena.page, key).locator("li.thread > article.comment")
    expect(thread).to_have_count(1)
    expect(thread.locator(".comment-body strong")).to_have_text("never")
    expect(thread.locator(".comment-author")).to_have_text("Chiara Commenter")
    expect(thread.locator(".comment-org")).to_have_text("Demo welcome network")
    expect(thread.locator("blockquote")).to_have_text("whatever their papers")
    mark = clause(elena.page, key).locator(".cd-comment-anchor")
    expect(mark).to_have_text("whatever their papers")

    # The API holds the anchor with the same quote, where the words are.
    (stored,) = comments_on(server, key)
    assert stored["anchor"]["quote"] == "whatever their papers"
    assert {k: stored["anchor"][k] for k in ("field", "from", "to")} == anchor_on(
        BODY, "whatever their papers"
    )
    assert stored["author"]["display_name"] == "Chiara Commenter"

    # The highlight follows the words as Elena types before them; hovering the thread marks
    # them more strongly; clicking the words focuses the thread.
    body = clause(elena.page, key)
    body.click()
    body.press("Control+Home")
    body.press_sequentially("Our ")
    expect(mark).to_have_text("whatever their papers")
    thread.hover()
    expect(clause(elena.page, key).locator(".cd-comment-anchor.is-active")).to_have_count(1)
    mark.click()
    expect(thread).to_be_focused()

    # Elena agrees, then takes it back: counts and her own toggle, live in Chiara's page too.
    thread.get_by_role("button", name="Agree 0", exact=True).click()
    expect(thread.locator("> .comment-actions button.comment-agree")).to_have_attribute(
        "aria-pressed", "true"
    )
    chiara_thread = panel(chiara.page, key).locator("li.thread > article.comment")
    chiara_agree = chiara_thread.locator("> .comment-actions button.comment-agree")
    expect(chiara_agree).to_have_text("Agree 1")
    thread.locator("> .comment-actions button.comment-agree").click()
    expect(chiara_agree).to_have_text("Agree 0")

    # Elena replies; Chiara sees the reply nested under her comment, then resolves the thread.
    thread.get_by_role("button", name="Reply to Chiara Commenter").click()
    reply_form = panel(elena.page, key).locator("form.comment-form")
    reply_form.get_by_label("Your reply").fill("Agreed, we will say so in the text.")
    reply_form.get_by_role("button", name="Send").click()
    expect(chiara_thread.locator("ol.replies article.comment .comment-body")).to_have_text(
        "Agreed, we will say so in the text."
    )
    chiara_thread.locator("> .comment-actions button.comment-resolve").click()
    resolved = panel(elena.page, key).locator("details.resolved-thread")
    expect(resolved).to_have_count(1)
    expect(resolved).not_to_have_attribute("open", "")
    assert [c["status"] for c in comments_on(server, key) if c["reply_to"] is None] == ["resolved"]
    assert browsing.problems() == []


def test_propose_an_amendment_from_selected_words(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    chiara = open_charter_signed_in(browsing, COMMENTER)
    elena = open_charter_signed_in(browsing, EDITOR)
    ready(chiara, READ_ONLY)
    ready(elena, SYNCED)
    may_comment(chiara, key)
    select_words(clause(chiara.page, key), "newcomers")
    chiara.page.locator(".selection-bar").get_by_role("button", name="Propose an amendment").click()
    form = panel(chiara.page, key).locator("form.amendment-form")
    text = form.get_by_label("Text", exact=True)
    expect(text).to_have_value(BODY)
    # the selected words are selected in the text field: typing replaces them
    assert text.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)") == "newcomers"
    text.press_sequentially("new neighbours")
    expect(form.locator(".preview del")).to_have_text(["newcomers"])
    expect(form.locator(".preview ins")).to_have_text(["new neighbours"])
    form.get_by_label("Rationale").fill("People, not a category.")
    form.get_by_role("button", name="Propose", exact=True).click()
    expect(form).to_have_count(0)

    for page in (chiara.page, elena.page):
        article = panel(page, key).locator("article.amendment[data-status=open]")
        expect(article).to_have_count(1)
        expect(article.locator(".diff ins")).to_have_text(["new neighbours"])
        expect(article.locator(".rationale")).to_have_text("People, not a category.")
    with client(server, EDITOR) as http:
        (amendment,) = http.get(CHARTER + "/amendments", params={"clause": key}).json()[
            "amendments"
        ]
    assert amendment["body"] == BODY.replace("newcomers", "new neighbours")
    assert amendment["author"]["display_name"] == "Chiara Commenter"

    # Elena supports it: Chiara's page shows the support with Elena's organisation.
    supported = panel(elena.page, key).locator("article.amendment")
    supported.get_by_role("button", name="Support").click()
    expect(panel(chiara.page, key).locator(".amendment-supports")).to_contain_text(
        "Demo municipality of Lampedusa"
    )
    expect(supported.get_by_role("button", name="Withdraw my support")).to_be_visible()

    # The secretariat's decision reaches the open pages: no longer open, folded with the others.
    with client(server, SECRETARIAT) as http:
        decided = http.post(
            f"{CHARTER}/amendments/{amendment['id']}/decision",
            json={"decision": "reject", "reason": "Kept as it is for now."},
        )
    assert decided.status_code == 200, decided.text
    for page in (chiara.page, elena.page):
        earlier = panel(page, key).locator("li.amendments-done")
        expect(earlier.locator("summary")).to_have_text("Earlier amendments (1)")
        expect(earlier.locator("article.amendment")).to_have_attribute("data-status", "rejected")
        expect(panel(page, key).locator("article.amendment[data-status=open]")).to_have_count(0)
    assert browsing.problems() == []


def test_the_keyboard_selects_words_and_reaches_the_comment_button(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    chiara = open_charter_signed_in(browsing, COMMENTER)
    ready(chiara, READ_ONLY)
    page = chiara.page
    body = clause(page, key)
    may_comment(chiara, key)
    body.focus()  # a read-only text is in the tab order
    page.keyboard.press("Control+Home")
    for _ in range(len("Cities")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Tab")  # the clause's own buttons follow its text
    expect(panel(page, key).get_by_role("button", name="Comment", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    form = panel(page, key).locator("form.comment-form")
    expect(form.locator("blockquote")).to_have_text("Cities")
    expect(form.get_by_label("Your comment")).to_be_focused()
    page.keyboard.type("Cities and regions both.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Send
    expect(panel(page, key).locator("article.comment blockquote")).to_have_text("Cities")
    (stored,) = comments_on(server, key)
    assert stored["anchor"]["quote"] == "Cities"
    assert browsing.problems() == []


def test_the_author_edits_and_another_member_reports(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    with client(server, COMMENTER) as http:
        made(http, clause=key, body="A first thought.")
    chiara = open_charter_signed_in(browsing, COMMENTER)
    elena = open_charter_signed_in(browsing, EDITOR)
    ready(chiara, READ_ONLY)
    ready(elena, SYNCED)
    mine = panel(chiara.page, key).locator("article.comment")
    theirs = panel(elena.page, key).locator("article.comment")
    expect(theirs.locator("button.comment-edit")).to_have_count(0)  # only its author edits
    expect(mine.locator("button.comment-report")).to_have_count(0)  # one's own is not reported
    mine.get_by_role("button", name="Edit").click()
    form = panel(chiara.page, key).locator("form.comment-form")
    expect(form.get_by_label("Your comment")).to_have_value("A first thought.")
    form.get_by_label("Your comment").fill("A second, better thought.")
    form.get_by_role("button", name="Save").click()
    expect(theirs.locator(".comment-body")).to_have_text("A second, better thought.")
    expect(theirs.locator(".comment-edited")).to_have_text("(edited)")

    theirs.get_by_role("button", name="Report").click()
    note = panel(elena.page, key).locator(".panel-status")
    expect(note).to_have_text("Reported: the secretariat will look at this comment.")
    theirs.get_by_role("button", name="Report").click()  # once only: the server says so
    expect(note).to_have_text("you reported this comment already")
    (stored,) = comments_on(server, key)
    assert stored["body"] == "A second, better thought."
    assert stored["edited_at"] is not None
    # Chromium logs the refused second report (409); that one is expected here.
    assert [p for p in browsing.problems() if "status of 409" not in p] == []


def test_an_observer_reads_threads_but_cannot_comment(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    with client(server, COMMENTER) as http:
        anchor = anchor_on(BODY, "first day")
        made(http, clause=key, body="Observers should see this.", anchor=anchor)
    omar = open_charter_signed_in(browsing, OBSERVER)
    ready(omar, READ_ONLY)
    thread = panel(omar.page, key).locator("article.comment")
    expect(thread.locator(".comment-body")).to_have_text("Observers should see this.")
    expect(clause(omar.page, key).locator(".cd-comment-anchor")).to_have_text("first day")
    # no way to write: no clause buttons, no reply, no form; reactions only shown
    expect(panel(omar.page, key).locator(".clause-actions")).to_be_hidden()
    expect(thread.get_by_role("button", name="Reply to Chiara Commenter")).to_have_count(0)
    expect(thread.locator("button.comment-agree")).to_be_disabled()
    select_words(clause(omar.page, key), "newcomers")
    omar.page.wait_for_timeout(300)  # the bar would show at the selection change
    expect(omar.page.locator(".selection-bar")).to_be_hidden()
    expect(omar.page.locator("form.panel-form")).to_have_count(0)

    # The API refuses an observer's comment (403) and nothing changes.
    before = everything(server)
    with client(server, OBSERVER) as http:
        refused = http.post(COMMENTS, json={"clause": key, "body": "I would like to say…"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert everything(server) == before
    assert browsing.problems() == []


def test_the_secretariat_hides_a_comment_with_a_reason_and_everyone_sees_it_hidden(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, BODY)
    with client(server, COMMENTER) as http:
        made(http, clause=key, body="Call me at home about this.")
    sam = open_charter_signed_in(browsing, SECRETARIAT)
    elena = open_charter_signed_in(browsing, EDITOR)
    chiara = open_charter_signed_in(browsing, COMMENTER)
    ready(sam, SYNCED)
    ready(elena, SYNCED)
    ready(chiara, READ_ONLY)
    # Only the secretariat is offered to hide; Elena's thread shows the words until then.
    elena_thread = panel(elena.page, key).locator("article.comment")
    expect(elena_thread.locator(".comment-body")).to_have_text("Call me at home about this.")
    expect(elena_thread.locator("button.comment-hide")).to_have_count(0)
    expect(sam.page.locator("a.review-queue")).to_have_attribute(
        "href", "/charters/lampedusa/amendments?status=open"
    )
    expect(elena.page.locator("a.review-queue")).to_have_count(0)

    thread = panel(sam.page, key).locator("article.comment")
    thread.get_by_role("button", name="Hide").click()
    form = panel(sam.page, key).locator("form.hide-form")
    reason = form.get_by_label("Reason (shown to its author)")
    reason.fill("   ")  # no reason: the server asks for one
    form.get_by_role("button", name="Hide").click()
    expect(form.locator("p.error")).to_have_text("say why the comment is hidden")
    assert comment_status(server, key) == "open"
    reason.fill("Private contact details.")
    form.get_by_role("button", name="Hide").click()
    expect(form).to_have_count(0)

    # Live in Elena's page: the words are gone, the mark says who hid them, not why.
    expect(elena_thread.locator(".comment-hidden")).to_have_text("Hidden by the secretariat.")
    expect(elena_thread.locator(".comment-body")).to_have_count(0)
    expect(elena_thread.locator("button.comment-agree")).to_have_count(0)
    # Live in the author's page: the words, and the reason the form promised to show them.
    because = "Hidden by the secretariat: Private contact details."
    chiara_thread = panel(chiara.page, key).locator("article.comment")
    expect(chiara_thread.locator(".comment-hidden")).to_have_text(because)
    expect(chiara_thread.locator(".comment-body")).to_have_text("Call me at home about this.")
    # The secretariat still reads them, and why.
    expect(thread.locator(".comment-body")).to_have_text("Call me at home about this.")
    expect(thread.locator(".comment-hidden")).to_have_text(because)
    assert comment_status(server, key) == "hidden"
    # Chromium logs the refused request (400) of the empty reason; that one is expected here.
    assert [p for p in browsing.problems() if "status of 400" not in p] == []


def test_the_demo_discussion(server: ServerProcess, browsing: Browsing) -> None:
    """The demo charter's comments: words commented on, a thread with replies, a hidden one, a
    resolved one."""
    omar = open_charter_signed_in(browsing, OBSERVER)
    ready(omar, READ_ONLY)
    dignity = panel(omar.page, "dignity-rights").locator("li.thread > article.comment").first
    expect(dignity.locator("blockquote")).to_have_text("whatever their administrative status")
    expect(clause(omar.page, "dignity-rights").locator(".cd-comment-anchor")).to_have_text(
        "whatever their administrative status"
    )
    memory = panel(omar.page, "collective-memory").locator("li.thread > article.comment").first
    expect(memory.locator("ol.replies article.comment")).to_have_count(2)
    hidden = panel(omar.page, "balanced-narratives").locator("article.comment").first
    expect(hidden.locator(".comment-hidden")).to_have_text("Hidden by the secretariat.")
    expect(hidden.locator(".comment-body")).to_have_count(0)
    resolved = panel(omar.page, "participation").locator("details.resolved-thread").first
    expect(resolved).not_to_have_attribute("open", "")
    resolved.locator("summary").click()
    expect(resolved.locator("ol.replies .comment-author")).to_have_text("Sam Secretariat")
    assert browsing.problems() == []


def test_the_discussion_is_beside_the_clause_when_wide_and_below_it_when_narrow(
    server: ServerProcess, browsing: Browsing
) -> None:
    for width, beside in ((1280, True), (420, False)):
        reader = open_charter_signed_in(
            browsing, OBSERVER, viewport={"width": width, "height": 800}
        )
        ready(reader, READ_ONLY)
        discussion = panel(reader.page, "dignity-rights")
        # every panel drawn (the last clause's too): the layout has settled
        expect(reader.page.locator("section.deliberation h4.threads-heading").last).to_have_text(
            re.compile(r"^Comments \(\d+\)$")
        )
        expect(discussion.locator("article.comment")).not_to_have_count(0)
        text = clause(reader.page, "dignity-rights").bounding_box()
        box = discussion.bounding_box()
        assert text is not None
        assert box is not None
        if beside:
            assert box["x"] >= text["x"] + text["width"]
            assert box["y"] < text["y"] + text["height"]
        else:
            assert box["y"] >= text["y"] + text["height"]
            assert box["x"] + box["width"] <= width
    assert browsing.problems() == []


def test_the_discussion_in_french(server: ServerProcess, browsing: Browsing) -> None:
    chiara = open_charter_signed_in(browsing, COMMENTER, locale="fr-FR")
    expect(chiara.page.locator("#status")).to_contain_text("Connecté et à jour.")
    discussion = panel(chiara.page, "collective-memory")
    expect(discussion.locator("h3")).to_have_text("Discussion : Article 6")
    expect(discussion.locator(".clause-actions button")).to_have_text(
        ["Commenter", "Proposer un amendement"]
    )
    thread = discussion.locator("li.thread > article.comment").first
    expect(thread.locator("> .comment-actions button.comment-agree")).to_have_text("D’accord 1")
    resolved = panel(chiara.page, "participation").locator("details.resolved-thread summary")
    expect(resolved).to_contain_text("Discussion résolue ouverte par Elena Editor (1 réponse)")
    assert browsing.problems() == []


def test_no_forms_once_the_charter_is_closed(server: ServerProcess, browsing: Browsing) -> None:
    """Last in the module: it closes the charter (and opens it again)."""
    key = new_clause(server, BODY)
    with client(server, COMMENTER) as http:
        made(http, clause=key, body="Before the close.")
    chiara = open_charter_signed_in(browsing, COMMENTER)
    ready(chiara, READ_ONLY)
    discussion = panel(chiara.page, key)
    expect(discussion.locator(".clause-actions")).to_be_visible()
    with client(server, SECRETARIAT) as http:
        assert http.patch(CHARTER, json={"phase": "closed"}).status_code == 200
    try:
        # live, without a reload: the buttons go, reactions are only shown
        expect(discussion.locator(".clause-actions")).to_be_hidden()
        expect(discussion.locator("button.comment-agree")).to_be_disabled()
        expect(discussion.locator("button.comment-reply")).to_have_count(0)
        select_words(clause(chiara.page, key), "newcomers")
        chiara.page.wait_for_timeout(300)  # the bar would show at the selection change
        expect(chiara.page.locator(".selection-bar")).to_be_hidden()
    finally:
        with client(server, SECRETARIAT) as http:
            assert http.patch(CHARTER, json={"phase": "drafting"}).status_code == 200
    assert browsing.problems() == []


def comment_status(server: ServerProcess, key: str) -> str:
    with client(server, SECRETARIAT) as http:
        (found,) = http.get(COMMENTS, params={"clause": key}).json()["comments"]
    return str(found["status"])
