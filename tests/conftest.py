"""Fixtures: a real server process per test module, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.browsers import Browsing, launch, require_chromium
from tests.servers import ServerProcess, postgres_available, postgres_database

IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def database_url_for(backend: str, data_dir: Path, stack: ExitStack) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / 'charter-drafts.sqlite3'}"
    if not postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required under CI=true")
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    return stack.enter_context(postgres_database())


ServerFactory = Callable[..., ServerProcess]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Build servers (started with --demo unless told otherwise) on SQLite by default."""
    with ExitStack() as stack:
        servers: list[ServerProcess] = []

        def make(
            backend: str = "sqlite", *, env: dict[str, str] | None = None, start: bool = True
        ) -> ServerProcess:
            data_dir = tmp_path / f"server{len(servers)}"
            data_dir.mkdir()
            server = ServerProcess(data_dir, database_url_for(backend, data_dir, stack), env or {})
            servers.append(server)
            if start:
                server.start("--demo")
            return server

        yield make
        for server in servers:
            if server.process is not None:
                server.kill()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A demo server shared by a module's tests, once on SQLite and once on PostgreSQL."""
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(f"server-{request.param}")
        process = ServerProcess(data_dir, database_url_for(request.param, data_dir, stack))
        process.start("--demo")
        yield process
        if process.process is not None:
            process.stop()


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver (one per module: its sync API allows one at a time)."""
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, one per test module (skipped without it, except under CI=true)."""
    browser = launch(playwright_driver)
    yield browser
    browser.close()


@pytest.fixture
def browsing(chromium: Browser, server: ServerProcess) -> Iterator[Browsing]:
    """Separate people (browser contexts) on the module's server; closed after the test."""
    browsing = Browsing(chromium, server.base_url)
    yield browsing
    browsing.close()
