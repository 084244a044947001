"""The public event stream over the real server, on SQLite and PostgreSQL: a visitor hears that
a version's public endorsers changed and that a version was published, within a second; never
of anything pending, rejected or private; and a process keeps only so many such streams open."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.people import COMMENTER, SECRETARIAT, add_accounts, client
from tests.servers import ServerProcess, eventually
from tests.streams import PUBLIC_EVENTS, visitor_stream
from tests.test_endorsements import CHARTER, ENDORSEMENTS, SIGNATORY, ask, endorsers

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def people(server: ServerProcess) -> ServerProcess:
    add_accounts(server)
    return server


async def test_a_visitor_hears_only_what_the_public_list_shows(people: ServerProcess) -> None:
    async with visitor_stream(people.base_url) as events:
        # Nothing a visitor may not see makes a sound: a private endorsement, a request
        # waiting for the secretariat, a rejected one.
        with client(people, COMMENTER) as http:
            private = http.post(
                f"{CHARTER}/versions/0.1/endorsements", json={**SIGNATORY, "public": False}
            )
        assert private.status_code == 201, private.text
        waiting = ask(people, "Ciudad Refugio")
        spam = ask(people, "Buy Followers Ltd")
        assert (waiting.status_code, spam.status_code) == (202, 202)
        with client(people, SECRETARIAT) as http:
            refused = http.post(f"{ENDORSEMENTS}/{spam.json()['id']}/reject", json={"reason": "x"})
            assert refused.status_code == 200, refused.text
            verified = http.post(f"{ENDORSEMENTS}/{waiting.json()['id']}/verify")
            assert verified.status_code == 200, verified.text
            # …so the first event heard is the verification, and it names nothing but the
            # version.
            assert await events.next() == {"type": "endorsers", "version": "0.1"}

            own = http.post(f"{CHARTER}/versions/0.1/endorsements", json=SIGNATORY)
            assert own.status_code == 201, own.text
            assert await events.next() == {"type": "endorsers", "version": "0.1"}

            made = http.post(CHARTER + "/versions", json={"number": "0.2", "title": "Second"})
            assert made.status_code == 201, made.text
            assert await events.next() == {"type": "version", "number": "0.2"}

            path = f"{ENDORSEMENTS}/{own.json()['id']}"
            renewed = http.post(path + "/reconfirm", json={"version": "0.2"})
            assert renewed.status_code == 201, renewed.text
            assert await events.next() == {"type": "endorsers", "version": "0.2"}
            gone = http.post(f"{ENDORSEMENTS}/{renewed.json()['id']}/withdraw")
            assert gone.status_code == 200, gone.text
            assert await events.next() == {"type": "endorsers", "version": "0.2"}
    assert endorsers(people, "0.2") == []
    assert {"Ciudad Refugio", own.json()["organisation"]["name"]} <= {
        e["organisation"]["name"] for e in endorsers(people, "0.1")
    }


def test_the_endorsers_page_is_the_list_the_live_pages_re_read(people: ServerProcess) -> None:
    with httpx.Client(base_url=people.base_url) as anonymous:
        page = anonymous.get("/charters/lampedusa/versions/0.1/endorsers")
        unknown = anonymous.get("/charters/lampedusa/versions/9.9/endorsers")
        listed = anonymous.get(f"{CHARTER}/versions/0.1/endorsers").json()["endorsers"]
    assert page.status_code == 200
    assert unknown.status_code == 404
    assert 'data-stream="/api/charters/lampedusa/public-events"' in page.text
    assert '<script type="module" src="/static/dist/endorsers.js"></script>' in page.text
    assert page.text.count('<li class="endorser">') == len(listed) > 0
    for endorser in listed:
        assert endorser["signatory_name"] in page.text


async def test_a_process_keeps_only_so_many_public_streams_open(
    make_server: ServerFactory,
) -> None:
    server = make_server(env={"PUBLIC_STREAMS_MAX": "2"})
    async with visitor_stream(server.base_url), visitor_stream(server.base_url):
        async with httpx.AsyncClient(base_url=server.base_url) as anonymous:
            refused = await anonymous.get(PUBLIC_EVENTS)
        assert refused.status_code == 503
        assert refused.json()["error"] == "busy"
        assert int(refused.headers["retry-after"]) > 0
        # Members' own stream is not a visitor's: it is not counted against them.
        with (
            server.signed_in(SECRETARIAT) as member,
            member.stream("GET", CHARTER + "/events") as own,
        ):
            assert own.status_code == 200

    def admitted() -> bool:
        with (
            httpx.Client(base_url=server.base_url, timeout=5) as anonymous,
            anonymous.stream("GET", PUBLIC_EVENTS) as answer,
        ):
            return answer.status_code == 200

    assert eventually(admitted)  # the two places came back when their visitors left
    assert "Traceback" not in server.log_text()
