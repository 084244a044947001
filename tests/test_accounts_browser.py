"""The accounts page in real Chromium: a site administrator finds a member by e-mail and
deactivates the account with a reason (its open live document closes with 4401, it can no
longer sign in, the page says who did it and why), then reactivates it. Whoever is not a site
administrator is refused the page and its forms, and a refusal changes nothing; the page passes
the axe-core scan in English and French. On SQLite and PostgreSQL (the search is the store's)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.sync.client import ClientConnection, connect

from tests.accounts import new_member, signs_in, stored_account
from tests.browsers import Browsing, Watched, submit_sign_in
from tests.people import SECRETARIAT, SITE_ADMIN, add_accounts
from tests.servers import ServerProcess
from tests.test_accessibility import axe_source, scan

__all__ = ["axe_source"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(180)  # on SQLite and PostgreSQL (the server fixture's)
PAGE = "/accounts"


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def signed_in(browsing: Browsing, email: str, locale: str = "en-GB") -> Watched:
    person = browsing.open(locale=locale)
    person.goto(f"/sign-in?next={PAGE}")
    submit_sign_in(person, email)
    return person


def test_an_administrator_deactivates_and_reactivates_a_member(
    people: ServerProcess, browsing: Browsing
) -> None:
    member = new_member(people)
    with connect(f"{people.ws_url(as_=None)}?token={member.token}", open_timeout=10) as socket:
        socket.recv(timeout=10)  # the server's sync step 1: the member is in
        admin = signed_in(browsing, SITE_ADMIN)
        page = admin.page
        expect(page).to_have_url(people.base_url + PAGE)
        expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")

        # The administrator's own row offers nothing to do.
        page.get_by_label("Find by name or e-mail").fill(SITE_ADMIN)
        page.get_by_role("button", name="Find").click()
        own = page.locator("tr", has_text=SITE_ADMIN)
        expect(own).to_contain_text("You (ask another administrator)")
        expect(own.locator("form")).to_have_count(0)

        page.get_by_label("Find by name or e-mail").fill(member.email.upper())
        page.get_by_role("button", name="Find").click()
        row = page.locator(f"tr#account-{member.user_id}")
        expect(page.locator("table.accounts caption")).to_have_text("Accounts found: 1")
        expect(row).to_contain_text("Active")
        # No reason: the browser does not send the form, and nothing changes.
        row.get_by_role("button", name="Deactivate").click()
        assert stored_account(people, member.user_id)[0] is True

        row.get_by_label("Reason", exact=True).fill("Left the city <script>alert(1)</script>")
        row.get_by_role("button", name="Deactivate").click()
        expect(page.locator("main [role=status]")).to_have_text(
            "A member's account is deactivated: signed out everywhere, its API token revoked."
        )
        row = page.locator(f"tr#account-{member.user_id}")
        when = re.compile(r"Deactivated on \d{4}-\d\d-\d\d \d\d:\d\d by " + re.escape(SITE_ADMIN))
        expect(row).to_contain_text(when)
        expect(row.locator("q.reason")).to_have_text("Left the city <script>alert(1)</script>")
        # The search is kept across the form.
        expect(page.get_by_label("Find by name or e-mail")).to_have_value(member.email.upper())

        close = _closed(socket)
        assert close is not None
        assert close.code == 4401
    active, _epoch, live_tokens = stored_account(people, member.user_id)
    assert (active, live_tokens) == (False, 0)
    assert signs_in(people, member.email) == 401

    # Deactivating twice is refused on the page, and changes nothing.
    refused = admin.page.request.post(
        f"{PAGE}/{member.user_id}/deactivate",
        form={"csrf": _csrf(admin), "reason": "again"},
        max_redirects=0,
    )
    assert refused.status == 409
    assert "is deactivated already" in refused.text()

    row = page.locator(f"tr#account-{member.user_id}")
    row.get_by_role("button", name="Reactivate").click()
    expect(page.locator("main [role=status]")).to_contain_text("A member's account is active again")
    expect(page.locator(f"tr#account-{member.user_id}")).to_contain_text("Active")
    assert stored_account(people, member.user_id)[0] is True
    assert signs_in(people, member.email) == 200
    assert browsing.problems() == []


def _closed(socket: ClientConnection) -> Close | None:
    """The close frame the server sends, reading (and dropping) what comes before it."""
    try:
        while True:
            socket.recv(timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd


def _csrf(person: Watched) -> str:
    value = person.page.locator("input[name=csrf]").first.get_attribute("value")
    assert value
    return value


def test_only_site_administrators_see_the_page_or_use_its_forms(
    people: ServerProcess, browsing: Browsing
) -> None:
    member = new_member(people)
    before = stored_account(people, member.user_id)

    visitor = browsing.open()
    visitor.goto(PAGE)
    expect(visitor.page).to_have_url(f"{people.base_url}/sign-in?next={PAGE}")

    sam = signed_in(browsing, SECRETARIAT)
    sam.goto(PAGE)
    expect(sam.page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
    assert "Accounts" not in sam.page.title()
    response = sam.page.request.get(people.base_url + PAGE)
    assert response.status == 403
    home = sam.page.request.get(people.base_url + "/").text()
    assert 'href="/accounts"' not in home
    # The secretariat's own valid form token (from its sign-out form) does not make it an
    # administrator.
    sam.goto("/")
    refused = sam.page.request.post(
        f"{people.base_url}{PAGE}/{member.user_id}/deactivate",
        form={"csrf": _csrf(sam), "reason": "not theirs to do"},
        max_redirects=0,
    )
    assert refused.status == 403
    # An administrator's form without its form token is refused too.
    admin = signed_in(browsing, SITE_ADMIN)
    assert 'href="/accounts"' in admin.page.request.get(people.base_url + "/").text()
    forged = admin.page.request.post(
        f"{people.base_url}{PAGE}/{member.user_id}/deactivate",
        form={"reason": "no token"},
        max_redirects=0,
    )
    assert forged.status == 403
    with httpx.Client(base_url=people.base_url, timeout=10) as http:
        anonymous = http.post(f"{PAGE}/{member.user_id}/deactivate", data={"reason": "x"})
        assert anonymous.status_code in (401, 403)
    assert stored_account(people, member.user_id) == before
    assert signs_in(people, member.email) == 200


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_page_passes_the_accessibility_scan(
    people: ServerProcess, browsing: Browsing, axe_source: str, locale: str
) -> None:
    admin = signed_in(browsing, SITE_ADMIN, locale)
    expect(admin.page).to_have_url(people.base_url + PAGE)
    title = {"en-GB": "Accounts", "fr-FR": "Comptes"}[locale]
    expect(admin.page.get_by_role("heading", level=1)).to_have_text(title)
    expect(admin.page.locator("table.accounts tbody tr").first).to_be_visible()
    assert scan(admin.page, axe_source, f"accounts-{locale}") == []
    assert browsing.problems() == []


def test_bad_input_to_the_forms_is_refused_and_changes_nothing(
    people: ServerProcess, browsing: Browsing
) -> None:
    member = new_member(people)
    before = stored_account(people, member.user_id)
    admin = signed_in(browsing, SITE_ADMIN)
    csrf = _csrf(admin)
    post = admin.page.request.post
    too_long = post(
        f"{PAGE}/{member.user_id}/deactivate",
        form={"csrf": csrf, "reason": "x" * 501},
        max_redirects=0,
    )
    assert too_long.status == 400
    assert "A reason has at most 500 characters" in too_long.text()
    blank = post(
        f"{PAGE}/{member.user_id}/deactivate",
        form={"csrf": csrf, "reason": "   "},
        max_redirects=0,
    )
    assert blank.status == 400
    unknown = post(f"{PAGE}/999999/deactivate", form={"csrf": csrf, "reason": "x"})
    assert unknown.status == 404
    garbage = post(f"{PAGE}/1x%3Cscript%3E/deactivate", form={"csrf": csrf, "reason": "x"})
    assert garbage.status == 404
    page = admin.page.request.get(f"{PAGE}?q=%3Cscript%3Ealert(1)%3C/script%3E&done=x&id=abc")
    assert page.status == 200
    assert "<script>alert(1)" not in page.text()
    assert stored_account(people, member.user_id) == before
