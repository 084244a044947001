"""Real Chromium for the browser tests: launching it, separate people, watched pages, signing in.

The tests drive Debian's Chromium (/usr/bin/chromium, installed by `make chromium`), never a
browser downloaded by a test tool. Every page is watched: console errors (Chromium reports
Content-Security-Policy violations there), uncaught page errors and the websocket frames the
page sends are recorded, so a test can assert that a flow ran cleanly and what reached the wire.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    WebSocket,
    expect,
)

from tests.servers import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    # the machine's network is closed: no background requests to be refused
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEADLINE_MS = 10_000
IN_CI = os.environ.get("CI") == "true"
CHARTER_PAGE = "/charters/lampedusa"

# Also report CSP violations through the console, with the directive and what was blocked
# (Chromium logs its own message too; this one cannot be missed whatever Chromium's wording).
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`)
})
"""


def require_chromium() -> None:
    """Skip without Chromium, but fail under CI=true, where the browser tests must run."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    message = f"the browser tests need Debian's Chromium at {CHROMIUM} (`make chromium`)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def launch(playwright: Playwright) -> Browser:
    expect.set_options(timeout=DEADLINE_MS)
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def is_sync_update(frame: bytes) -> bool:
    """A y-websocket sync message carrying an update (messageSync 0, messageYjsUpdate 2)."""
    return frame[:2] == b"\x00\x02"


@dataclass
class Watched:
    """A page with what it did wrong (console errors, page errors) and the frames it sent."""

    context: BrowserContext
    page: Page
    base_url: str
    problems: list[str] = field(default_factory=list)
    sent_frames: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("websocket", self._on_websocket)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if where.endswith("/favicon.ico"):
            return  # the browser's own request for an icon the site does not have
        self.problems.append(f"console error: {message.text} ({where})")

    def _on_websocket(self, socket: WebSocket) -> None:
        socket.on(
            "framesent",
            lambda payload: self.sent_frames.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def updates_sent(self) -> int:
        return sum(1 for frame in self.sent_frames if is_sync_update(frame))


class Browsing:
    """Pages in browser contexts of their own: separate cookies, so separate people."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.watched: list[Watched] = []

    def open(self, *, locale: str = "en-GB", javascript: bool = True, **options: Any) -> Watched:
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, java_script_enabled=javascript, **options
        )
        context.set_default_timeout(DEADLINE_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        watched = Watched(context, context.new_page(), self.base_url)
        self.watched.append(watched)
        return watched

    def problems(self) -> list[str]:
        return [problem for watched in self.watched for problem in watched.problems]

    def close(self) -> None:
        for watched in self.watched:
            watched.context.close()


def follow_sign_in_link(watched: Watched, base_url: str) -> None:
    """On the charter's public page, the way in for members: to the sign-in form, and back."""
    watched.page.locator("main a.sign-in-link").click()
    expect(watched.page).to_have_url(f"{base_url}/sign-in?next={CHARTER_PAGE}")


def submit_sign_in(watched: Watched, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the sign-in form the page shows (by field id: labels are translated)."""
    page = watched.page
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form.stacked button[type=submit]").click()


def open_charter_signed_in(
    browsing: Browsing,
    email: str,
    *,
    locale: str = "en-GB",
    events: bool = True,
    **options: Any,
) -> Watched:
    """A new person opens the demo charter (its published text, for them), follows its sign-in
    link, signs in and comes back to the live draft.

    ``events=False`` cuts the page off from the live event stream (as a proxy that buffers
    Server-Sent Events would), so it learns of changes only from the live socket. Other
    ``options`` go to the browser context (``color_scheme="dark"``…).
    """
    watched = browsing.open(locale=locale, **options)
    if not events:
        watched.page.route("**/api/charters/*/events", lambda route: route.abort())
    watched.goto(CHARTER_PAGE)
    follow_sign_in_link(watched, browsing.base_url)
    submit_sign_in(watched, email)
    expect(watched.page).to_have_url(browsing.base_url + CHARTER_PAGE)
    return watched


def clause(page: Page, clause_id: str, field_name: str = "body") -> Locator:
    """A live clause field's editor (rendered by the client once synced): its `.cm-content`."""
    return page.locator(f'[data-clause="{clause_id}"] [data-field="{field_name}"] .cm-content')


# The text an editor shows, line by line, without what is drawn over it (others' carets and
# their names, CodeMirror's placeholder and widget buffers).
EDITOR_TEXT = """
content => Array.from(content.querySelectorAll(':scope > .cm-line')).map(line => {
  const copy = line.cloneNode(true)
  copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer, .cm-placeholder')
    .forEach(n => n.remove())
  return copy.textContent
}).join('\\n')
"""


def editor_text(editor: Locator) -> str:
    """The text a clause editor shows now."""
    return str(editor.evaluate(EDITOR_TEXT))


def expect_editor_text(editor: Locator, text: str, timeout: float = DEADLINE_MS / 1000) -> None:
    """Wait until a clause editor shows exactly ``text``."""
    deadline = time.monotonic() + timeout
    shown = editor_text(editor)
    while shown != text:
        if time.monotonic() > deadline:
            raise AssertionError(f"the editor shows {shown!r}, not {text!r}")
        time.sleep(0.05)
        shown = editor_text(editor)


# Selects `words` (their first occurrence) in a clause field's editor, as a mouse drag would:
# a DOM range over the line's text nodes, then the browser's own selectionchange.
SELECT_WORDS = """
(content, words) => {
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT)
  const nodes = []
  let text = ''
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('.cm-ySelectionCaret, .cm-placeholder')) continue
    nodes.push([n, text.length])
    text += n.data
  }
  const start = text.indexOf(words)
  if (start < 0) return false
  const end = start + words.length
  const at = (offset, last) => {
    for (const [n, base] of nodes) {
      if (offset < base + n.data.length || (last && offset === base + n.data.length)) {
        return [n, offset - base]
      }
    }
    return null
  }
  const [startNode, startOffset] = at(start, false)
  const [endNode, endOffset] = at(end, true)
  const range = document.createRange()
  range.setStart(startNode, startOffset)
  range.setEnd(endNode, endOffset)
  const selection = document.getSelection()
  selection.removeAllRanges()
  selection.addRange(range)
  return true
}
"""


def select_words(editor: Locator, words: str) -> None:
    """Select ``words`` in a clause editor (its ``.cm-content``), as a person would."""
    assert editor.evaluate(SELECT_WORDS, words) is True
