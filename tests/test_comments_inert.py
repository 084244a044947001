"""Hostile comment bodies render inert in real Chromium: in the charter page's threads and in the
consultation report's HTML page. No dialog opens, no script runs, nothing in the rendered DOM
carries an event handler or a javascript:/data: address.

One SQLite server for the module (what is checked is the rendering, the same on every store).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.browsers import CHARTER_PAGE, Browsing, open_charter_signed_in
from tests.commenting import made, new_clause
from tests.hostile import HOSTILE_BODIES, inert_problems
from tests.people import COMMENTER, SECRETARIAT, client
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]

# A sentinel: anything that gets to call a dialog function also marks the page.
SENTINEL = """
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  const original = window[name]
  window[name] = function (...args) { window.__pwned = name; return original.apply(this, args) }
}
"""

# What in the rendered DOM could run or navigate: handlers, unsafe addresses, active elements.
DANGERS = """
root => {
  const found = []
  for (const node of root.querySelectorAll('*')) {
    for (const attr of node.attributes) {
      const name = attr.name.toLowerCase()
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase()
      if (name.startsWith('on')) found.push(`${node.tagName} ${name}`)
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'].includes(name) &&
          /^(javascript|data|vbscript):/.test(value)) found.push(`${node.tagName} ${name}=${value}`)
    }
    if (/^(SCRIPT|IFRAME|OBJECT|EMBED|FORM|BASE|META|STYLE)$/i.test(node.tagName)) {
      found.push(node.tagName)
    }
  }
  return found
}
"""


def watch_dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(SENTINEL)
    return opened


def assert_inert(page: Page, area: Locator, opened: list[str]) -> None:
    for body in area.locator(".comment-body, .report-entry").all():
        body.hover()  # a handler on hover would run now
    assert area.evaluate(DANGERS) == []
    assert inert_problems(area.inner_html()) == []
    assert page.evaluate("window.__pwned === undefined")
    assert opened == []


def test_hostile_comments_render_inert_in_the_threads_and_the_report(
    server: ServerProcess, browsing: Browsing
) -> None:
    key = new_clause(server, "A clause for hostile comments.")
    with client(server, COMMENTER) as http:
        for body in HOSTILE_BODIES:
            made(http, clause=key, body=body)

    sam = open_charter_signed_in(browsing, SECRETARIAT)
    opened = watch_dialogs(sam.page)
    sam.page.reload()  # with the sentinel in place from the start
    threads = sam.page.locator(f'[data-clause="{key}"] section.deliberation ol.threads')
    expect(threads.locator("li.thread")).to_have_count(len(HOSTILE_BODIES))
    assert_inert(sam.page, threads, opened)

    sam.goto(f"{CHARTER_PAGE}/report")
    report = sam.page.locator("main")
    expect(report.locator(".report-entry").first).to_be_visible()
    assert_inert(sam.page, report, opened)
    assert browsing.problems() == []

    # The checks do catch: a handler and a javascript: link put there, a dialog opened.
    report.evaluate(
        "m => { const a = document.createElement('a'); a.href = 'javascript:void 0';"
        " a.setAttribute('onclick', 'void 0'); m.append(a) }"
    )
    assert len(report.evaluate(DANGERS)) == 2
    sam.page.evaluate("() => alert('check')")
    assert opened == ["alert: check"]
    assert sam.page.evaluate("window.__pwned") == "alert"
