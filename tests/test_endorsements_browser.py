"""Endorsements in real Chromium: a visitor asks to endorse with the public form; the
secretariat verifies the request in its queue; the public endorsers list open in another page
shows it live, without a reload; the campaign's charts render; a new version is announced."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browsers import Browsing, submit_sign_in
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]
VERSION_PAGE = "/charters/lampedusa/versions/0.1"
DASHBOARD = "/charters/lampedusa/endorsements"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_a_visitor_asks_the_secretariat_verifies_the_public_list_shows_it(
    server: ServerProcess, browsing: Browsing
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    visitor = browsing.open()
    visitor.goto(VERSION_PAGE)
    form = visitor.page.locator("form.request")
    form.locator("#e-name").fill("Ciudad Abierta <script>alert(1)</script>")
    form.locator("#e-kind").select_option("local_government")
    form.locator("#e-country").select_option("ES")
    form.locator("#e-city").fill("Valencia")
    form.locator("#e-signatory_name").fill("Lucía Pérez")
    form.locator("#e-signatory_title").fill("Deputy mayor")
    form.locator("#e-contact_email").fill("lucia@example.org")
    form.locator("#e-statement").fill("We welcome it.")
    form.locator("button[type=submit]").click()
    expect(visitor.page.locator("main [role=status]")).to_be_visible()

    reader = browsing.open()
    reader.goto(VERSION_PAGE)
    expect(reader.page.locator("section.endorsers")).not_to_contain_text("Ciudad Abierta")

    secretariat = browsing.open()
    secretariat.goto(f"/sign-in?next={DASHBOARD}")
    submit_sign_in(secretariat, "secretariat@example.org")
    page = secretariat.page
    expect(page).to_have_url(server.base_url + DASHBOARD)
    request = page.locator("li.pending", has_text="Ciudad Abierta")
    expect(request).to_contain_text("lucia@example.org")
    request.locator("form[action$='/verify'] button").click()
    expect(page.locator("li.pending", has_text="Ciudad Abierta")).to_have_count(0)
    expect(page.locator("figure.chart svg")).to_have_count(4)
    page.screenshot(path=ARTIFACTS / "endorsement-dashboard.png", full_page=True)

    # The reader's page was never reloaded: the list came over the public event stream.
    endorser = reader.page.locator("li.endorser", has_text="Ciudad Abierta")
    expect(endorser).to_contain_text("Valencia")
    expect(endorser).to_contain_text("<script>alert(1)</script>")  # shown as text
    status = reader.page.locator(".live-endorsers [role=status]")
    expect(status).to_have_text("The list of endorsers has just been updated.")

    with server.signed_in("secretariat@example.org") as http:
        made = http.post("/api/charters/lampedusa/versions", json={"number": "0.2", "title": "T"})
        assert made.status_code == 201, made.text
    expect(status).to_contain_text("Version 0.2 has just been published.")
    status.get_by_role("link", name="Read it").click()
    expect(reader.page).to_have_url(server.base_url + "/charters/lampedusa/versions/0.2")

    # A city that endorsed 0.1 is asked to re-confirm for 0.2, with what changed; once it has,
    # the reader's page of 0.2 lists it, again without a reload.
    city = browsing.open()
    city.goto("/sign-in?next=/charters/lampedusa/versions/0.2")
    submit_sign_in(city, "editor@example.org")
    reconfirm = city.page.locator("section.reconfirm")
    expect(reconfirm).to_contain_text("You endorsed 0.1; 0.2 is out.")
    comparison = reconfirm.get_by_role("link", name="What changed from 0.1 to 0.2")
    expect(comparison).to_have_attribute("href", "/charters/lampedusa/compare?from=0.1&to=0.2")
    reconfirm.get_by_role("button", name="Confirm for this version").click()
    expect(city.page.locator("p.endorsed")).to_be_visible()
    expect(reader.page.locator("li.endorser", has_text="Elena Editor")).to_be_visible()
    assert browsing.problems() == []
