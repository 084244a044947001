"""The stock Yjs client (y-websocket's WebsocketProvider, in Node) and pycrdt on one live charter.

Each Node client is tests/interop/client.mjs, one process per client, driven over JSON lines.
Random concurrent edits only insert single-character tokens from the Unicode private-use area,
each client its own range, and only delete their own tokens; so whatever the interleaving, the
final text is the demo text with exactly the surviving tokens of every client spread through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.client import LiveClient
from tests.servers import ServerProcess, eventually_async

INTEROP = Path(__file__).resolve().parent / "interop"
SLUG = "lampedusa"
OPS = 100
TOKENS_PER_CLIENT = 0x400  # private-use code points per client, from U+E000 on
NODE_TIMEOUT = 45  # seconds a Node client may live; it exits non-zero with a message past it
REPLY_TIMEOUT = NODE_TIMEOUT + 10  # Node's own timeout message arrives first

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def node() -> str:
    """The Node executable, with the interop clients' packages installed."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node is not on PATH: the interop tests need Node 20+ (then run `make test`)")
    if not (INTEROP / "node_modules" / "y-websocket" / "package.json").exists():
        pytest.fail(
            "tests/interop/node_modules is missing: run `make test`, which installs the stock "
            "Yjs clients with `npm ci` in tests/interop"
        )
    return executable


class NodeClient:
    """One stock y-websocket client in a Node process (tests/interop/client.mjs)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.client_id = 0
        assert process.stderr is not None
        self._stderr = asyncio.ensure_future(process.stderr.read())

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, node: str, server: ServerProcess) -> AsyncIterator[NodeClient]:
        process = await asyncio.create_subprocess_exec(
            node,
            str(INTEROP / "client.mjs"),
            "--server",
            f"ws://127.0.0.1:{server.port}/ws/charters",
            "--room",
            SLUG,
            "--timeout",
            str(NODE_TIMEOUT),
            "--token",
            server.token(),
            cwd=INTEROP,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        client = cls(process)
        try:
            client.client_id = (await client._read("synced"))["clientId"]
            yield client
        finally:
            await client._stop()

    @property
    def exit_code(self) -> int | None:
        """Once stopped: 0 if the client closed when told to."""
        return self.process.returncode

    async def request(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send one command; return its reply (whose event is ``cmd``'s answer)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}).encode() + b"\n")
        await self.process.stdin.drain()
        return await self._read(_REPLIES[cmd])

    async def _read(self, event: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), REPLY_TIMEOUT)
        except TimeoutError:
            message = f"no '{event}' from the Node client within {REPLY_TIMEOUT} s"
            raise AssertionError(message) from None
        if not line:
            code = await self.process.wait()
            raise AssertionError(f"Node client exited with {code}:\n{await self._stderr_text()}")
        reply: dict[str, Any] = json.loads(line)
        if reply["event"] != event:
            raise AssertionError(f"Node client: expected '{event}', got {reply}")
        return reply

    async def _stderr_text(self) -> str:
        with contextlib.suppress(TimeoutError):
            return (await asyncio.wait_for(self._stderr, 5)).decode(errors="replace")[-4000:]
        return "(no stderr)"

    async def _stop(self) -> None:
        process = self.process
        if process.returncode is None:
            assert process.stdin is not None
            with contextlib.suppress(ConnectionError):
                process.stdin.write(b'{"cmd":"close"}\n')
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await self._stderr_text()


_REPLIES = {
    "edit": "edited",
    "settle": "settled",
    "insert": "inserted",
    "waitText": "text",
    "setUser": "userSet",
    "waitPresence": "presence",
}


def assert_undisturbed(reply: dict[str, Any]) -> None:
    """The stock client kept its connection, had no update refused and logged nothing."""
    assert (reply["closes"], reply["errors"], reply["logged"]) == ([], [], [])


@dataclass(frozen=True)
class Edits:
    survivors: str  # this client's tokens that the final text must hold
    inserted: int
    deleted: int
    ops_seeing_others: int  # edits made while another client's tokens were in the text


def is_token(character: str) -> bool:
    return 0xE000 <= ord(character) <= 0xF8FF


def tokens_of(text: str) -> set[str]:
    return {c for c in text if is_token(c)}


def without_tokens(text: str) -> str:
    return "".join(c for c in text if not is_token(c))


def byte_offset(text: str, index: int) -> int:
    # pycrdt's Text counts positions in UTF-8 bytes, the tokens are 3 bytes each.
    return len(text[:index].encode())


async def edit_randomly(
    client: LiveClient, clause: str, ops: int, seed: int, token_base: int
) -> Edits:
    """The pycrdt twin of client.mjs's ``edit`` command."""
    text = client.text(clause, "body")
    rng = random.Random(seed)
    live: list[str] = []
    next_token = token_base
    inserted = deleted = ops_seeing_others = 0
    for _ in range(ops):
        await asyncio.sleep(rng.uniform(0, 0.01))
        current = str(text)
        if any(not token_base <= ord(c) < next_token for c in tokens_of(current)):
            ops_seeing_others += 1
        if not live or rng.random() < 0.6:
            tokens = "".join(chr(next_token + k) for k in range(rng.randint(1, 3)))
            next_token += len(tokens)
            text.insert(byte_offset(current, rng.randint(0, len(current))), tokens)
            live += tokens
            inserted += len(tokens)
        else:
            token = live.pop(rng.randrange(len(live)))
            start = byte_offset(current, current.index(token))
            del text[start : start + len(token.encode())]
            deleted += 1
    return Edits("".join(live), inserted, deleted, ops_seeing_others)


def api_body(server: ServerProcess, clause: str) -> str:
    response = server.get(f"/api/charters/{SLUG}")
    assert response.status_code == 200
    bodies = {c["id"]: c["body"] for c in response.json()["clauses"]}
    return str(bodies[clause])


async def synced(client: LiveClient) -> LiveClient:
    await asyncio.wait_for(client.synced.wait(), 10)
    return client


async def test_stock_and_pycrdt_clients_converge_on_concurrent_edits(
    server: ServerProcess, node: str
) -> None:
    clause = "preamble"
    base = api_body(server, clause)
    assert not tokens_of(base), "the demo text must not hold the test's tokens"
    texts: dict[str, str] = {}
    edits: dict[str, Edits] = {}
    async with (
        LiveClient.connect(server.ws_url(SLUG)) as pycrdt,
        NodeClient.start(node, server) as stock_a,
        NodeClient.start(node, server) as stock_b,
    ):
        await synced(pycrdt)
        body = pycrdt.text(clause, "body")
        assert str(body) == base
        stock = {"stock A": stock_a, "stock B": stock_b}
        # The Node clients start as soon as they read the command: all three edit at once.
        node_edits = asyncio.gather(
            *(
                client.request(
                    "edit",
                    clause=clause,
                    ops=OPS,
                    seed=seed,
                    tokenBase=0xE000 + TOKENS_PER_CLIENT * (1 + seed),
                )
                for seed, client in enumerate(stock.values())
            )
        )
        edits["pycrdt"] = await edit_randomly(pycrdt, clause, OPS, 42, 0xE000)
        for name, reply in zip(stock, await node_edits, strict=True):
            assert_undisturbed(reply)
            edits[name] = Edits(
                reply["survivors"], reply["inserted"], reply["deleted"], reply["opsSeeingOthers"]
            )

        expected = "".join(e.survivors for e in edits.values())
        settled = await asyncio.gather(
            *(c.request("settle", clause=clause, tokens=expected) for c in stock.values())
        )
        for name, reply in zip(stock, settled, strict=True):
            assert_undisturbed(reply)
            texts[name] = reply["text"]
        await eventually_async(lambda: tokens_of(str(body)) == set(expected), 30)
        texts["pycrdt"] = str(body)
        assert pycrdt.denials == []
    assert (stock_a.exit_code, stock_b.exit_code) == (0, 0)

    async with LiveClient.connect(server.ws_url(SLUG)) as fresh:
        texts["fresh pycrdt"] = str((await synced(fresh)).text(clause, "body"))
    final = texts["pycrdt"]
    texts["GET /api"] = await eventually_async(
        lambda: (text := api_body(server, clause)) == final and text
    )

    # Every client, a newcomer and the store agree, character for character.
    assert texts == dict.fromkeys(texts, final)
    # The edits really happened, concurrently, and every one of them is in the result.
    for name, made in edits.items():
        assert made.inserted > 0, name
        assert made.deleted > 0, name
        assert made.inserted - made.deleted == len(made.survivors), name
        assert made.ops_seeing_others > 0, f"{name} never saw another client's edit while editing"
    survivors = "".join(e.survivors for e in edits.values())
    assert len(set(survivors)) == len(survivors)
    assert len(final) == len(base) + len(survivors)
    assert tokens_of(final) == set(survivors)
    assert without_tokens(final) == base


async def test_stock_and_pycrdt_clients_see_each_others_edits_and_presence(
    server: ServerProcess, node: str
) -> None:
    clause = "dignity-rights"
    from_pycrdt, from_stock = "[edited in pycrdt] ", " [edited in Node]"
    async with LiveClient.connect(server.ws_url(SLUG, as_="editor2@example.org")) as pycrdt:
        body = (await synced(pycrdt)).text(clause, "body")
        async with NodeClient.start(node, server) as stock:
            body.insert(0, from_pycrdt)
            seen = await stock.request("waitText", clause=clause, contains=from_pycrdt)
            assert seen["text"].startswith(from_pycrdt)

            await stock.request("insert", clause=clause, index=-1, text=from_stock)
            await eventually_async(lambda: str(body).endswith(from_stock))
            assert str(body).startswith(from_pycrdt)

            # Presence crosses both ways; the server shows each member's own display name
            # (pycrdt: editor2, "Edouard Editor"; Node: editor, "Elena Editor"), whatever
            # name a client claims.
            await pycrdt.set_presence({"user": {"name": "pycrdt tester"}})
            presence = await stock.request("waitPresence", name="Edouard Editor")
            states = {client_id: state for client_id, state in presence["states"]}
            assert states[pycrdt.doc.client_id] == {"user": {"name": "Edouard Editor"}}

            await stock.request("setUser", name="Node tester")
            await eventually_async(
                lambda: (
                    (pycrdt.awareness.get(stock.client_id) or {}).get("user")
                    == {"name": "Elena Editor"}
                )
            )
            assert_undisturbed(await stock.request("waitText", clause=clause, contains=""))
        assert stock.exit_code == 0
        # The stock client left: its presence is withdrawn.
        await eventually_async(
            lambda: (
                stock.client_id in pycrdt.awareness and pycrdt.awareness[stock.client_id] is None
            )
        )
        assert pycrdt.denials == []
    text = await eventually_async(
        lambda: (stored := api_body(server, clause)).endswith(from_stock) and stored
    )
    assert text.startswith(from_pycrdt)
