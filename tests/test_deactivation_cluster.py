"""Deactivation reaches every process: two servers on one PostgreSQL store, fanned out over Redis.
The member has a live document open on process a and the event stream on process b."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests import test_scale_out
from tests.accounts import (
    CHARTER,
    admin,
    as_session,
    as_token,
    closed_within,
    ends_within,
    event_stream,
    live_socket,
    new_member,
    signs_in,
)
from tests.people import add_accounts
from tests.test_scale_out import Cluster

pytestmark = [pytest.mark.timeout(240), pytest.mark.postgres]
cluster = test_scale_out.cluster  # the two processes, a and b


async def test_deactivating_on_one_process_closes_what_is_open_on_both(cluster: Cluster) -> None:
    add_accounts(cluster.a)
    member = new_member(cluster.a)
    async with (
        live_socket(cluster.a, member) as socket,
        event_stream(cluster.b, member) as events,
    ):
        with admin(cluster.b) as http:
            done = http.post(f"/api/users/{member.user_id}/deactivate", json={"reason": "moved"})
        assert done.status_code == 200, done.text
        closed = await closed_within(socket, 1.0)
        await ends_within(events, 1.0)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4401, "this account is deactivated")
    for server in (cluster.a, cluster.b):
        with as_session(server, member) as http:
            assert http.get(CHARTER).status_code == 401
        with as_token(server, member) as http:
            assert http.get(CHARTER).status_code == 401
        assert signs_in(server, member.email) == 401
    with admin(cluster.a) as http:
        back = http.post(f"/api/users/{member.user_id}/reactivate", json={})
    assert back.status_code == 200
    assert signs_in(cluster.b, member.email) == 200


async def test_the_command_line_closes_what_is_open_on_every_process(cluster: Cluster) -> None:
    member = new_member(cluster.a)
    async with (
        live_socket(cluster.a, member) as socket,
        event_stream(cluster.b, member) as events,
    ):
        done = await asyncio.to_thread(
            cluster.b.cli, "deactivate-user", member.email, "--reason", "suspended"
        )
        returned = time.monotonic()
        assert done.returncode == 0, done.stderr
        assert "2 running server process(es) told" in done.stdout
        closed = await closed_within(socket, 1.0)
        await ends_within(events, 1.0)
        assert time.monotonic() - returned < 1.0
    assert closed.rcvd is not None
    assert closed.rcvd.code == 4401
    for server in (cluster.a, cluster.b):
        with as_session(server, member) as http:
            assert http.get(CHARTER).status_code == 401
        with as_token(server, member) as http:
            assert http.get(CHARTER).status_code == 401
    assert signs_in(cluster.a, member.email) == 401
    back = await asyncio.to_thread(cluster.a.cli, "reactivate-user", member.email)
    assert back.returncode == 0, back.stderr
    assert signs_in(cluster.a, member.email) == 200
