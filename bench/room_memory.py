"""The server's memory around a large charter: while its room is loaded, and after it unloads.

    .venv/bin/python bench/room_memory.py [--megabytes 8] [--rounds 5]

Starts a demo server (SQLite, temporary folder, ``ROOM_IDLE_SECONDS=1``,
``STAGING_IDLE_SECONDS=2``), grows the demo
charter's document to ``--megabytes`` MB of text (``--chunk`` bytes an insert, 100 KB by
default, from one client), then
``--rounds`` times: a client joins (the room loads and syncs it the whole document), edits once
(staging is built), waits for the staging copy to be dropped, leaves; the room unloads. Prints
the server's RSS (``VmRSS``) while loaded (edited, then with staging dropped) and two seconds
after each unload, and the cost per MB of document while loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.client import LiveClient  # noqa: E402
from tests.servers import ServerProcess  # noqa: E402


def rss_mb(server: ServerProcess) -> float:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def memory_map(server: ServerProcess) -> str:
    """RSS by kind of mapping: the main heap, other anonymous memory (threads' malloc arenas,
    large allocations), files (code)."""
    assert server.process is not None
    kinds = {"heap": 0, "anonymous": 0, "files": 0}
    kind = "files"
    for line in Path(f"/proc/{server.process.pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            name = fields[5] if len(fields) > 5 else ""
            kind = "heap" if name == "[heap]" else "anonymous" if not name else "files"
        elif line.startswith("Rss:"):
            kinds[kind] += int(fields[1])
    return ", ".join(f"{name} {kb / 1024:.0f} MB" for name, kb in kinds.items())


async def wait_logged(server: ServerProcess, line: str, count: int) -> None:
    """Until the server logged ``line`` ``count`` times, then two seconds (memory is handed
    back a second after an unload or a staging copy's drop)."""
    deadline = time.monotonic() + 60
    while server.log_text().count(line) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not logged: {line}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)


async def wait_unloaded(server: ServerProcess, count: int) -> None:
    await wait_logged(server, "room lampedusa unloaded", count)


async def run(server: ServerProcess, megabytes: int, rounds: int, chunk: int) -> None:
    async with LiveClient.connect(server.ws_url()) as writer:
        await asyncio.wait_for(writer.synced.wait(), 30)
        before = rss_mb(server)
        for index in range(megabytes * 1_000_000 // chunk):
            writer.text("preamble", "body").insert(0, chr(ord("a") + index % 26) * chunk)
            await asyncio.sleep(0.02 * chunk / 100_000)
        size = len(writer.doc.get_update())
        deadline = time.monotonic() + 60
        while rss_mb(server) and time.monotonic() < deadline:
            clauses = server.get("/api/charters/lampedusa").json()["clauses"]
            body = next(c["body"] for c in clauses if c["id"] == "preamble")
            if len(body) >= megabytes * 1_000_000:
                break
            await asyncio.sleep(0.2)
        grown = rss_mb(server)
    await wait_unloaded(server, 1)
    print(f"document: {size / 1e6:.1f} MB encoded")
    print(f"RSS with the demo loaded: {before:.0f} MB; after writing it: {grown:.0f} MB")
    idle = rss_mb(server)
    print(f"RSS once it unloaded: {idle:.0f} MB")
    print("round  loaded, edited (MB)  staging dropped (MB)  after unload (MB)")
    after: list[float] = []
    costs: list[float] = []
    for round_ in range(1, rounds + 1):
        drops = server.log_text().count("staging copy dropped")
        async with LiveClient.connect(server.ws_url()) as client:
            await asyncio.wait_for(client.synced.wait(), 60)
            client.text("preamble", "title").insert(0, ".")
            await asyncio.sleep(1)
            edited = rss_mb(server)
            if round_ == 1:
                print(f"      (loaded, edited: {memory_map(server)})")
            await wait_logged(server, "staging copy dropped", drops + 1)
            reading = rss_mb(server)
        await wait_unloaded(server, round_ + 1)
        after.append(rss_mb(server))
        costs += [(edited - idle) / (size / 1e6), (reading - idle) / (size / 1e6)]
        print(f"{round_:5}  {edited:19.0f}  {reading:20.0f}  {after[-1]:17.0f}")
    print(f"      (after the last unload: {memory_map(server)})")
    growth = (after[-1] / after[0] - 1) * 100
    print(f"after the last unload: {growth:+.0f} % of the first round's")
    print(
        f"loaded, per MB of document (above the RSS once it first unloaded): "
        f"{sum(costs[0::2]) / rounds:.1f} MB while edited, "
        f"{sum(costs[1::2]) / rounds:.1f} MB once staging is dropped"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=100_000, help="bytes of each insert")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = ServerProcess(
            data_dir,
            f"sqlite+aiosqlite:///{data_dir / 'db.sqlite3'}",
            {"ROOM_IDLE_SECONDS": "1", "STAGING_IDLE_SECONDS": "2"},
        )
        server.start("--demo")
        try:
            asyncio.run(run(server, arguments.megabytes, arguments.rounds, arguments.chunk))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
