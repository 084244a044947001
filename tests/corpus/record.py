"""Record the fuzz corpus (``frames.txt``): real frames of a session on the demo charter.

Run from the repository root: ``.venv/bin/python -m tests.corpus.record``. It starts a demo
server, syncs a client, makes edits of every kind a client makes (and a few the server refuses)
and writes each frame sent or received, in hex, with what it is. The first line is the
document the frames were made against (the demo charter's state), for fuzzing in-process.
Frames no client makes are built on it by ``tests.corpus.crafted``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from pycrdt import Map

from server.client import LiveClient
from server.live.protocol import MessageType, sync_step1, sync_step2, update_message
from tests.servers import ServerProcess

HERE = Path(__file__).resolve().parent


async def record(server: ServerProcess) -> list[tuple[str, bytes]]:
    frames: list[tuple[str, bytes]] = []
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        received = []
        while not client.received.empty():
            received.append(client.received.get_nowait())
        frames += [("server", frame) for frame in received]
        base = client.doc.get_update()
        sent: list[bytes] = []
        original = client.socket.send

        async def capture(message: Any) -> None:
            sent.append(message)
            await original(message)

        client.socket.send = capture  # type: ignore[method-assign]
        body = client.text("participation", "body")
        title = client.text("preamble", "title")
        body.insert(0, "Typed ")
        body.insert(3, "é€😀")
        del body[10:14]
        with client.doc.transaction():
            title.insert(0, "A ")
            body.insert(len(str(body)), " end")
        title.insert(0, "x" * 300)
        del title[0:300]
        await client.set_presence({"user": {"name": "someone", "color": "#123456"}})
        await client.set_presence(None)
        await client.send(bytes([MessageType.QUERY_AWARENESS]))
        await client.send(sync_step1(client.doc.get_state()))
        await client.send(sync_step2(client.doc.get_update(client.doc.get_state())))
        clause = client.doc.get("clauses", type=Map)["participation"]
        assert isinstance(clause, Map)
        clause["kind"] = "x"  # refused: not a clause text
        client.text("preamble", "body").format(0, 3, {"bold": True})  # refused: formatting
        await asyncio.sleep(1)
        frames += [("client", frame) for frame in sent]
        frames.append(("client", sync_step2(client.doc.get_update())))  # offline-style step 2
        frames.append(("client", update_message(b"\0\0")))  # an empty update
    return [("base", base), *frames]


def write(frames: list[tuple[str, bytes]]) -> None:
    lines = [f"{who} {frame.hex()}" for who, frame in frames]
    (HERE / "frames.txt").write_text("\n".join(lines) + "\n")
    print(f"{len(frames)} frames")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = ServerProcess(data_dir, f"sqlite+aiosqlite:///{data_dir / 'db.sqlite3'}")
        server.start("--demo")
        try:
            frames = asyncio.run(record(server))
        finally:
            server.stop()
    write(frames)


if __name__ == "__main__":
    main()
