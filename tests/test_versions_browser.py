"""Published versions in real Chromium: the secretariat publishes from the form; a visitor who
is not signed in reads the versions, opens a comparison and downloads the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browsers import Browsing, submit_sign_in
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]
VERSIONS_PAGE = "/charters/lampedusa/versions"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_a_visitor_reads_the_charter_compares_and_downloads_while_the_secretariat_publishes(
    server: ServerProcess, browsing: Browsing, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # A visitor, not signed in, opens the charter's own address: version 0.1.
    visitor = browsing.open()
    visitor.goto("/charters/lampedusa")
    reading = visitor.page
    expect(reading.locator("main.version")).to_have_attribute("data-version", "0.1")
    headings = reading.locator("section.clause h2")
    expect(headings.first).to_be_visible()
    assert headings.count() >= 10
    expect(reading.locator("head meta[property='og:title']")).to_have_attribute(
        "content", re.compile(r"0\.1$")
    )
    reading.screenshot(path=ARTIFACTS / "public-0.1.png", full_page=True)

    # The secretariat publishes 0.2 from the form.
    secretariat = browsing.open()
    secretariat.goto(f"/sign-in?next={VERSIONS_PAGE}")
    submit_sign_in(secretariat, "secretariat@example.org")
    page = secretariat.page
    expect(page).to_have_url(server.base_url + VERSIONS_PAGE)
    page.locator("details.publish summary").click()
    expect(page.locator("#v-number")).to_have_value("0.2")  # the next number, suggested
    page.locator("#v-title").fill("Second reading")
    page.locator("#v-notes").fill("After the *consultation* of the cities.")
    page.locator("form.publish button[type=submit]").click()
    expect(page).to_have_url(server.base_url + VERSIONS_PAGE + "/0.2")
    expect(page.locator(".edition")).to_contain_text("0.2")
    expect(page.locator(".notes em")).to_have_text("consultation")

    # The visitor comes back: 0.2 now, and what changed since 0.1.
    reading.reload()
    expect(reading.locator("main.version")).to_have_attribute("data-version", "0.2")
    reading.locator("main.version a", has_text="Changes since").click()
    expect(reading.locator("section.change").first).to_be_visible()
    # The demo's merged amendment and live edit came after 0.1: changed clauses, with diffs.
    changed = reading.locator('section.change[data-change="changed"]')
    expect(changed.first).to_be_visible()
    expect(changed.first.locator(".diff ins").first).to_be_visible()
    reading.screenshot(path=ARTIFACTS / "compare-0.1-0.2.png", full_page=True)
    visitor.goto(VERSIONS_PAGE + "/0.1")
    with reading.expect_download() as download_info:
        reading.locator("a[href$='/export.pdf']").click()
    saved = tmp_path / "charter.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert download_info.value.suggested_filename == "lampedusa-0.1.pdf"
    assert browsing.problems() == []
