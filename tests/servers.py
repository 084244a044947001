"""Running the real server in a child process, on a free port, with its own store."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "editor@example.org"
DEMO_PASSWORD = "demo-password"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with the last value at the deadline."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value: {value!r})")
        time.sleep(interval)
        value = check()
    return value


async def eventually_async(
    check: Callable[[], Any], within: float = 10.0, interval: float = 0.02
) -> Any:
    deadline = time.monotonic() + within
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last value: {value!r})")
        await asyncio.sleep(interval)
        value = check()
    return value


async def read_until_closed(socket: Any, per_message: float = 20) -> None:
    """Read a websocket until it closes (raises ``websockets.ConnectionClosed``)."""
    while True:
        await asyncio.wait_for(socket.recv(), per_message)


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, slug: str = "lampedusa", *, as_: str | None = EDITOR) -> str:
        """The live document's address, with an API token of the demo account ``as_``."""
        url = f"ws://127.0.0.1:{self.port}/ws/charters/{slug}"
        return f"{url}?token={self.token(as_)}" if as_ else url

    def token(self, email: str = EDITOR, charter: str | None = None) -> str:
        """An API token of a demo account (signed in with its password), made once."""
        key = (email, charter)
        if key not in self._tokens:
            with self.signed_in(email) as client:
                response = client.post("/api/tokens", json={"name": "tests", "charter": charter})
            assert response.status_code == 201, response.text
            self._tokens[key] = response.json()["secret"]
        return self._tokens[key]

    @contextmanager
    def signed_in(self, email: str, password: str = DEMO_PASSWORD) -> Iterator[httpx.Client]:
        """An HTTP client with a session cookie and the CSRF header set."""
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            response = client.post("/api/session", json={"email": email, "password": password})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            yield client

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.cli_with({}, *args)

    def cli_with(self, extra: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env={**self._environment(), **extra},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "CHARTER_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            **self.env,
        }

    def start(self, *extra: str) -> None:
        assert self.process is None, "already running"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port), *extra],
            env=self._environment(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_text()[-4000:]}")
            try:
                if httpx.get(self.base_url + "/api/charters", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.log_text()[-4000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def get(self, path: str, *, as_: str | None = EDITOR) -> httpx.Response:
        """GET with an API token of the demo account ``as_`` (None: anonymous)."""
        headers = {"Authorization": f"Bearer {self.token(as_)}"} if as_ else {}
        return httpx.get(self.base_url + path, headers=headers, timeout=10)


def postgres_admin(sql: str) -> None:
    """Run one statement as the PostgreSQL administrator, on the ``postgres`` database."""
    import asyncpg

    async def admin() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL + "/postgres", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # In a thread of its own: callers may be inside an event loop already.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, admin()).result()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one server; dropped afterwards."""
    name = f"charter_drafts_test_{uuid.uuid4().hex[:12]}"
    postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{POSTGRES_ADMIN_URL.split('://', 1)[1]}/{name}"
    finally:
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_available() -> bool:
    host, _, port = POSTGRES_ADMIN_URL.rsplit("@", 1)[-1].partition(":")
    try:
        with socket.create_connection((host, int(port or 5432)), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class RedisProcess:
    """A Redis server of the test's own (so a test may stop and restart it)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
