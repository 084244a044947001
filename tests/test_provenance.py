"""Provenance in comparisons, on SQLite and PostgreSQL: each changed clause lists the amendments
merged into it, its revisions and the comments on it between the two sides; the changelog; the
comparison page shows both. Revisions and comments are for members only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BACKENDS
from tests.people import ANONYMOUS, COMMENTER, OBSERVER, SECRETARIAT, client
from tests.revising import BODY, CHARTER, new_clause, publish_next, settled_server
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(120)
RATIONALE = "Every child, not only some: the words of the 2016 declaration."


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    yield from settled_server(request, "provenance")


def comparison(server: ServerProcess, old: str, new: str, who: str | None) -> dict[str, Any]:
    with client(server, who) as http:
        response = http.get(CHARTER + "/compare", params={"from": old, "to": new})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def entry_of(compared: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in compared["clauses"] if e["id"] == key)
    return found


def test_a_comparison_says_where_each_change_came_from(server: ServerProcess) -> None:
    key, quiet = new_clause(server), new_clause(server, "Nothing happens here.")
    before = publish_next(server)
    with client(server, COMMENTER) as http:
        made = http.post(
            CHARTER + "/amendments",
            json={
                "clause": key,
                "kind": "replace",
                "body": BODY.replace("every child", "each and every child"),
                "rationale": RATIONALE,
            },
        )
        assert made.status_code == 201, made.text
        commented = http.post(CHARTER + "/comments", json={"clause": key, "body": "Good."})
        assert commented.status_code == 201, commented.text
    amendment_id = made.json()["id"]
    with client(server, SECRETARIAT) as http:
        decided = http.post(
            f"{CHARTER}/amendments/{amendment_id}/decision", json={"decision": "accept"}
        )
    assert decided.status_code == 200, decided.text
    after = publish_next(server)

    compared = comparison(server, before, after, OBSERVER)
    changed = entry_of(compared, key)
    # The existing fields, as they were.
    assert changed["change"] == "changed"
    assert ["+", " each and"] in changed["body_diff"]
    assert changed["from_number"] == changed["to_number"]
    # Where the change came from.
    assert [a["id"] for a in changed["amendments"]] == [amendment_id]
    assert changed["amendments"][0]["rationale"] == RATIONALE
    assert changed["amendments"][0]["link"].endswith(f"#amendment-{amendment_id}")
    assert [r["source"] for r in changed["revisions"]] == ["amendment"]
    assert changed["revisions"][0]["source_ref"] == str(amendment_id)
    assert changed["comments"]["count"] == 1
    assert changed["comments"]["link"].endswith(f"/comments?clause={key}")
    assert changed["history"] == f"/charters/lampedusa/clauses/{key}/history"
    still = entry_of(compared, quiet)
    assert still["change"] == "unchanged"
    assert (still["amendments"], still["revisions"], still["comments"]["count"]) == ([], [], 0)
    log = compared["changelog"]
    assert key in log["changed"]
    assert quiet not in log["changed"]
    assert [a["id"] for a in log["amendments"]] == [amendment_id]
    assert log["amendments"][0]["clause"] == key

    # Visitors see the amendments and the changelog, not the draft's revisions and comments.
    public = comparison(server, before, after, ANONYMOUS)
    assert public["changelog"] == log
    seen = entry_of(public, key)
    assert [a["id"] for a in seen["amendments"]] == [amendment_id]
    assert "revisions" not in seen
    assert "comments" not in seen

    # Members compare with the live draft too; later changes are not in the earlier window.
    to_live = comparison(server, after, "live", OBSERVER)
    assert entry_of(to_live, key)["amendments"] == []
    assert to_live["changelog"]["amendments"] == []

    with client(server, ANONYMOUS) as http:
        page = http.get(f"/charters/lampedusa/compare?from={before}&to={after}")
    assert page.status_code == 200
    assert 'class="changelog"' in page.text
    assert f'data-amendment="{amendment_id}"' in page.text
    assert "the words of the 2016 declaration" in page.text
    assert f"/clauses/{key}/history" not in page.text
    with client(server, OBSERVER) as http:
        page = http.get(f"/charters/lampedusa/compare?from={before}&to={after}")
    assert f"/clauses/{key}/history" in page.text
