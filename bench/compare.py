"""This server next to the stock Node ``@y/websocket-server``, under the same load, in one run.

The load generator (``loadgen.py``) speaks only the y-websocket protocol, so the same clients
drive every target; rooms are named by the URL. Targets:

- ``ours``: ``charter-drafts serve`` (one process, SQLite in WAL mode with ``synchronous=FULL``;
  every accepted update is committed before anyone sees it);
- ``node``: ``@y/websocket-server`` from ``bench/node_modules`` (``npm ci`` in ``bench/``), its
  own ``src/server.js`` unchanged: documents in memory only, nothing stored;
- ``redis``: two ``charter-drafts serve`` processes on one PostgreSQL database, fanned out over
  a Redis of their own; the writer joins the first, readers alternate between the two;
- with ``--url``, also any running y-websocket server (rooms under that address).

Each measurement starts its target afresh (our data persists across restarts; the reference
starts empty and is given the same document shape by a client: root map ``clauses`` of
``{title, body}`` texts and root array ``order``), and only one target runs at a time. Scenarios:

- fan-out: 1 writer at ``--fanout-rate`` updates/s, N readers on one room (``fanout.py``'s
  round: latency from the writer's send to each reader's receipt, found by content);
- throughput: ``--tp-writers`` writers sending as fast as the server echoes (at most
  ``--window`` unacknowledged updates each), R readers; delivered updates/s per reader;
- idle: N connections that synced and stay silent, on 1 room and on 1 room per 10; the server's
  RSS growth over its freshly started RSS, per connection;
- cold load: one client makes ``--cold-edits`` single-character inserts, at random places (every
  character stays an item of its own: a large state) and, in a second room, typed at the end
  (merged into few items); then a new client's time from connect to sync step 2, with the room
  loaded and (ours) unloaded;
- join race: ``--join-clients`` clients join each of ``--join-rooms`` unloaded rooms at once.

The load generator shares the machine's cores with the servers: its own CPU, the servers', the
store's (PostgreSQL and Redis) and every other process's are printed for every measurement.

    .venv/bin/python bench/compare.py                      # everything, all three targets
    .venv/bin/python bench/compare.py --scenarios fanout,cold --targets ours,node
    .venv/bin/python bench/compare.py --quick              # small sizes, a smoke test
    .venv/bin/python bench/compare.py --targets node --url ws://127.0.0.1:1234 --server-pid PID
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import httpx
import psutil
from loadgen import (
    ROOT,
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    CpuShare,
    CpuWindow,
    Reader,
    Sampler,
    WireReader,
    Writer,
    now,
    open_all,
    pause_collector,
    percentile,
    raise_open_file_limit,
    resume_collector,
    run_round,
    source_commit,
    with_token,
)
from pycrdt import Doc
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from charter_drafts.document import add_clause, load_document, read_clauses
from server.protocol import AuthMessage, read_message, sync_step2, update_message

BENCH = Path(__file__).resolve().parent
NODE_SERVER = BENCH / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
ADMIN, SECRETARIAT = "admin@example.org", "secretariat@example.org"
DEMO_PASSWORD = "demo-password"  # the demo members' published password (--demo only)
SCENARIOS = ("fanout", "throughput", "idle", "cold", "join")
TARGETS = ("ours", "node", "redis")
LABELS = {
    "ours": "ours",
    "node": "Node reference",
    "redis": "ours ×2 + Redis",
    "url": "given server",
}


# Targets: how to start each server, address its rooms and give a room its clauses.


@dataclass(frozen=True)
class Clause:
    key: str
    title: str
    body: str


def clause_texts(count: int) -> list[tuple[str, str]]:
    return [(f"Clause {i + 1}", f"The text of clause {i + 1}.") for i in range(count)]


class Target:
    name = ""
    processes = 1

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def pids(self) -> list[int]:
        raise NotImplementedError

    def store_pids(self) -> list[int]:
        """The store's processes (PostgreSQL, Redis), whose CPU is shown apart."""
        return []

    def url(self, room: str, process: int = 0) -> str:
        """The room's live-document address on the given process, with credentials."""
        raise NotImplementedError

    def clauses(self, room: str) -> list[Clause]:
        """The clauses the room's document holds once it is ready (see ``ready``)."""
        raise NotImplementedError

    async def ready(self, rooms: Sequence[str]) -> list[Reader]:
        """Give rooms their content if the server keeps none (the reference); returns the
        clients that did it, still connected (the caller closes them)."""
        return []

    def log_offsets(self) -> list[int]:
        return []

    def log_since(self, offsets: list[int]) -> list[str]:
        return []

    def stores(self) -> bool:
        """Whether rooms are loaded from a store (and unloaded when idle)."""
        return False


@dataclass
class Ours(Target):
    """One or two ``charter-drafts serve`` processes (two: PostgreSQL and Redis)."""

    folder: Path
    stack: ExitStack
    redis: bool = False
    servers: list[Any] = field(default_factory=list)
    token: str = ""
    room_clauses: dict[str, list[Clause]] = field(default_factory=dict)
    redis_process: Any = None

    def __post_init__(self) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.servers import RedisProcess, ServerProcess, postgres_database

        self.name = "redis" if self.redis else "ours"
        if self.redis:
            database = self.stack.enter_context(postgres_database())
            self.redis_process = RedisProcess(self.folder)
            self.redis_process.start()
            self.stack.callback(self.redis_process.stop)
            env = {"REDIS_URL": self.redis_process.url, "SECRET_KEY": secrets.token_urlsafe(32)}
            for name in ("a", "b"):
                (self.folder / name).mkdir()
                self.servers.append(ServerProcess(self.folder / name, database, env))
        else:
            database = f"sqlite+aiosqlite:///{self.folder / 'charter-drafts.sqlite3'}"
            self.servers.append(ServerProcess(self.folder, database))
        self.processes = len(self.servers)
        self.stack.callback(self.stop)

    def start(self) -> None:
        for server in self.servers:
            server.start("--demo")

    def stop(self) -> None:
        for server in self.servers:
            if server.process is not None:
                code = server.stop()
                if code not in (0, -signal.SIGTERM):  # uvicorn re-raises SIGTERM after shutdown
                    print(f"  server exited with {code}:\n{server.log_text()[-2000:]}")

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.servers if s.process is not None]

    def store_pids(self) -> list[int]:
        if not self.redis:
            return []
        postgres = [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres",)]
        return [self.redis_process.process.pid, *postgres]

    def url(self, room: str, process: int = 0) -> str:
        server = self.servers[process % len(self.servers)]
        return with_token(f"ws://127.0.0.1:{server.port}/ws/charters/bench-{room}", self.token)

    def clauses(self, room: str) -> list[Clause]:
        return self.room_clauses[room]

    def stores(self) -> bool:
        return True

    def log_offsets(self) -> list[int]:
        return [len(s.log_text()) for s in self.servers]

    def log_since(self, offsets: list[int]) -> list[str]:
        """Every process's log lines since ``offsets``, in time order across the processes.

        A text log line starts with its timestamp; lines that do not (a traceback) stay with
        the line before them.
        """
        records: list[tuple[str, list[str]]] = []
        for server, offset in zip(self.servers, offsets, strict=True):
            for line in server.log_text()[offset:].splitlines():
                if records and not TIMESTAMP.match(line):
                    records[-1][1].append(line)
                else:
                    records.append((line[:23], [line]))
        records.sort(key=lambda record: record[0])  # stable: one process's order is kept
        return [line for _, lines in records for line in lines]

    def provision(self, rooms: dict[str, int]) -> None:
        """Create a site admin (CLI), then one charter per room with its clauses (HTTP API), and
        an API token of the secretariat, who may open every one of them."""
        password = secrets.token_urlsafe(16)
        made = self.servers[0].cli_with(
            {"CHARTER_PASSWORD": password},
            *("create-user", "--email", ADMIN, "--name", "Bench admin", "--site-admin"),
        )
        if made.returncode != 0:
            raise SystemExit(f"create-user failed: {made.stderr}")
        self.start()
        try:
            base = self.servers[0].base_url
            asyncio.run(self._create(base, password, rooms))
        finally:
            self.stop()

    async def _create(self, base: str, password: str, rooms: dict[str, int]) -> None:
        async def signed_in(email: str, secret: str) -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=base, timeout=30)
            response = await client.post("/api/session", json={"email": email, "password": secret})
            response.raise_for_status()
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            return client

        admin = await signed_in(ADMIN, password)
        secretariat = await signed_in(SECRETARIAT, DEMO_PASSWORD)
        try:
            issued = await secretariat.post("/api/tokens", json={"name": "bench", "charter": None})
            issued.raise_for_status()
            self.token = issued.json()["secret"]
            limit = asyncio.Semaphore(4)

            async def create(room: str, count: int) -> None:
                slug = f"bench-{room}"
                async with limit:
                    made = await admin.post(
                        "/api/charters",
                        json={"slug": slug, "title": room, "secretariat_email": SECRETARIAT},
                    )
                    if made.status_code != 201:
                        raise SystemExit(f"creating {slug}: {made.status_code} {made.text}")
                    for title, body in clause_texts(count):
                        added = await secretariat.post(
                            f"/api/charters/{slug}/clauses", json={"title": title, "body": body}
                        )
                        if added.status_code != 201:
                            raise SystemExit(f"adding a clause: {added.status_code} {added.text}")
                    read = await secretariat.get(f"/api/charters/{slug}")
                    read.raise_for_status()
                    self.room_clauses[room] = [
                        Clause(c["id"], c["title"], c["body"]) for c in read.json()["clauses"]
                    ]

            await asyncio.gather(*(create(room, count) for room, count in rooms.items()))
        finally:
            await admin.aclose()
            await secretariat.aclose()


@dataclass
class Node(Target):
    """The stock ``@y/websocket-server`` (``src/server.js``, HOST and PORT from the env)."""

    folder: Path
    room_sizes: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self.name = "node"

    def start(self) -> None:
        from tests.servers import free_port

        self.port = free_port()
        log = (self.folder / "node.log").open("ab")
        self.process = subprocess.Popen(
            ["node", str(NODE_SERVER)],
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)},
            cwd=BENCH,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the Node reference exited early: {self._log()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise SystemExit("the Node reference did not start")

    def _log(self) -> str:
        path = self.folder / "node.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process is not None else []

    def url(self, room: str, process: int = 0) -> str:
        return f"ws://127.0.0.1:{self.port}/bench-{room}"

    def clauses(self, room: str) -> list[Clause]:
        return [
            Clause(f"c-{i + 1:08x}", title, body)
            for i, (title, body) in enumerate(clause_texts(self.room_sizes[room]))
        ]

    async def ready(self, rooms: Sequence[str]) -> list[Reader]:
        seeders = []
        for group in range(0, len(rooms), 50):
            seeders += await asyncio.gather(
                *(self.seed(room) for room in rooms[group : group + 50])
            )
        return seeders

    async def seed(self, room: str) -> Reader:
        """Join the room and add its clauses (as the server does for ours), like a client."""
        seeder = Writer()
        await seeder.open(self.url(room))
        await seeder.wait_synced(30)
        seeder._captured.clear()
        with seeder.doc.transaction():
            for clause in self.clauses(room):
                add_clause(seeder.doc, clause.key, clause.title, clause.body)
        await seeder.socket.send(update_message(seeder._captured[-1]))  # type: ignore[union-attr]
        deadline = now() + 30
        while not seeder.frames and now() < deadline:  # noqa: ASYNC110 (the echo; bounded)
            await asyncio.sleep(0.005)
        if not seeder.frames:
            raise SystemExit(f"the reference did not echo the content of room {room}")
        return seeder

    def log_offsets(self) -> list[int]:
        return [len(self._log())]

    def log_since(self, offsets: list[int]) -> list[str]:
        return self._log()[offsets[0] :].splitlines()


@dataclass
class Given(Node):
    """A y-websocket server that is already running (``--url``): its rooms are
    ``URL/bench-RUN-ROOM`` (``?token=`` added with ``--token``) and are given their content by a
    client, as the reference's are. It is not restarted between measurements."""

    base: str = ""
    token: str | None = None
    pid: int | None = None
    prefix: str = field(default_factory=lambda: f"bench-{secrets.token_hex(3)}-")

    def __post_init__(self) -> None:
        self.name = "url"

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def pids(self) -> list[int]:
        return [self.pid] if self.pid else []

    def url(self, room: str, process: int = 0) -> str:
        return with_token(f"{self.base.rstrip('/')}/{self.prefix}{room}", self.token)

    def log_offsets(self) -> list[int]:
        return []

    def log_since(self, offsets: list[int]) -> list[str]:
        return []


# Measurements: one table row per metric, one column per target.


@dataclass
class Row:
    scenario: str
    metric: str
    better: str  # "lower" or "higher"
    values: dict[str, float] = field(default_factory=dict)  # the median of the samples
    samples: dict[str, list[float]] = field(default_factory=dict)  # one per run (``--repeat``)
    text: dict[str, str] = field(default_factory=dict)  # shown instead of the value
    target: str = ""  # the target for ours, if any
    check: Callable[[dict[str, float]], bool] | None = None
    failed: dict[str, str] = field(default_factory=dict)  # target -> why it fails regardless


@dataclass
class Report:
    rows: dict[str, Row] = field(default_factory=dict)
    cpu: list[tuple[str, str, CpuShare]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, key: str, scenario: str, metric: str, better: str = "lower", **kw: Any) -> Row:
        if key not in self.rows:
            self.rows[key] = Row(scenario, metric, better, **kw)
        return self.rows[key]

    def put(self, key: str, target: str, value: float, text: str | None = None) -> None:
        row = self.rows[key]
        samples = row.samples.setdefault(target, [])
        samples.append(value)
        row.values[target] = statistics.median(samples)
        if text is not None:
            row.text[target] = text


def paired_ratios(row: Row, target: str) -> list[float]:
    """``target`` over the reference, run by run (the runs of ``--repeat`` alternate them)."""
    pairs = zip(row.samples.get(target, []), row.samples.get("node", []), strict=False)
    return [a / b for a, b in pairs if b and not math.isnan(a) and not math.isnan(b)]


def fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "–"
    if b == 0:
        return "–" if a == 0 else "∞"
    return f"{a / b:.2f}"


def ratio_cell(row: Row, target: str) -> str:
    """The ratio of the medians; over several runs also the run-by-run ratios' range."""
    cell = ratio(row.values.get(target), row.values.get("node"))
    runs = paired_ratios(row, target)
    if len(runs) > 1 and cell != "–":
        cell += f" ({min(runs):.2f}–{max(runs):.2f})"
    return cell


def cpu_text(share: CpuShare) -> str:
    store = "" if math.isnan(share.store) else f", store {share.store:.0f}%"
    return (
        f"CPU over {share.seconds:.1f} s: server {share.server:.0f}%, load generator "
        f"{share.loadgen:.0f}%{store}, other processes {share.others:.0f}% (% of one core)"
    )


def warnings_in(lines: list[str]) -> list[str]:
    return [line for line in lines if " WARNING " in line or " ERROR " in line or "Error" in line]


# Scenario helpers


async def close_all(clients: Sequence[Reader]) -> None:
    for start in range(0, len(clients), 200):
        await asyncio.gather(*(c.close() for c in clients[start : start + 200]))


def state_clock(state: bytes, client: int) -> int:
    """A client's clock in an encoded state vector (lib0 varints: count, then client, clock)."""
    values, value, shift = [], 0, 0
    for byte in state:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            values.append(value)
            value, shift = 0, 0
    pairs = values[1:]
    return dict(zip(pairs[0::2], pairs[1::2], strict=True)).get(client, 0)


class Pipelined(Writer):
    """A writer that keeps at most ``window`` updates unacknowledged (not yet broadcast back to
    it), so it sends as fast as the server takes them without an unbounded queue. It counts its
    echoes by its marker prefix and, unlike ``Writer``, does not apply others' updates."""

    __slots__ = ("acked", "prefix", "space")

    def __init__(self, prefix: bytes) -> None:
        super().__init__()
        self.prefix = prefix
        self.acked = 0
        self.space = asyncio.Event()

    def count_acks(self, frame: bytes) -> None:
        self.acked += frame.count(self.prefix)

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                received = now()
                head = frame[:2]
                if head == SYNC_UPDATE:
                    self.frames.append((received, frame))  # type: ignore[arg-type]
                    self.count_acks(frame)  # type: ignore[arg-type]
                    self.space.set()
                elif head == SYNC_STEP2:
                    self.doc.apply_update(read_message(frame).payload)  # type: ignore[arg-type, union-attr]
                    self.synced_at = received
                    self.synced.set()
                elif head == SYNC_STEP1:
                    payload = read_message(frame).payload  # type: ignore[arg-type, union-attr]
                    await socket.send(sync_step2(self.doc.get_update(payload)))
                else:
                    message = read_message(frame)  # type: ignore[arg-type]
                    if isinstance(message, AuthMessage) and message.denied:
                        self.denials.append(message.reason)
        except ConnectionClosed:
            pass
        self._ended(socket.close_code, socket.close_reason)

    async def pump(self, edit: Callable[[int], None], until: float, window: int, limit: int) -> int:
        """Make and send updates (``edit(seq)`` makes update ``seq``) until ``until`` or
        ``limit`` updates, keeping at most ``window`` unacknowledged; return how many were sent."""
        assert self.socket is not None
        seq = 0
        while seq < limit and now() < until:
            if seq - self.acked >= window:
                self.space.clear()
                if seq - self.acked >= window:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.space.wait(), max(0.001, until - now()))
                    if self.dropped:
                        break
                    continue
            self._captured.clear()
            edit(seq)
            message = update_message(self._captured[-1])
            self.send_times.append(now())
            try:
                await self.socket.send(message)
            except ConnectionClosed:
                self.send_times.pop()
                break
            seq += 1
            if seq % 16 == 0:
                await asyncio.sleep(0)  # let the other writers and the readers run
        return seq


class Typist(Pipelined):
    """Counts its acknowledged updates by its own clock in the echoes (its updates carry no
    marker: each inserts one character, so each advances its clock by one)."""

    __slots__ = ("base", "mirror")

    def __init__(self) -> None:
        super().__init__(b"")
        self.mirror: Doc | None = None
        self.base = 0

    def count_acks(self, frame: bytes) -> None:
        assert self.mirror is not None
        self.mirror.apply_update(read_message(frame).payload)  # type: ignore[union-attr]
        self.acked = state_clock(self.mirror.get_state(), self.doc.client_id) - self.base

    def start_counting(self) -> None:
        self.mirror = load_document([self.doc.get_update()])
        self.base = state_clock(self.doc.get_state(), self.doc.client_id)


async def fresh_view(url: str) -> list[tuple[str, str, str]]:
    """The document as a newly joined client sees it: (key, title, body) in order."""
    reader = WireReader()
    try:
        await reader.open(url)
        await reader.wait_synced(30)
        return [(c.key, c.title, c.body) for c in read_clauses(reader.document())]
    finally:
        await reader.close()


# Scenarios


async def scenario_fanout(target: Target, args: argparse.Namespace, report: Report) -> None:
    await close_all(await target.ready(["fanout"]))  # the reference keeps the room in memory
    clause = target.clauses("fanout")[0].key
    round_args = argparse.Namespace(
        run_id=secrets.token_hex(3),
        rate=args.fanout_rate,
        seconds=args.fanout_seconds,
        clause=clause,
        batch=50,
        sync_timeout=30.0,
        drain=10.0,
        verify=args.verify,
    )
    readers = [target.url("fanout", p) for p in range(target.processes)]
    for clients in args.fanout_clients:
        offsets = target.log_offsets()
        result = await run_round(
            round_args, target.url("fanout", 0), readers, clients, target.pids(),
            target.store_pids,
        )  # fmt: skip
        lat = result.latencies_ms
        loss = 1 - result.delivered / result.expected if result.expected else math.nan
        print(
            f"  N={clients}: delivered {result.delivered}/{result.expected}, sync failures "
            f"{result.sync_failures}, duplicates {result.duplicates}"
            + ("" if result.diverged is None else f", diverged {result.diverged}")
            + f"; p50 {percentile(lat, 50):.1f} p99 {percentile(lat, 99):.1f} max "
            f"{percentile(lat, 100):.1f} ms; writer echo p50 "
            f"{percentile(result.echo_ms, 50):.1f} ms; updates/broadcast "
            f"{result.delivered / result.broadcasts if result.broadcasts else math.nan:.2f}"
        )
        print(
            f"    per update: first reader p50 {percentile(result.first_ms, 50):.2f} ms, first "
            f"to last reader p50 {percentile(result.spread_ms, 50):.2f} ms; the slowest 1 % of "
            f"deliveries are of {result.tail_updates} of {len(result.first_ms)} updates"
        )
        share = CpuShare(
            result.window_seconds,
            result.server_cpu,
            result.loadgen_cpu,
            result.store_cpu,
            result.others_cpu,
        )
        print(f"    {cpu_text(share)}; server RSS max {result.rss_max / 2**20:.0f} MiB")
        report.cpu.append((f"fan-out N={clients}", target.name, share))
        for line in warnings_in(target.log_since(offsets))[:5]:
            print(f"    server: {line}")
        key = f"fanout{clients}"
        report.row(
            f"{key}p99", "fan-out", f"N={clients}: p99 delivery latency, ms",
            **(
                {"target": "≤ Node", "check": lambda v: v["ours"] <= v["node"]}
                if clients == 300 else {}
            ),
        )  # fmt: skip
        report.row(f"{key}p50", "fan-out", f"N={clients}: p50 delivery latency, ms")
        report.row(f"{key}first", "fan-out", f"N={clients}: first reader's latency p50, ms")
        report.row(f"{key}spread", "fan-out", f"N={clients}: first to last reader p50, ms")
        report.row(f"{key}tail", "fan-out", f"N={clients}: updates the slowest 1 % are of")
        report.row(f"{key}loss", "fan-out", f"N={clients}: lost (undelivered) updates, %")
        report.put(f"{key}p50", target.name, percentile(lat, 50))
        report.put(f"{key}p99", target.name, percentile(lat, 99))
        report.put(f"{key}first", target.name, percentile(result.first_ms, 50))
        report.put(f"{key}spread", target.name, percentile(result.spread_ms, 50))
        report.put(f"{key}tail", target.name, result.tail_updates)
        report.put(f"{key}loss", target.name, 100 * loss)
        if loss > 0:  # a latency over the updates that did arrive proves nothing
            report.rows[f"{key}p99"].failed[target.name] = "updates lost"
        if result.diverged or result.sync_failures or result.duplicates:
            report.notes.append(
                f"fan-out N={clients} on {LABELS[target.name]}: {result.sync_failures} sync "
                f"failures, {result.duplicates} duplicates, {result.diverged} diverged"
            )
        await asyncio.sleep(1.0)


async def scenario_throughput(target: Target, args: argparse.Namespace, report: Report) -> None:
    await close_all(await target.ready(["throughput"]))
    keys = [c.key for c in target.clauses("throughput")]
    for count in args.tp_readers:
        await throughput_round(target, args, report, keys, count)
        await asyncio.sleep(1.0)


async def throughput_round(
    target: Target, args: argparse.Namespace, report: Report, keys: list[str], count: int
) -> None:
    run = secrets.token_hex(3)
    writers = [Pipelined(f" [t{run}w{w}#".encode()) for w in range(args.tp_writers)]
    readers = [WireReader() for _ in range(count)]
    offsets = target.log_offsets()
    for writer in writers:
        await writer.open(target.url("throughput", 0))
        await writer.wait_synced(30)
    urls = [target.url("throughput", p) for p in range(target.processes)]
    failures = await open_all(readers, urls, 50, 30)
    await asyncio.sleep(0.5)
    live = [r for r in readers if r.synced.is_set()]

    def editor(w: int) -> Callable[[int], None]:
        text = writers[w].body(keys[w % len(keys)])
        marker = f" [t{run}w{w}#{{}}]"
        return lambda seq: text.insert(len(text), marker.format(seq))

    cpu = CpuWindow(target.pids(), target.store_pids)
    pause_collector()
    cpu.start()
    started = now()
    until = started + args.tp_seconds
    sent = await asyncio.gather(
        *(w.pump(editor(i), until, args.window, 10**9) for i, w in enumerate(writers))
    )
    lasts = [f" [t{run}w{w}#{n - 1}]".encode() for w, n in enumerate(sent) if n]
    # Wait until every reader has every writer's last update (each frame is scanned once).
    scanned = {id(r): 0 for r in live}
    found: dict[int, set[bytes]] = {id(r): set() for r in live}

    def has_all(reader: Reader) -> bool:
        frames = reader.frames
        for _, frame in frames[scanned[id(reader)] :]:
            found[id(reader)].update(last for last in lasts if last in frame)
        scanned[id(reader)] = len(frames)
        return len(found[id(reader)]) == len(lasts)

    deadline = now() + 15
    waiting = list(live)
    while waiting and now() < deadline:
        waiting = [r for r in waiting if r.dropped is None and not has_all(r)]
        if waiting:
            await asyncio.sleep(0.02)
    share = cpu.stop()
    resume_collector()
    denials = sum(len(w.denials) for w in writers)
    await close_all([*readers, *writers])

    pattern = re.compile(rb" \[t" + run.encode() + rb"w(\d+)#(\d+)\]")
    first = min(w.send_times[0] for w in writers if w.send_times)
    rates, latencies, frames, delivered = [], [], 0, 0
    for reader in live:
        seen: set[tuple[int, int]] = set()
        last = first
        for received, frame in reader.frames:
            frames += 1
            for w, seq in pattern.findall(frame):
                marker = (int(w), int(seq))
                if marker not in seen:
                    seen.add(marker)
                    latencies.append((received - writers[marker[0]].send_times[marker[1]]) * 1e3)
            last = received
        delivered += len(seen)
        rates.append(len(seen) / max(last - first, 1e-9))
    latencies.sort()
    total = sum(sent)
    expected = total * count
    rate = statistics.mean(rates) if rates else math.nan
    diverged = None
    if args.verify and live:
        truth = await fresh_view(urls[0])
        diverged = sum(
            1
            for r in live
            if [(c.key, c.title, c.body) for c in read_clauses(r.document())] != truth
        )
    print(
        f"  {args.tp_writers} writers, {count} readers: sent {total} in {args.tp_seconds:g} s; "
        f"delivered {delivered}/{expected} (sync failures {failures}, refused {denials}"
        + ("" if diverged is None else f", diverged {diverged}")
        + f"); {rate:.0f} updates/s per reader; latency p50 {percentile(latencies, 50):.1f} "
        f"p99 {percentile(latencies, 99):.1f} ms; updates/frame "
        f"{delivered / frames if frames else math.nan:.2f}; frames received "
        f"{frames / share.seconds:.0f}/s"
    )
    print(f"    {cpu_text(share)}")
    report.cpu.append((f"throughput R={count}", target.name, share))
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    key = f"tp{count}"
    extra: dict[str, Any] = {}
    if count == 20:
        extra = {"target": "≥ Node", "check": lambda v: v["ours"] >= v["node"]}
    report.row(
        f"{key}rate", "throughput", f"R={count}: updates/s delivered per reader", "higher", **extra
    )
    report.row(f"{key}p99", "throughput", f"R={count}: p99 delivery latency, ms")
    report.row(f"{key}loss", "throughput", f"R={count}: lost (undelivered) updates, %")
    report.put(f"{key}rate", target.name, rate)
    report.put(f"{key}p99", target.name, percentile(latencies, 99))
    report.put(f"{key}loss", target.name, 100 * (1 - delivered / expected) if expected else 0)
    if delivered < expected:
        report.rows[f"{key}rate"].failed[target.name] = "updates lost"
    if diverged:
        report.notes.append(f"throughput R={count} on {LABELS[target.name]}: {diverged} diverged")


async def scenario_idle(target: Target, args: argparse.Namespace, report: Report) -> None:
    """Called once per (connections, rooms) case, on a freshly started target."""
    count, per_room = args.idle_case
    rooms = (
        [f"idle-{i:03d}" for i in range(max(1, count // per_room))] if per_room else ["idle-000"]
    )
    sampler = Sampler(target.pids())
    await asyncio.sleep(1.0)
    fresh = sampler.rss()
    cpu = CpuWindow(target.pids(), target.store_pids)
    cpu.start()
    began = now()
    # The first connection of each room gives the reference its content (ours has it stored).
    anchors = await target.ready(rooms)
    if not anchors:
        anchors = [WireReader() for _ in rooms]
        failures = await open_all(anchors, [target.url(r, i) for i, r in enumerate(rooms)], 50, 30)
    else:
        failures = 0
    clients = [WireReader() for _ in range(count - len(anchors))]
    urls = [target.url(rooms[i % len(rooms)], i) for i in range(len(clients))]
    failures += await open_all(clients, urls, 50, 30)
    connected = now()
    await asyncio.sleep(2.0)
    samples = []
    for _ in range(5):
        samples.append(sampler.rss())
        await asyncio.sleep(0.2)
    share = cpu.stop()
    rss = statistics.median(samples)
    per_connection = (rss - fresh) / count
    print(
        f"  {count} idle connections on {len(rooms)} room(s): sync failures {failures}; server "
        f"RSS {fresh / 2**20:.1f} MiB fresh, {rss / 2**20:.1f} MiB with them: "
        f"{per_connection / 1024:.1f} KiB per connection"
    )
    print(f"    {cpu_text(share)}; connected {connected - began:.1f} s after the start")
    report.cpu.append((f"idle {count} / {len(rooms)} rooms", target.name, share))
    key = f"idle{count}x{len(rooms)}"
    extra: dict[str, Any] = {}
    if len(rooms) == 1:
        extra = {"target": "≤ Node", "check": lambda v: v["ours"] <= v["node"]}
    report.row(
        key, "idle", f"{count} connections, {len(rooms)} room(s): RSS per connection, KiB", **extra
    )
    report.put(key, target.name, per_connection / 1024)
    if len(rooms) == 1:
        rate_key = f"idlerate{count}"
        report.row(
            rate_key,
            "idle",
            f"{count} connections, 1 room: connected and synced per second",
            "higher",
        )
        report.put(rate_key, target.name, count / (connected - began))
    if failures:
        report.notes.append(f"idle {count} on {LABELS[target.name]}: {failures} sync failures")
    await close_all([*anchors, *clients])


async def connect_time(url: str) -> tuple[float, float, int]:
    """Connect → sync step 2 (ms), of which the websocket upgrade (ms), and step 2's size."""
    reader = WireReader()
    try:
        await reader.open(url)
        await reader.wait_synced(30)
        return (
            (reader.synced_at - reader.opened_at) * 1e3,
            (reader.connected_at - reader.opened_at) * 1e3,
            len(reader.step2 or b""),
        )
    finally:
        await reader.close()


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
LOADED = re.compile(r"room (\S+) loaded from (\d+) stored updates in ([\d.]+) ms")


def room_events(target: Target, offsets: list[int], slug: str) -> tuple[int, int]:
    """How many times the room was loaded and unloaded (all processes) since ``offsets``."""
    lines = target.log_since(offsets)
    loaded = sum(1 for line in lines if f"room {slug} loaded" in line)
    unloaded = sum(1 for line in lines if f"room {slug} unloaded" in line)
    return loaded, unloaded


async def wait_unloaded(target: Target, offsets: list[int], slug: str, within: float) -> bool:
    deadline = now() + within
    while now() < deadline:
        loaded, unloaded = room_events(target, offsets, slug)
        if loaded == unloaded:
            return True
        await asyncio.sleep(0.1)
    return False


async def scenario_cold(target: Target, args: argparse.Namespace, report: Report) -> None:
    for pattern in args.cold_pattern:
        await cold_round(target, args, report, pattern)


PATTERNS = {
    "random": "edits at random places",  # no two neighbours: every character is its own item
    "append": "edits typed at the end",  # Yjs merges them into few items: a small state
}


async def cold_round(
    target: Target, args: argparse.Namespace, report: Report, pattern: str
) -> None:
    room = f"cold-{pattern}"
    await close_all(await target.ready([room]))
    offsets = target.log_offsets()
    key = target.clauses(room)[0].key
    typist = Typist()
    await typist.open(target.url(room, 0))
    await typist.wait_synced(30)
    typist.start_counting()
    text = typist.body(key)
    chance = random.Random(20261125)
    letters = "abcdefghijklmnopqrstuvwxyz "

    def edit(_seq: int) -> None:
        place = len(text) if pattern == "append" else chance.randrange(len(text) + 1)
        text.insert(place, chance.choice(letters))

    cpu = CpuWindow(target.pids(), target.store_pids)
    cpu.start()
    started = now()
    sent = await typist.pump(edit, started + args.cold_build_limit, args.window, args.cold_edits)
    deadline = now() + 60
    while typist.acked < sent and now() < deadline and not typist.dropped:
        typist.space.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(typist.space.wait(), 1.0)
    built = now() - started
    share = cpu.stop()
    print(
        f"  {PATTERNS[pattern]}: {sent} single-character inserts sent, {typist.acked} "
        f"acknowledged in {built:.1f} s ({typist.acked / built:.0f}/s, window {args.window}); "
        f"refused {len(typist.denials)}; {cpu_text(share)}"
    )
    report.cpu.append((f"cold load: making the history ({pattern})", target.name, share))
    if typist.acked < args.cold_edits:
        report.notes.append(
            f"cold load on {LABELS[target.name]}: only {typist.acked} of {args.cold_edits} edits "
            f"stored within --cold-build-limit {args.cold_build_limit:g} s"
        )
    # Loaded: the typist stays (and a holder on each other process keeps the room loaded there).
    holders = [WireReader() for _ in range(target.processes - 1)]
    await open_all(holders, [target.url(room, p + 1) for p in range(len(holders))], 50, 30)
    await asyncio.sleep(0.5)
    loaded = []
    for sample in range(args.cold_samples):
        loaded.append(await connect_time(target.url(room, sample)))
        await asyncio.sleep(0.1)
    await close_all([typist, *holders])
    unloaded: list[tuple[float, float, int]] = []
    if target.stores():
        for sample in range(args.cold_samples_unloaded):
            if not await wait_unloaded(target, offsets, f"bench-{room}", 60):
                report.notes.append(f"cold load on {LABELS[target.name]}: room never unloaded")
                break
            unloaded.append(await connect_time(target.url(room, sample)))
    loads = [m for line in target.log_since(offsets) if (m := LOADED.search(line))]
    for name, samples in (("room loaded", loaded), ("room unloaded", unloaded)):
        if not samples:
            continue
        times = sorted(s[0] for s in samples)
        print(
            f"  {name}: connect → sync step 2 {statistics.median(times):.1f} ms median "
            f"(min {times[0]:.1f}, max {times[-1]:.1f}; of which the upgrade "
            f"{statistics.median(s[1] for s in samples):.1f} ms); step 2 {samples[0][2]} bytes"
        )
    for match in loads[-len(unloaded) :] if unloaded else []:
        print(f"    server: room loaded from {match[2]} stored updates in {match[3]} ms")
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    what = f"{args.cold_edits} {PATTERNS[pattern]}"
    report.row(
        f"cold{pattern}unloaded", "cold load", f"{what}, room unloaded: connect → step 2, ms",
        target="< 10 ms", check=lambda v: v["ours"] < 10,
    )  # fmt: skip
    report.row(f"cold{pattern}loaded", "cold load", f"{what}, room loaded: connect → step 2, ms")
    report.put(f"cold{pattern}loaded", target.name, statistics.median(s[0] for s in loaded))
    if unloaded:
        median = statistics.median(s[0] for s in unloaded)
        report.put(f"cold{pattern}unloaded", target.name, median)
    else:
        report.put(f"cold{pattern}unloaded", target.name, math.nan, "n/a (in memory)")


async def scenario_join(target: Target, args: argparse.Namespace, report: Report) -> None:
    rooms = [f"join-{i:02d}" for i in range(args.join_rooms)]
    offsets = target.log_offsets()
    failures_total, slowest, reasons = 0, 0.0, []
    for round_ in range(args.join_rounds):
        if round_ and target.stores():
            for room in rooms:
                await wait_unloaded(target, offsets, f"bench-{room}", 60)
        clients = [WireReader() for _ in range(args.join_rooms * args.join_clients)]
        urls = [target.url(rooms[i % len(rooms)], i // len(rooms)) for i in range(len(clients))]
        cpu = CpuWindow(target.pids(), target.store_pids)
        cpu.start()
        started = now()

        async def join(client: Reader, url: str) -> str | None:
            try:
                await client.open(url)
                await client.wait_synced(args.join_timeout)
            except Exception as error:  # refused, reset, closed, timed out: all count
                return f"{type(error).__name__}: {error}"
            return None

        errors = await asyncio.gather(*(join(c, u) for c, u in zip(clients, urls, strict=True)))
        share = cpu.stop()
        times = sorted((c.synced_at - started) * 1e3 for c in clients if c.synced.is_set())
        failed = [e for e in errors if e]
        wrong = 0
        if target.stores():
            for index, client in enumerate(clients):
                if client.synced.is_set():
                    want = [
                        (c.key, c.title, c.body) for c in target.clauses(rooms[index % len(rooms)])
                    ]
                    got = [(c.key, c.title, c.body) for c in read_clauses(client.document())]
                    wrong += got != want
        print(
            f"  round {round_ + 1}: {len(clients)} clients on {len(rooms)} rooms at once: "
            f"{len(failed)} failed, {wrong} synced a wrong document; all synced within "
            f"{times[-1] if times else math.nan:.0f} ms (p50 {percentile(times, 50):.0f} ms); "
            + cpu_text(share)
        )
        for reason in sorted(set(failed))[:3]:
            print(f"    failure: {reason}")
        reasons += failed
        failures_total += len(failed) + wrong
        slowest = max(slowest, times[-1] if times else math.inf)
        report.cpu.append((f"join race round {round_ + 1}", target.name, share))
        await close_all(clients)
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    report.row(
        "joinfail", "join race",
        f"{args.join_clients} clients × {args.join_rooms} rooms at once: failures",
        target="0", check=lambda v: v["ours"] == 0,
    )  # fmt: skip
    report.row("jointime", "join race", "time until the last client synced, ms")
    report.put("joinfail", target.name, failures_total, str(failures_total))
    report.put("jointime", target.name, slowest)


# The run


def room_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Every room the scenarios use, with its number of clauses."""
    rooms = {"fanout": 1, "throughput": max(1, args.tp_writers)}
    rooms.update({f"cold-{pattern}": 1 for pattern in PATTERNS})
    idle_rooms = max([1] + [count // args.idle_per_room for count in args.idle])
    rooms.update({f"idle-{i:03d}": 1 for i in range(idle_rooms)})
    rooms.update({f"join-{i:02d}": 1 for i in range(args.join_rooms)})
    return rooms


async def measure(
    targets: list[Target],
    run: Callable[[Target], Coroutine[Any, Any, None]],
    title: str,
) -> None:
    for target in targets:
        print(f"{title} — {LABELS[target.name]}", flush=True)
        await asyncio.to_thread(target.start)
        print(f"  server pid(s) {', '.join(map(str, target.pids()))}", flush=True)
        try:
            await run(target)
        finally:
            await asyncio.to_thread(target.stop)


async def run_all(targets: list[Target], args: argparse.Namespace, report: Report) -> None:
    # ``--repeat``: the targets take turns, in one order then the other, so that a machine
    # growing slower or faster during the run weighs on each alike.
    for run in range(args.repeat):
        order = targets if run % 2 == 0 else targets[::-1]
        of = f" (run {run + 1} of {args.repeat})" if args.repeat > 1 else ""
        if "fanout" in args.scenarios:
            await measure(
                order,
                lambda t: scenario_fanout(t, args, report),
                f"fan-out: 1 writer at {args.fanout_rate:g}/s for {args.fanout_seconds:g} s, "
                f"N = {', '.join(map(str, args.fanout_clients))} readers{of}",
            )
        if "throughput" in args.scenarios:
            await measure(
                order,
                lambda t: scenario_throughput(t, args, report),
                f"throughput: {args.tp_writers} writers as fast as possible for "
                f"{args.tp_seconds:g} s{of}",
            )
    if "idle" in args.scenarios:
        for count in args.idle:
            for per_room in (0, args.idle_per_room):
                args.idle_case = (count, per_room)
                rooms = count // per_room if per_room else 1
                await measure(
                    targets,
                    lambda t: scenario_idle(t, args, report),
                    f"idle: {count} connections on {rooms} room(s)",
                )
    if "cold" in args.scenarios:
        await measure(
            targets,
            lambda t: scenario_cold(t, args, report),
            f"cold load: {args.cold_edits} single-character edits of history "
            f"({', '.join(args.cold_pattern)})",
        )
    if "join" in args.scenarios:
        await measure(
            targets,
            lambda t: scenario_join(t, args, report),
            f"join race: {args.join_clients} clients × {args.join_rooms} unloaded rooms at once",
        )


def runs_met(row: Row, target: str) -> str:
    """Over several runs: in how many of them the target was met, run by run."""
    mine, theirs = row.samples.get(target, []), row.samples.get("node", [])
    if row.check is None or len(mine) < 2:
        return ""
    if "Node" in row.target:
        runs = [row.check({"ours": a, "node": b}) for a, b in zip(mine, theirs, strict=False)]
    else:
        runs = [row.check({"ours": a, "node": math.nan}) for a in mine]
    return f" (in {sum(runs)} of {len(runs)} runs)"


def print_tables(report: Report, names: list[str]) -> None:
    others = [n for n in names if n != "node"]
    ratios = [n for n in others if "node" in names]
    header = ["scenario", "metric", *(LABELS[n] for n in names)]
    header += [f"{LABELS[n]} / Node" for n in ratios] + ["target (ours)", "met"]
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|---|---|" + "---:|" * (len(names) + len(ratios)) + "---|---|")
    for row in report.rows.values():
        cells = [row.scenario, row.metric]
        cells += [row.text.get(n, fmt(row.values.get(n, math.nan))) for n in names]
        cells += [ratio_cell(row, n) for n in ratios]
        verdicts = []
        for n in others if row.check is not None else []:
            mine, theirs = row.values.get(n, math.nan), row.values.get("node", math.nan)
            if n in row.failed:
                verdict = f"**no** ({row.failed[n]})"
            elif math.isnan(mine) or ("Node" in row.target and math.isnan(theirs)):
                verdict = "n/a"
            else:
                verdict = "yes" if row.check({"ours": mine, "node": theirs}) else "**no**"
                verdict += runs_met(row, n)
            verdicts.append((f"{LABELS[n]}: " if len(others) > 1 else "") + verdict)
        cells += [row.target, ", ".join(verdicts)]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    print()
    print(
        "CPU over each measured window, % of one core (server | load generator | store | others):"
    )
    print()
    cpu_lines = ["| measurement | " + " | ".join(LABELS[n] for n in names) + " |"]
    cpu_lines.append("|---|" + "---|" * len(names))
    runs: dict[str, dict[str, list[CpuShare]]] = {}
    for measurement, target, share in report.cpu:
        runs.setdefault(measurement, {}).setdefault(target, []).append(share)
    by_measurement = {
        measurement: {target: median_share(shares) for target, shares in targets.items()}
        for measurement, targets in runs.items()
    }
    for measurement, shares in by_measurement.items():
        cells = []
        for n in names:
            share = shares.get(n)
            if share is None:
                cells.append("–")
                continue
            store = "–" if math.isnan(share.store) else f"{share.store:.0f}"
            cells.append(f"{share.server:.0f} / {share.loadgen:.0f} / {store} / {share.others:.0f}")
        cpu_lines.append(f"| {measurement} | " + " | ".join(cells) + " |")
    print("\n".join(cpu_lines))
    for measurement, target, share in report.cpu:
        if share.loadgen >= 90:
            report.notes.append(
                f"{measurement} on {LABELS[target]}: the load generator used {share.loadgen:.0f}% "
                "of a core: that measurement is bounded by the load generator, not the server"
            )
    print()
    for note in dict.fromkeys(report.notes):  # once, however many runs made it
        print(f"note: {note}")


def median_share(shares: list[CpuShare]) -> CpuShare:
    """Each part's median over the runs of a measurement (``--repeat``)."""
    parts = [f.name for f in fields(CpuShare)]
    return CpuShare(
        *(statistics.median(getattr(share, name) for share in shares) for name in parts)
    )


def settle(targets: list[Target]) -> None:
    """Put the set-up's writes on disk before the first measurement, not during it.

    The first measurement ran right after the set-up wrote 214 charters on two stores; what the
    disk still had to write of them (PostgreSQL's checkpoint among it) met the first round's
    commits: that round's p99 was 109 and 23 ms in two full runs, 3 to 4 ms in rounds of its own.
    """
    if any(target.name == "redis" for target in targets):
        from tests.servers import postgres_admin

        postgres_admin("CHECKPOINT")
    os.sync()
    time.sleep(2.0)


def ensure_node_modules() -> None:
    if NODE_SERVER.exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("the Node reference needs node and npm (or leave it out: --targets ours)")
    print("installing the Node reference from bench/package-lock.json (npm ci) ...", flush=True)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=BENCH,
        check=True,
        timeout=300,
    )


def node_version() -> str:
    try:
        done = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip()


def _ints(value: str) -> list[int]:
    counts = [int(v) for v in value.split(",") if v.strip()]
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return counts


def _names(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(names) - set(choices))
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
        return [c for c in choices if c in names]

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--scenarios", type=_names(SCENARIOS), default=list(SCENARIOS), help=",".join(SCENARIOS))
    add("--targets", type=_names(TARGETS), default=list(TARGETS), help=",".join(TARGETS))
    add("--url", help="also measure a running y-websocket server: ws://HOST:PORT[/PREFIX]")
    add("--token", help="with --url: sent as ?token= on every connection")
    add("--server-pid", type=int, help="with --url: the server's pid (RSS and CPU)")
    add("--quick", action="store_true", help="small sizes everywhere: a smoke test of the script")
    add(
        "--repeat",
        type=int,
        default=1,
        help="runs of the fan-out and throughput scenarios, the targets taking turns: medians, "
        "and the run-by-run ratios' range",
    )
    add("--fanout-clients", type=_ints, default=[10, 100, 300], help="readers per round")
    add("--fanout-rate", type=float, default=20.0, help="writer updates per second")
    # 15 s: over 100 updates (5 s) a single slow broadcast (300 of 30,000 samples) set the p99.
    add("--fanout-seconds", type=float, default=15.0, help="how long the writer writes")
    add("--tp-writers", type=int, default=4, help="throughput: writers")
    add("--tp-readers", type=_ints, default=[4, 20], help="throughput: readers per round")
    add("--tp-seconds", type=float, default=5.0, help="throughput: seconds of sending per round")
    add("--window", type=int, default=64, help="unacknowledged updates per writer (max)")
    add("--idle", type=_ints, default=[1000, 2000], help="idle connections per case")
    add("--idle-per-room", type=int, default=10, help="connections per room, second idle case")
    add("--cold-edits", type=int, default=20000, help="edits of history before the cold load")
    add(
        "--cold-pattern",
        type=_names(tuple(PATTERNS)),
        default=list(PATTERNS),
        help="where the edits go: random (every character its own item), append (typing)",
    )
    add("--cold-build-limit", type=float, default=180.0, help="seconds to make that history")
    add("--cold-samples", type=int, default=5, help="new clients timed with the room loaded")
    add("--cold-samples-unloaded", type=int, default=3, help="… after it unloaded (ours)")
    add("--join-rooms", type=int, default=10)
    add("--join-clients", type=int, default=20, help="clients per room")
    add("--join-rounds", type=int, default=1, help="rounds (ours: after the rooms unload again)")
    add("--join-timeout", type=float, default=30.0, help="seconds for a client to sync")
    add("--no-verify", dest="verify", action="store_false", help="skip the document checks")
    return parser


def main() -> int:
    args = _parser().parse_args()
    if args.quick:
        args.fanout_clients, args.fanout_seconds = [10, 50], 2.0
        args.tp_readers, args.tp_seconds = [4], 2.0
        args.idle, args.cold_edits, args.cold_samples_unloaded = [200], 1000, 1
        args.join_rooms, args.join_clients = 3, 5
    limits = [
        (len(args.fanout_clients) <= 10 and max(args.fanout_clients) <= 5000, "--fanout-clients"),
        (0 < args.fanout_rate <= 1000 and 0 < args.fanout_seconds <= 120, "--fanout-rate/seconds"),
        (1 <= args.tp_writers <= 64 and max(args.tp_readers) <= 1000, "--tp-writers/readers"),
        (0 < args.tp_seconds <= 120 and 1 <= args.window <= 10_000, "--tp-seconds/--window"),
        (max(args.idle) <= 10_000 and 1 <= args.idle_per_room <= 10_000, "--idle"),
        (1 <= args.cold_edits <= 200_000 and 0 < args.cold_build_limit <= 900, "--cold-*"),
        (1 <= args.cold_samples <= 100 and 0 <= args.cold_samples_unloaded <= 20, "--cold-*"),
        (1 <= args.join_rooms <= 100 and 1 <= args.join_clients <= 200, "--join-*"),
        (1 <= args.join_rounds <= 10 and 0 < args.join_timeout <= 300, "--join-*"),
        (1 <= args.repeat <= 10, "--repeat"),
    ]
    for ok, flag in limits:
        if not ok:
            raise SystemExit(f"{flag}: out of range (see --help)")
    if args.url:
        args.targets = [*args.targets, "url"]
    raise_open_file_limit(max(args.idle) + max(args.fanout_clients) + 1024)
    if "node" in args.targets:
        ensure_node_modules()
    sys.path.insert(0, str(ROOT))
    from tests.servers import postgres_available

    if "redis" in args.targets and (
        shutil.which("redis-server") is None or not postgres_available()
    ):
        print("note: no redis-server or no PostgreSQL at 127.0.0.1:5432: leaving out 'redis'")
        args.targets = [t for t in args.targets if t != "redis"]
    import uvloop

    report = Report()
    commit = source_commit()
    started = time.monotonic()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="charter-compare-") as folder:
        targets: list[Target] = []
        rooms = room_sizes(args)
        for name in args.targets:
            place = Path(folder) / name
            place.mkdir()
            if name == "url":
                given = Given(place, rooms, base=args.url, token=args.token, pid=args.server_pid)
                targets.append(given)
                continue
            if name == "node":
                node = Node(place, room_sizes=rooms)
                stack.callback(node.stop)
                targets.append(node)
                continue
            ours = Ours(place, stack, redis=name == "redis")
            print(f"{LABELS[name]}: creating {len(rooms)} charters ...", flush=True)
            began = time.monotonic()
            ours.provision(rooms)
            print(f"  done in {time.monotonic() - began:.1f} s", flush=True)
            targets.append(ours)
        settle(targets)
        uvloop.run(run_all(targets, args, report))
    names = [t.name for t in targets]
    print()
    print(
        f"compare: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()} (load generator and "
        f"ours, uvloop), Node {node_version()}, server {commit or '?'}; "
        f"{time.monotonic() - started:.0f} s"
        + (
            f"; fan-out and throughput: medians of {args.repeat} runs each"
            if args.repeat > 1
            else ""
        )
    )
    print()
    print_tables(report, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
