"""The amendments page in real Chromium: a commenter previews and proposes an amendment; the
secretariat accepts it while an editor is typing in the same clause; both see the merged text."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from tests.browsers import (
    CHARTER_PAGE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEADLINE_MS,
    EDITOR_TEXT,
    require_chromium,
)
from tests.servers import DEMO_PASSWORD, ServerProcess, eventually_async

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]
CLAUSE = "city-cooperation"
AMENDMENTS_PAGE = CHARTER_PAGE + "/amendments"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


async def signed_in(browser: Browser, server: ServerProcess, email: str, path: str) -> Page:
    """A person of their own (a browser context) who signs in and lands on ``path``."""
    context = await browser.new_context(base_url=server.base_url, locale="en-GB")
    context.set_default_timeout(DEADLINE_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.problems = problems  # type: ignore[attr-defined]
    await page.goto(f"/sign-in?next={path}")
    await page.locator("#email").fill(email)
    await page.locator("#password").fill(DEMO_PASSWORD)
    await page.locator("form.stacked button[type=submit]").click()
    await expect(page).to_have_url(server.base_url + path)
    return page


def api_body(server: ServerProcess) -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return str(next(c["body"] for c in clauses if c["id"] == CLAUSE))


def body_editor(page: Page) -> Locator:
    """The clause body's editor, by the editor's DOM contract (``data-clause``, ``data-field``,
    CodeMirror's ``.cm-content``)."""
    return page.locator(f'[data-clause="{CLAUSE}"] [data-field="body"] .cm-content')


async def shown_text(editor: Locator) -> str:
    """The text the editor shows, without others' carets drawn over it."""
    text: str = await editor.evaluate(EDITOR_TEXT)
    return text


async def test_propose_then_accept_while_an_editor_types(server: ServerProcess) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            await _flow(browser, server)
        finally:
            await browser.close()


async def _flow(browser: Browser, server: ServerProcess) -> None:
    before = api_body(server)
    proposed = before.replace("No town", "No city", 1)
    assert proposed != before

    # A commenter writes the amendment, sees its word diff, then sends it.
    commenter = await signed_in(browser, server, "commenter@example.org", AMENDMENTS_PAGE)
    await commenter.locator("#a-clause").select_option(CLAUSE)
    await commenter.locator("#a-kind").select_option("replace")
    await commenter.locator("#a-body").fill(proposed)
    await commenter.locator("#a-rationale").fill("A city is what the charter speaks of.")
    await commenter.locator("button[name=preview]").click()
    await expect(commenter.locator(".preview del")).to_have_text(["town"])
    await expect(commenter.locator(".preview ins")).to_have_text(["city"])
    await commenter.locator("form.propose button[type=submit]:not([name])").click()
    article = commenter.locator(
        "article.amendment[data-status=open]", has_text="A city is what the charter speaks of."
    )
    await expect(article).to_have_count(1)
    await expect(commenter).to_have_url(re.compile(r"/amendments#amendment-\d+$"))
    await expect(article.locator(".diff ins")).to_have_text(["city"])
    amendment_id = await article.get_attribute("data-amendment")
    await commenter.screenshot(path=ARTIFACTS / "amendments-commenter.png", full_page=True)

    # An editor types at the end of the same clause while the secretariat accepts.
    editor = await signed_in(browser, server, "editor@example.org", CHARTER_PAGE)
    secretariat = await signed_in(browser, server, "secretariat@example.org", AMENDMENTS_PAGE)
    decision = secretariat.locator(f"#amendment-{amendment_id} form.decision")
    await decision.locator("input[name=reason]").fill("Agreed at the drafting session.")
    body = body_editor(editor)
    await body.click()
    await body.press("Control+End")
    typed = " Together we go further."

    async def type_slowly() -> None:
        await body.press_sequentially(typed, delay=60)

    typing = asyncio.create_task(type_slowly())
    await asyncio.sleep(0.3)  # some of it typed, the rest to come
    await decision.locator("button[value=accept]").click()
    await typing
    merged = proposed + typed
    await eventually_async(lambda: api_body(server) == merged, within=15)
    await until_shown(body, merged)
    await expect(secretariat.locator(f"#amendment-{amendment_id}")).to_have_count(0)  # not open
    await secretariat.goto(AMENDMENTS_PAGE + "?status=merged")
    done = secretariat.locator(f"#amendment-{amendment_id}")
    await expect(done).to_have_attribute("data-status", "merged")
    await expect(done.locator(".history")).to_contain_text("Agreed at the drafting session.")
    await secretariat.goto(CHARTER_PAGE)
    await until_shown(body_editor(secretariat), merged)
    await secretariat.screenshot(path=ARTIFACTS / "amendments-merged.png", full_page=True)
    for page in (commenter, editor, secretariat):
        assert page.problems == []  # type: ignore[attr-defined]


async def until_shown(editor: Locator, expected: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while (shown := await shown_text(editor)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"the editor shows {shown!r}, not {expected!r}")
        await asyncio.sleep(0.05)
