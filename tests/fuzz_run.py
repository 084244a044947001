"""The long fuzz run: mutated real frames over many connections at once, against a demo server.

    .venv/bin/python -m tests.fuzz_run [--frames 20000] [--connections 60] [--seed 1]

Starts a demo server (SQLite, in a temporary folder, on 127.0.0.1), syncs a writer (who edits
throughout) and a reader, then has ``--connections`` sockets (editors and observers) send
``--frames`` mutated frames between them, each followed by a query-awareness so that every frame
is handled (or closes its socket, which then reconnects) before the next. At the end it checks
that the server logged no traceback and that the writer, the reader, a fresh client and the
store hold the same text, and prints what happened. Not part of ``make test`` (a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import websockets
from pycrdt import Doc

from charter_drafts.document.schema import clauses_of
from server.client import LiveClient
from server.live.protocol import MessageType, sync_step1, sync_step2, update_message
from tests import corpus
from tests.servers import ServerProcess, eventually_async

ROLES = ("editor@example.org", "editor2@example.org", "observer@example.org")


async def attack(
    server: ServerProcess, samples: list[bytes], frames: int, seed: int, tally: Counter[str]
) -> None:
    rng = random.Random(seed)
    socket: websockets.ClientConnection | None = None
    for _ in range(frames):
        if socket is None:
            socket = await websockets.connect(server.ws_url(as_=rng.choice(ROLES)), max_size=None)
            await socket.recv()
        frame = corpus.mutate(rng, rng.choice(samples))
        tally["sent"] += 1
        try:
            await socket.send(frame)
            await socket.send(bytes([MessageType.QUERY_AWARENESS]))
            while True:
                reply = await asyncio.wait_for(socket.recv(), 30)
                if isinstance(reply, bytes) and reply[:1] == bytes([MessageType.AWARENESS]):
                    break
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            tally[f"closed {code}"] += 1
            socket = None
    if socket is not None:
        await socket.close()


async def run(server: ServerProcess, frames: int, connections: int, seed: int) -> int:
    tally: Counter[str] = Counter()
    async with (
        LiveClient.connect(server.ws_url()) as writer,
        LiveClient.connect(server.ws_url(as_="observer@example.org")) as reader,
    ):
        await asyncio.wait_for(writer.synced.wait(), 10)
        await asyncio.wait_for(reader.synced.wait(), 10)
        source = Doc()
        source.apply_update(writer.doc.get_update())
        samples = list(corpus.load()[1]) + corpus.crafted(writer.doc.get_update())
        body = clauses_of(source)["collective-memory"]["body"]
        for index in range(40):
            before = source.get_state()
            body.insert(index, f"m{index}")  # type: ignore[union-attr]
            samples.append(update_message(source.get_update(before)))
        samples += [sync_step1(source.get_state()), sync_step2(source.get_update())]
        started = time.monotonic()
        attackers = [
            asyncio.create_task(attack(server, samples, -(-frames // connections), seed + n, tally))
            for n in range(connections)
        ]
        edits = 0
        while not all(task.done() for task in attackers):
            writer.text("collective-memory", "title").insert(0, ".")
            edits += 1
            await asyncio.sleep(0.2)
        for task in attackers:
            task.result()
        elapsed = time.monotonic() - started
        await eventually_async(lambda: reader.clause_texts() == writer.clause_texts(), within=30)
        async with LiveClient.connect(server.ws_url()) as fresh:
            await asyncio.wait_for(fresh.synced.wait(), 10)
            fresh_same = fresh.clause_texts() == writer.clause_texts()
            roots = set(fresh.doc.keys())
        clauses = server.get("/api/charters/lampedusa").json()["clauses"]
        stored = {c["id"]: (c["title"], c["body"]) for c in clauses}
        store_same = stored == writer.clause_texts()
        edits_kept = writer.clause_texts()["collective-memory"][0].count(".")
    log = server.log_text()
    tracebacks = log.count("Traceback")
    print(f"{tally['sent']} mutated frames over {connections} connections in {elapsed:.0f} s")
    print("outcomes:", dict(sorted(tally.items())))
    print(f"writer's edits: {edits} made, {edits_kept} in its text")
    print(f"tracebacks in the server log: {tracebacks}")
    print(f"fresh client same text: {fresh_same}; roots {sorted(roots)}; store same: {store_same}")
    ok = tracebacks == 0 and fresh_same and store_same and roots == {"clauses", "order"}
    return 0 if ok and edits_kept == edits else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = ServerProcess(data_dir, f"sqlite+aiosqlite:///{data_dir / 'db.sqlite3'}")
        server.start("--demo")
        try:
            code = asyncio.run(run(server, arguments.frames, arguments.connections, arguments.seed))
        finally:
            server.stop()
            if "Traceback" in server.log_text():
                print(server.log_text()[-6000:])
    sys.exit(code)


if __name__ == "__main__":
    main()
