"""Endorsements over the real server, on SQLite and PostgreSQL: members endorse, the public
asks, the secretariat verifies or rejects, withdrawals and re-confirmations, the counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.people import (
    COMMENTER,
    EDITOR,
    OBSERVER,
    OUTSIDER,
    SECRETARIAT,
    add_accounts,
    client,
)
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(120)
CHARTER = "/api/charters/lampedusa"
ENDORSEMENTS = CHARTER + "/endorsements"
REQUESTS = CHARTER + "/endorsement-requests"

SIGNATORY = {"signatory_name": "Elena Rossi", "signatory_title": "Mayor", "public": True}


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def endorsers(server: ServerProcess, number: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.base_url) as anonymous:
        answer = anonymous.get(f"{CHARTER}/versions/{number}/endorsers")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["endorsers"]
    return found


def counts(server: ServerProcess) -> dict[str, Any]:
    with client(server, SECRETARIAT) as http:
        answer = http.get(ENDORSEMENTS + "/stats")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def ask(server: ServerProcess, name: str, address: str = "", **extra: Any) -> httpx.Response:
    """A public request, from an address of its own (the server trusts a local proxy's
    X-Forwarded-For, as uvicorn does by default)."""
    body = {
        "organisation": {"name": name, "kind": "civil_society", "country": "es"},
        "signatory_name": "Ana Ruiz",
        "signatory_title": "Director",
        "contact_email": "ana@example.org",
        "statement": "<b>We</b> support it.",
        **extra,
    }
    headers = {"x-forwarded-for": address or f"10.0.0.{sum(name.encode()) % 250}"}
    with httpx.Client(base_url=server.base_url, headers=headers) as anonymous:
        return anonymous.post(REQUESTS, json=body)


def state(server: ServerProcess) -> Any:
    with client(server, SECRETARIAT) as http:
        return http.get(ENDORSEMENTS).json(), http.get(ENDORSEMENTS + "/stats").json()


def test_the_campaign_from_endorsement_to_reconfirmation(people: ServerProcess) -> None:
    # The demo has its own: two cities endorsed 0.1, a network withdrew, one request waits.
    base = counts(people)
    assert base["by_version"]["0.1"] == 2
    assert base["pending"] == 1
    with client(people, SECRETARIAT) as http:
        first = http.post(
            f"{CHARTER}/versions/0.1/endorsements",
            json={**SIGNATORY, "clauses": ["preamble", "dignity-rights"]},
        )
        again = http.post(f"{CHARTER}/versions/0.1/endorsements", json=SIGNATORY)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "verified"
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert "Elena Rossi" in [e["signatory_name"] for e in endorsers(people, "0.1")]

    pending = ask(people, "Red de Acogida")
    assert pending.status_code == 202, pending.text
    assert pending.json()["status"] == "pending"
    refused = ask(people, "Spam Org")
    names = [e["organisation"]["name"] for e in endorsers(people, "0.1")]
    assert "Red de Acogida" not in names
    assert counts(people)["pending"] == base["pending"] + 2
    with client(people, SECRETARIAT) as http:
        verified = http.post(f"{ENDORSEMENTS}/{pending.json()['id']}/verify")
        rejected = http.post(
            f"{ENDORSEMENTS}/{refused.json()['id']}/reject", json={"reason": "not a real org"}
        )
        twice = http.post(f"{ENDORSEMENTS}/{pending.json()['id']}/verify")
    assert verified.status_code == 200, verified.text
    assert rejected.json()["status"] == "rejected"
    assert twice.status_code == 409
    listed = endorsers(people, "0.1")
    theirs = next(e for e in listed if e["organisation"]["name"] == "Red de Acogida")
    assert theirs["organisation"]["country"] == "ES"
    assert theirs["statement"] == "<b>We</b> support it."  # text; pages escape it
    assert "contact_email" not in theirs
    assert "Spam Org" not in str(listed)

    with client(people, COMMENTER) as http:
        commenter = http.post(
            f"{CHARTER}/versions/0.1/endorsements",
            json={**SIGNATORY, "signatory_name": "Chiara", "public": False},
        )
        assert commenter.status_code == 201
        withdrawn = http.post(f"{ENDORSEMENTS}/{commenter.json()['id']}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"
    numbers = counts(people)
    assert numbers["by_version"]["0.1"] == base["by_version"]["0.1"] + 2
    kinds = base["by_kind"]
    assert numbers["by_kind"] == {
        **kinds,
        "international_organisation": kinds.get("international_organisation", 0) + 1,
        "civil_society": kinds.get("civil_society", 0) + 1,
    }
    assert numbers["by_country"]["ES"] == base["by_country"].get("ES", 0) + 2
    assert numbers["pending"] == base["pending"]
    assert numbers["over_time"][-1][1] == base["over_time"][-1][1] + 2
    supported = base["by_clause"].get("0.1", {})
    assert numbers["by_clause"]["0.1"]["preamble"] == supported.get("preamble", 0) + 1
    assert numbers["by_clause"]["0.1"]["dignity-rights"] == supported.get("dignity-rights", 0) + 1

    with client(people, SECRETARIAT) as http:
        made = http.post(CHARTER + "/versions", json={"number": "0.2", "title": "T"})
        assert made.status_code == 201
    assert endorsers(people, "0.2") == []
    assert len(endorsers(people, "0.1")) == numbers["by_version"]["0.1"]  # listed as signed
    with client(people, SECRETARIAT) as http:
        path = f"{ENDORSEMENTS}/{first.json()['id']}/reconfirm"
        renewed = http.post(path, json={"version": "0.2"})
        older = http.post(path, json={"version": "0.1"})
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["previous"] == first.json()["id"]
    assert older.status_code == 400
    assert [e["signatory_name"] for e in endorsers(people, "0.2")] == ["Elena Rossi"]
    numbers = counts(people)
    assert numbers["by_version"]["0.2"] == 1
    earlier = numbers["by_version"]["0.1"]
    assert numbers["reconfirmation"] == {"0.2": round(1 / earlier, 3)}
    with client(people, SECRETARIAT) as http:
        table = http.get(ENDORSEMENTS + ".csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {r["status"] for r in rows} == {"verified", "rejected", "withdrawn", "pending"}
    assert any(r["contact_email"] == "ana@example.org" for r in rows)


def test_refusals_change_nothing(people: ServerProcess) -> None:
    before = state(people)
    with client(people, OBSERVER) as http:
        assert http.post(f"{CHARTER}/versions/0.1/endorsements", json=SIGNATORY).status_code == 403
        assert http.get(ENDORSEMENTS + "/stats").status_code == 403
    with client(people, OUTSIDER) as http:
        assert http.post(f"{CHARTER}/versions/0.1/endorsements", json=SIGNATORY).status_code == 403
    with client(people, EDITOR) as http:
        assert http.post(f"{CHARTER}/versions/9.9/endorsements", json=SIGNATORY).status_code == 404
        long = {**SIGNATORY, "statement": "x" * 2_001}
        assert http.post(f"{CHARTER}/versions/0.1/endorsements", json=long).status_code == 400
        other = {**SIGNATORY, "organisation_id": 999}
        assert http.post(f"{CHARTER}/versions/0.1/endorsements", json=other).status_code == 403
        clause = {**SIGNATORY, "clauses": ["no-such-clause"]}
        assert http.post(f"{CHARTER}/versions/0.1/endorsements", json=clause).status_code == 400
        assert http.get(ENDORSEMENTS + "/stats").status_code == 403
        assert http.post(f"{ENDORSEMENTS}/1/verify").status_code == 403
    for index, bad in enumerate(
        (
            {"organisation": {"name": "X", "kind": "club", "country": "FR"}},
            {"organisation": {"name": "X", "kind": "civil_society", "country": "XX"}},
            {"organisation": {"name": "X", "kind": "local_government", "country": "FR"}},
            {"contact_email": "not an address"},
            {"homepage": "http://spam.example"},
            {"version": "7.7"},
            {"statement": "y" * 2_001},
        )
    ):
        answer = ask(people, "Bad input org", f"10.1.0.{index}", **bad)
        assert answer.status_code in (400, 404), (bad, answer.text)
    assert state(people) == before


def test_another_organisations_endorsement_is_not_theirs_to_withdraw(
    people: ServerProcess,
) -> None:
    with client(people, EDITOR) as http:
        mine = http.post(f"{CHARTER}/versions/0.1/endorsements", json=SIGNATORY).json()
    before = state(people)
    with client(people, COMMENTER) as http:
        assert http.post(f"{ENDORSEMENTS}/{mine['id']}/withdraw").status_code == 403
        assert (
            http.post(f"{ENDORSEMENTS}/{mine['id']}/reconfirm", json={"version": "0.2"}).status_code
            == 403
        )
    assert state(people) == before


def test_a_flood_of_requests_from_one_address_is_throttled(people: ServerProcess) -> None:
    with httpx.Client(base_url=people.base_url) as anonymous:
        answers = [
            anonymous.post(REQUESTS, json={"signatory_name": "?"}).status_code for _ in range(8)
        ]
    assert 429 in answers
    assert answers.index(429) <= 5
