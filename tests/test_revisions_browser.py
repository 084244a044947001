"""A clause's history in real Chromium: the secretariat follows a clause's history link from the
charter page, reads the word diff between two revisions, restores the older one after
confirming, and the charter page shows the restored text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browsers import Browsing, clause, expect_editor_text, open_charter_signed_in
from tests.people import COMMENTER, SECRETARIAT, client
from tests.revising import BODY, CHARTER, SETTLE, new_clause, revisions
from tests.servers import ServerProcess
from tests.test_accessibility import AXE, scan

pytestmark = pytest.mark.timeout(180)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("revisions-browser")
    url = f"sqlite+aiosqlite:///{data_dir / 'charter-drafts.sqlite3'}"
    process = ServerProcess(data_dir, url, dict(SETTLE))
    process.start("--demo")
    yield process
    if process.process is not None:
        process.stop()


def merge_amendment(server: ServerProcess, key: str, body: str) -> None:
    with client(server, COMMENTER) as http:
        made = http.post(
            CHARTER + "/amendments",
            json={"clause": key, "kind": "replace", "body": body, "rationale": "clearer"},
        )
    assert made.status_code == 201, made.text
    with client(server, SECRETARIAT) as http:
        decided = http.post(
            f"{CHARTER}/amendments/{made.json()['id']}/decision",
            json={"decision": "accept", "reason": "agreed"},
        )
    assert decided.status_code == 200, decided.text


def test_the_secretariat_restores_an_older_revision_from_the_history_page(
    server: ServerProcess, browsing: Browsing
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    key = new_clause(server)
    amended = BODY.replace("every child", "each child")
    merge_amendment(server, key, amended)
    assert [r["source"] for r in revisions(server, key)] == ["amendment", "structure"]
    first = revisions(server, key)[-1]["id"]

    secretariat = open_charter_signed_in(browsing, SECRETARIAT)
    page = secretariat.page
    expect_editor_text(clause(page, key), amended)
    page.locator(f'li[data-clause="{key}"] a.clause-history').click()
    expect(page).to_have_url(f"{server.base_url}/charters/lampedusa/clauses/{key}/history")
    expect(page.locator("li.revision")).to_have_count(2)
    expect(page.locator("li.revision").first).to_have_attribute("data-source", "amendment")

    # The changes from the first revision to the live text, word by word.
    page.locator("#h-from").select_option(str(first))
    page.locator("#h-to").select_option("live")
    page.locator("form.choose button[type=submit]").click()
    expect(page.locator(".changes del")).to_have_text(["every"])
    expect(page.locator(".changes ins")).to_have_text(["each"])
    axe = AXE.read_text() if AXE.is_file() else ""
    if axe:  # as every page: no serious or critical violation (screenshot in tests/artifacts)
        assert scan(page, axe, "clause-history") == []

    # Restore the first revision: a confirmation first, then the form's POST (with its CSRF).
    page.locator(f"#revision-{first} a.restore").click()
    expect(page.locator("#confirm")).to_be_visible()
    if axe:
        assert scan(page, axe, "clause-history-restore") == []
    page.locator("#confirm button[type=submit]").click()
    expect(page.locator("li.revision")).to_have_count(3)
    expect(page.locator("li.revision").first).to_have_attribute("data-source", "restore")
    expect(page.locator("li.revision").first.locator(".source a")).to_have_attribute(
        "href", f"#revision-{first}"
    )
    newest = revisions(server, key)[0]
    assert newest["source"] == "restore"
    assert newest["source_ref"] == str(first)
    assert newest["body"] == BODY

    # Back on the charter page: the restored text.
    secretariat.goto("/charters/lampedusa")
    expect_editor_text(clause(page, key), BODY)
    assert browsing.problems() == []


def test_the_history_page_speaks_french_and_is_for_members(server: ServerProcess) -> None:
    key = new_clause(server)
    path = f"/charters/lampedusa/clauses/{key}/history"
    with client(server, COMMENTER) as http:
        french = http.get(path, params={"lang": "fr"})
        english = http.get(path)
    assert french.status_code == 200
    assert "Historique de" in french.text
    assert "structure des clauses modifiée" in french.text
    assert "Rétablir…" not in french.text  # restoring is the secretariat's
    assert "History of" in english.text
    with client(server, SECRETARIAT) as http:
        assert "Restore…" in http.get(path).text
    with client(server, None) as http:
        assert http.get(path).status_code in (401, 403)
