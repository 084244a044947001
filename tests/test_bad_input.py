"""Bad input on the live socket: it closes that connection or is refused, and changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from pathlib import Path
from typing import Any

import pytest
import websockets
from pycrdt import Array, Doc, Map, Text, write_var_uint

from charter_drafts.document.schema import clauses_of, load_document, order_of
from server.client import LiveClient
from server.live.protocol import (
    AwarenessEntry,
    MessageType,
    awareness_message,
    sync_step1,
    sync_step2,
    update_message,
)
from tests import corpus
from tests.conftest import ServerFactory
from tests.servers import ServerProcess, eventually_async, read_until_closed

pytestmark = pytest.mark.timeout(180)


def charter_json(server: ServerProcess) -> dict[str, Any]:
    result: dict[str, Any] = server.get("/api/charters/lampedusa").json()
    return result


async def close_code_after(
    server: ServerProcess, frame: bytes | str, language: str = "en-GB"
) -> tuple[int, str]:
    headers = {"Accept-Language": language}
    async with websockets.connect(
        server.ws_url(), max_size=None, additional_headers=headers
    ) as socket:
        await socket.recv()  # the server's sync step 1
        await socket.send(frame)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await read_until_closed(socket, 10)
    assert closed.value.rcvd is not None, "the server must close with a code"
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param("hello", 1003, id="text-frame"),
        pytest.param(b"\x07\x00", 1002, id="unknown-message-type"),
        pytest.param(b"\x00\x05\x01\x00", 1002, id="unknown-sync-type"),
        pytest.param(b"\x00\x02\x10abc", 1002, id="length-past-the-end"),
        pytest.param(b"\x00\x02\x01\x00\xff", 1002, id="trailing-bytes"),
        pytest.param(b"\x00\x02\x05\x01\x02\x03\x04\x05", 1007, id="garbage-update"),
        pytest.param(b"\x00\x00\x03\xff\xff\xff", 1007, id="garbage-state-vector"),
        pytest.param(b"\x01\x05\x01\x01\x01\x01{", 1002, id="awareness-not-json"),
        pytest.param(b"\x01\x07\x01\x01\x01\x03[1]", 1002, id="awareness-not-object"),
        pytest.param(b"\x00", 1002, id="truncated"),
    ],
)
async def test_a_malformed_frame_closes_only_that_connection(
    server: ServerProcess, frame: bytes | str, code: int
) -> None:
    before = charter_json(server)
    async with LiveClient.connect(server.ws_url()) as bystander:
        await asyncio.wait_for(bystander.synced.wait(), 10)
        assert (await close_code_after(server, frame))[0] == code
        # The bystander keeps working, and nothing changed.
        bystander.text("participation", "title").insert(0, "ok ")
        await eventually_async(lambda: bystander.updates_received > 0)
    after = charter_json(server)
    changed = [
        (b["id"], b["title"], a["title"])
        for b, a in zip(before["clauses"], after["clauses"], strict=True)
        if b != a
    ]
    assert changed == [("participation", changed[0][1], "ok " + changed[0][1])]


async def test_an_update_pycrdt_cannot_apply_closes_with_1007_and_one_log_line(
    server: ServerProcess,
) -> None:
    """A block whose parent is not a shared type: pycrdt raises RuntimeError, not ValueError."""
    closed_before = server.log_text().count("closing with 1007")
    async with LiveClient.connect(server.ws_url()) as bystander:
        await asyncio.wait_for(bystander.synced.wait(), 10)
        before = bystander.clause_texts()
        crafted = corpus.crafted(bystander.doc.get_update())
        for frame in crafted:
            assert (await close_code_after(server, frame))[0] == 1007
        bystander.text("participation", "title").insert(0, "ok ")
        await eventually_async(lambda: bystander.updates_received > 0)
        assert bystander.clause_texts()["preamble"] == before["preamble"]
    log = server.log_text()
    assert "Traceback" not in log
    assert log.count("closing with 1007") - closed_before == len(crafted)


def peak_rss_mb(server: ServerProcess) -> float:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]


COUNT_ATTACKS = [
    bytes.fromhex("00000580e9c9d601"),  # a state vector of 450 million entries
    bytes.fromhex("00020580e9c9d601"),  # an update of as many struct groups
    bytes.fromhex("0002090180e9c9d601922100"),  # structs in a group
    bytes.fromhex("0002090001922180e9c9d601"),  # ranges in a delete set
]


async def test_a_count_its_message_cannot_hold_is_refused_before_it_costs_memory(
    make_server: ServerFactory,
) -> None:
    """Eight bytes claiming 450 million entries made pycrdt reserve room for them (peak RSS
    155 -> 604 MB here); an observer could repeat it."""
    server = make_server()
    observer = server.ws_url(as_="observer@example.org")
    async with LiveClient.connect(observer) as bystander:
        await asyncio.wait_for(bystander.synced.wait(), 10)
        before = peak_rss_mb(server)
        for frame in COUNT_ATTACKS * 2:
            async with websockets.connect(observer) as socket:
                await socket.recv()
                await socket.send(frame)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await read_until_closed(socket, 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1007
        await bystander.send(bytes([MessageType.QUERY_AWARENESS]))
        await eventually_async(lambda: not bystander.received.empty())
    assert peak_rss_mb(server) - before < 30
    assert "Traceback" not in server.log_text()


async def test_a_close_reason_is_in_the_language_of_the_upgrade(server: ServerProcess) -> None:
    assert await close_code_after(server, "hello") == (
        1003,
        "text frames are not part of the protocol",
    )
    assert await close_code_after(server, "hello", "fr-CH,fr;q=0.9,en;q=0.5") == (
        1003,
        "les trames texte ne font pas partie du protocole",
    )
    # A language header that names nothing known, or is garbage: English.
    for header in ("xx-YY", "<script>;q=zz,,;", "é" * 300):
        assert await close_code_after(server, "hello", header) == (
            1003,
            "text frames are not part of the protocol",
        )


async def test_an_oversized_message_closes_with_1009(server: ServerProcess) -> None:
    code, _ = await close_code_after(server, b"\x00\x02" + b"\xff" * (1024 * 1024 + 10))
    assert code == 1009
    assert server.get("/api/charters/lampedusa").status_code == 200


def out_of_scope_changes() -> list[tuple[str, object]]:
    def new_root(doc: Doc) -> None:
        doc.get("elsewhere", type=Text).insert(0, "hidden")

    def reorder(doc: Doc) -> None:
        order = order_of(doc)
        with doc.transaction():
            first = order[0]
            del order[0]
            order.append(first)

    def add_clause(doc: Doc) -> None:
        clauses_of(doc)["injected"] = Map({"title": Text("x"), "body": Text("y")})

    def remove_clause(doc: Doc) -> None:
        del clauses_of(doc)["preamble"]

    def clause_field(doc: Doc) -> None:
        clause = clauses_of(doc)["preamble"]
        assert isinstance(clause, Map)
        clause["frozen"] = False

    def replace_text(doc: Doc) -> None:
        clause = clauses_of(doc)["preamble"]
        assert isinstance(clause, Map)
        clause["body"] = Text("replaced")

    def embed(doc: Doc) -> None:
        clause = clauses_of(doc)["preamble"]
        assert isinstance(clause, Map)
        body = clause["body"]
        assert isinstance(body, Text)
        body.insert_embed(0, {"img": "x"})

    def mixed(doc: Doc) -> None:
        clause = clauses_of(doc)["preamble"]
        assert isinstance(clause, Map)
        with doc.transaction():
            clause["body"].insert(0, "fine text ")  # type: ignore[union-attr]
            order_of(doc).append("preamble")

    def array_root(doc: Doc) -> None:
        doc.get("list", type=Array).append(1)

    return [
        ("new-root", new_root),
        ("reorder", reorder),
        ("add-clause", add_clause),
        ("remove-clause", remove_clause),
        ("clause-field", clause_field),
        ("replace-text", replace_text),
        ("embed", embed),
        ("mixed-valid-and-invalid", mixed),
        ("array-root", array_root),
    ]


@pytest.mark.parametrize(("name", "change"), out_of_scope_changes(), ids=lambda v: str(v))
async def test_an_out_of_scope_update_is_refused_not_stored_not_relayed(
    server: ServerProcess, name: str, change: object
) -> None:
    assert callable(change)
    before = charter_json(server)
    async with (
        LiveClient.connect(server.ws_url()) as sender,
        LiveClient.connect(server.ws_url()) as other,
    ):
        await asyncio.wait_for(sender.synced.wait(), 10)
        await asyncio.wait_for(other.synced.wait(), 10)
        other_before = other.doc.get_update()
        change(sender.doc)
        await eventually_async(lambda: sender.denials)
        assert sender.denials[0].startswith("update refused: it ")
        await asyncio.sleep(0.2)
        assert other.updates_received == 0
        assert other.doc.get_update() == other_before
        # The connection stays open and usable for valid edits. (Wait for the whole text: the
        # body may start with "+" already, from the cases before on the same server.)
        expected = "+" + str(other.text("city-cooperation", "body"))
        other.text("city-cooperation", "body").insert(0, "+")
        await eventually_async(lambda: str(sender.text("city-cooperation", "body")) == expected)
    after = charter_json(server)
    for b, a in zip(before["clauses"], after["clauses"], strict=True):
        if b["id"] == "city-cooperation":
            assert a["body"] == "+" + b["body"]
        else:
            assert a == b
    async with LiveClient.connect(server.ws_url()) as fresh:
        await asyncio.wait_for(fresh.synced.wait(), 10)
        assert set(fresh.doc.keys()) == {"clauses", "order"}
        assert "injected" not in clauses_of(fresh.doc)


async def survives(socket: websockets.ClientConnection, frame: bytes) -> bool:
    """Send a frame; True if the server handled it and kept the connection open."""
    try:
        await socket.send(frame)
        await socket.send(bytes([MessageType.QUERY_AWARENESS]))
        while True:
            reply = await asyncio.wait_for(socket.recv(), 10)
            if isinstance(reply, bytes) and reply[:1] == bytes([MessageType.AWARENESS]):
                return True
    except websockets.ConnectionClosed:
        return False


async def test_updates_whose_earlier_parts_never_arrive_are_capped(
    make_server: ServerFactory,
) -> None:
    server = make_server(env={"MAX_PENDING_BYTES": "3000"})
    async with LiveClient.connect(server.ws_url()) as probe:
        await asyncio.wait_for(probe.synced.wait(), 10)
        doc = load_document([probe.doc.get_update()])
    # A chain of edits whose first is withheld: every later one waits for it, in memory.
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    body = clauses_of(doc)["preamble"]["body"]
    for index in range(200):
        body.insert(0, f"<orphan{index}>")
    del subscription
    before = charter_json(server)
    async with websockets.connect(server.ws_url()) as socket:
        await socket.recv()
        with contextlib.suppress(websockets.ConnectionClosed):
            for update in updates[1:]:
                await socket.send(update_message(update))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await read_until_closed(socket, 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "too many updates whose dependencies never arrived"
    # Nothing of it was stored or relayed, and the charter is still edited as usual.
    assert charter_json(server) == before
    async with LiveClient.connect(server.ws_url()) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        assert "orphan" not in str(editor.text("preamble", "body"))
        editor.text("preamble", "body").insert(0, "after ")
        await eventually_async(lambda: charter_json(server) != before)


async def orphan_chain(server: ServerProcess, label: str, count: int) -> list[bytes]:
    """Updates of a chain of edits, the first of which (withheld) every later one builds on."""
    async with LiveClient.connect(server.ws_url()) as probe:
        await asyncio.wait_for(probe.synced.wait(), 10)
        doc = load_document([probe.doc.get_update()])
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    body = clauses_of(doc)["preamble"]["body"]
    for index in range(count):
        body.insert(0, f"<{label}{index}>")  # type: ignore[union-attr]
    doc.unobserve(subscription)
    return updates


async def test_waiting_parts_go_when_their_sender_leaves(server: ServerProcess) -> None:
    """Parts left by short-lived connections stayed in memory for the room's life."""
    chains = [await orphan_chain(server, f"gone{n}-", 20) for n in range(3)]
    for chain in chains:
        async with websockets.connect(server.ws_url()) as socket:
            await socket.recv()
            for update in chain[1:]:
                await socket.send(update_message(update))
            assert await survives(socket, bytes([MessageType.QUERY_AWARENESS]))
    # The first part of each chain now arrives: what waited for it is gone with its sender.
    async with LiveClient.connect(server.ws_url()) as editor:
        await asyncio.wait_for(editor.synced.wait(), 10)
        for chain in chains:
            await editor.send(update_message(chain[0]))
        await eventually_async(lambda: "<gone2-0>" in str(editor.text("preamble", "body")))
        await asyncio.sleep(0.3)
        body = str(editor.text("preamble", "body"))
    assert "<gone0-0>" in body
    assert "<gone0-1>" not in body
    assert "<gone2-19>" not in body
    async with LiveClient.connect(server.ws_url()) as fresh:
        await asyncio.wait_for(fresh.synced.wait(), 10)
        assert str(fresh.text("preamble", "body")) == body


async def test_waiting_parts_are_capped_per_room(make_server: ServerFactory) -> None:
    server = make_server(env={"MAX_PENDING_BYTES_PER_ROOM": "3000"})
    chains = [await orphan_chain(server, f"room{n}-", 40) for n in range(6)]
    sockets = [await websockets.connect(server.ws_url()) for _ in chains]

    async def leave_parts(index: int) -> bool:
        """Send a chain without its first update; True if the socket was closed for it."""
        socket = sockets[index]
        await socket.recv()
        with contextlib.suppress(websockets.ConnectionClosed):
            for update in chains[index][1:]:  # about 1,300 bytes a chain
                await socket.send(update_message(update))
        return not await survives(socket, bytes([MessageType.QUERY_AWARENESS]))

    try:
        assert [await leave_parts(index) for index in range(3)] == [False, False, True]
        assert "too many incomplete updates" in server.log_text()
        # A refused update rebuilds staging: what waited is gone, and no longer counted.
        assert await leave_parts(3) is False
        async with LiveClient.connect(server.ws_url()) as refused:
            await asyncio.wait_for(refused.synced.wait(), 10)
            refused.doc.get("elsewhere", type=Text).insert(0, "x")
            await eventually_async(lambda: refused.denials)
        assert [await leave_parts(index) for index in (4, 5)] == [False, False]
    finally:
        for socket in sockets:
            await socket.close()


async def test_random_mutations_never_crash_or_corrupt(server: ServerProcess) -> None:
    """Thousands of mutated valid messages; the server and the other clients carry on."""
    rng = random.Random(20261125)
    async with (
        LiveClient.connect(server.ws_url()) as writer,
        LiveClient.connect(server.ws_url()) as reader,
    ):
        await asyncio.wait_for(writer.synced.wait(), 10)
        await asyncio.wait_for(reader.synced.wait(), 10)
        # Valid messages to mutate: real updates of a throwaway copy, and awareness.
        source = Doc()
        source.apply_update(writer.doc.get_update())
        samples: list[bytes] = []
        body = clauses_of(source)["collective-memory"]["body"]  # type: ignore[index]
        for index in range(40):
            before = source.get_state()
            body.insert(index, f"m{index}")  # type: ignore[union-attr]
            samples.append(update_message(source.get_update(before)))
        samples.append(bytes([MessageType.AWARENESS]) + b'\x0c\x01\x05\x01\x08{"a":1}')
        samples.append(sync_step1(source.get_state()))
        samples.append(sync_step2(source.get_update(writer.doc.get_state())))
        samples += corpus.crafted(writer.doc.get_update())
        sent = closed = 0
        attacker: websockets.ClientConnection | None = None
        while sent < 3000:
            if attacker is None:
                attacker = await websockets.connect(server.ws_url(), max_size=None)
                await attacker.recv()
            frame = corpus.mutate(rng, rng.choice(samples))
            sent += 1
            # A query-awareness after the frame is answered only once the frame was handled,
            # so every mutated frame is either processed or closes the connection.
            if not await survives(attacker, bytes(frame)):
                closed += 1
                attacker = None
            if sent % 200 == 0:
                writer.text("collective-memory", "title").insert(0, ".")
        if attacker is not None:
            await attacker.close()
        print(f"{sent} mutated frames, {closed} connections closed")
        assert closed > 1000, "most mutations must be detected as malformed"
        # Everyone (both clients, a fresh one and the store) holds the same text.
        await eventually_async(lambda: reader.clause_texts() == writer.clause_texts(), within=20)
        async with LiveClient.connect(server.ws_url()) as fresh:
            await asyncio.wait_for(fresh.synced.wait(), 10)
            assert fresh.clause_texts() == writer.clause_texts()
            assert set(fresh.doc.keys()) == {"clauses", "order"}
        api = charter_json(server)
        assert {c["id"]: (c["title"], c["body"]) for c in api["clauses"]} == (writer.clause_texts())
        assert writer.clause_texts()["collective-memory"][0].count(".") >= 15
    assert server.process is not None
    assert server.process.poll() is None
    assert "Traceback" not in server.log_text()


async def test_a_client_id_javascript_cannot_represent_is_refused(
    make_server: ServerFactory,
) -> None:
    """Yjs reads 2^54 + 1 as 2^54: browsers and the server would credit text to other clients."""
    server = make_server()
    for client_id, accepted in [(2**54 + 1, False), (2**53, False), (2**53 - 1, True)]:
        await send_with_client_id(server, client_id, accepted)


async def send_with_client_id(server: ServerProcess, client_id: int, accepted: bool) -> None:
    async with (
        LiveClient.connect(server.ws_url()) as sender,
        LiveClient.connect(server.ws_url()) as other,
    ):
        await asyncio.wait_for(sender.synced.wait(), 10)
        await asyncio.wait_for(other.synced.wait(), 10)
        before = charter_json(server)
        # pycrdt makes no such id itself: one of its own, replaced in the bytes.
        doc = Doc(client_id=123_456_789)
        doc.apply_update(sender.doc.get_update())
        state = doc.get_state()
        clauses_of(doc)["preamble"]["body"].insert(0, f"id {client_id} ")  # type: ignore[union-attr]
        update = doc.get_update(state)
        mine, big = write_var_uint(123_456_789), write_var_uint(client_id)
        assert update.count(mine) == 1
        await sender.send(update_message(update.replace(mine, big)))
        await sender.send(awareness_message([AwarenessEntry(client_id, 1, {"user": {}})]))
        if accepted:
            await eventually_async(lambda: client_id in other.awareness)
            await eventually_async(lambda: f"id {client_id}" in str(other.text("preamble", "body")))
            return
        await eventually_async(lambda: len(sender.denials) == 2)
        assert sender.denials == [
            "update refused: it carries a client id above 2^53 - 1, which JavaScript clients "
            "misread",
            "presence refused: it carries a client id above 2^53 - 1, which JavaScript clients "
            "misread",
        ]
        await asyncio.sleep(0.3)
        assert other.updates_received == 0
        assert client_id not in other.awareness
    assert charter_json(server) == before
