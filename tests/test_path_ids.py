"""Ids in paths and queries, on SQLite and PostgreSQL: one that cannot name a row (beyond the
id columns' range, not ASCII digits) is simply not found, never a database error, and changes
nothing."""

from __future__ import annotations

import pytest

from tests.people import SECRETARIAT, SITE_ADMIN, add_accounts, client
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(120)
CHARTER = "/api/charters/lampedusa"
BEYOND = ["2147483648", "99999999999", "123456789012345678", "²", "٣"]
WRITES = [
    ("POST", CHARTER + "/amendments/{id}/supports"),
    ("POST", CHARTER + "/amendments/{id}/withdraw"),
    ("POST", CHARTER + "/comments/{id}/report"),
    ("PATCH", CHARTER + "/comments/{id}"),
    ("POST", CHARTER + "/endorsements/{id}/verify"),
    ("PATCH", CHARTER + "/members/{id}"),
    ("DELETE", CHARTER + "/members/{id}"),
    ("DELETE", CHARTER + "/tokens/{id}"),
    ("DELETE", "/api/tokens/{id}"),
]
ADMIN_WRITES = [("POST", "/api/users/{id}/deactivate"), ("POST", "/api/users/{id}/reactivate")]


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


def test_an_id_no_row_can_have_is_not_found(people: ServerProcess) -> None:
    with client(people, SECRETARIAT) as http:
        before = (http.get(CHARTER + "/amendments").json(), http.get(CHARTER + "/comments").json())
        for raw in BEYOND:
            for method, path in WRITES:
                body = {"role": "editor"} if "members" in path else {"body": "x"}
                answer = http.request(method, path.format(id=raw), json=body)
                assert answer.status_code == 404, (method, path, raw, answer.text)
                assert answer.json()["error"] == "not_found"
            audit = http.get(CHARTER + "/audit", params={"before": raw})
            assert audit.status_code == 200, (raw, audit.text)
        after = (http.get(CHARTER + "/amendments").json(), http.get(CHARTER + "/comments").json())
    assert after == before
    with client(people, SITE_ADMIN) as http:
        for raw in BEYOND:
            for method, path in ADMIN_WRITES:
                answer = http.request(method, path.format(id=raw), json={"reason": "x"})
                assert answer.status_code == 404, (method, path, raw, answer.text)
    assert "Traceback" not in people.log_text()
