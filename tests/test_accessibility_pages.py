"""The pages beside the drafting page pass the same axe-core scan (no serious or critical
violation), in real Chromium: versions, a version and its endorsers, a comparison, the
secretariat's review queue, consultation report and endorsement campaign, in English and French.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browsers import Browsing, Watched, submit_sign_in
from tests.servers import ServerProcess
from tests.test_accessibility import axe_source, scan

__all__ = ["axe_source"]  # the fixture, used by name

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.parametrize("server", ["sqlite"], indirect=True),
]
CHARTER = "/charters/lampedusa"
PUBLIC = {
    "versions": f"{CHARTER}/versions",
    "version": f"{CHARTER}/versions/0.1",
    "endorsers": f"{CHARTER}/versions/0.1/endorsers",
}
SECRETARIAT = {
    "compare-live": f"{CHARTER}/compare?from=0.1&to=live",
    "review": f"{CHARTER}/amendments",
    "report": f"{CHARTER}/report",
    "campaign": f"{CHARTER}/endorsements",
}


def signed_in(browsing: Browsing, email: str, locale: str) -> Watched:
    person = browsing.open(locale=locale)
    person.goto(f"/sign-in?next={CHARTER}/versions")
    submit_sign_in(person, email)
    expect(person.page).to_have_url(browsing.base_url + f"{CHARTER}/versions")
    return person


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_public_pages(
    server: ServerProcess, browsing: Browsing, axe_source: str, locale: str
) -> None:
    visitor = browsing.open(locale=locale)
    for name, path in PUBLIC.items():
        visitor.goto(path)
        expect(visitor.page.locator("main")).to_be_visible()
        assert scan(visitor.page, axe_source, f"{name}-{locale}") == [], path
    assert browsing.problems() == []


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_secretariat_s_pages(
    server: ServerProcess, browsing: Browsing, axe_source: str, locale: str
) -> None:
    sam = signed_in(browsing, "secretariat@example.org", locale)
    for name, path in SECRETARIAT.items():
        sam.goto(path)
        expect(sam.page.locator("main")).to_be_visible()
        assert scan(sam.page, axe_source, f"{name}-{locale}") == [], path
    assert browsing.problems() == []
