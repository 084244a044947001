"""The servers a comparison measures, and how each starts, names its rooms and gets its clauses.

``Ours``: one ``charter-drafts serve`` on SQLite, or two on PostgreSQL behind Redis; ``Node``: the
stock ``@y/websocket-server``; ``Given``: a y-websocket server already running (``--url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from loadgen import (
    ROOT,
    Reader,
    Writer,
    now,
    with_token,
)

from charter_drafts.document.schema import add_clause
from server.live.protocol import update_message

BENCH = Path(__file__).resolve().parent


NODE_SERVER = BENCH / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"


ADMIN, SECRETARIAT = "admin@example.org", "secretariat@example.org"


DEMO_PASSWORD = "demo-password"  # the demo members' published password (--demo only)


LABELS = {
    "ours": "ours",
    "node": "Node reference",
    "redis": "ours ×2 + Redis",
    "url": "given server",
}


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

    def join_url(self, room: str, process: int, client: int) -> str:
        """``url`` for the join race's ``client`` (ours: its own token, see ``--join-tokens``)."""
        return self.url(room, process)

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
    join_tokens: list[str] = field(default_factory=list)  # the join race's clients take turns
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

    def join_url(self, room: str, process: int, client: int) -> str:
        if not self.join_tokens:
            return self.url(room, process)
        server = self.servers[process % len(self.servers)]
        token = self.join_tokens[client % len(self.join_tokens)]
        return with_token(f"ws://127.0.0.1:{server.port}/ws/charters/bench-{room}", token)

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

    def provision(self, rooms: dict[str, int], join_tokens: int = 1) -> None:
        """Create a site admin (CLI), then one charter per room with its clauses (HTTP API), and
        an API token of the secretariat, who may open every one of them (and ``join_tokens``
        more for the join race's clients, when more than one)."""
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
            asyncio.run(self._create(base, password, rooms, join_tokens))
        finally:
            self.stop()

    async def _create(
        self, base: str, password: str, rooms: dict[str, int], join_tokens: int
    ) -> None:
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
            for index in range(join_tokens if join_tokens > 1 else 0):
                made = await secretariat.post("/api/tokens", json={"name": f"join {index}"})
                made.raise_for_status()
                self.join_tokens.append(made.json()["secret"])
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


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


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
