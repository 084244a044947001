"""The command line, the demo seed, the JSON API and the pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from charter_drafts.demo.content import DEMO_CLAUSES, DEMO_TITLE
from server.client import LiveClient
from tests.conftest import ServerFactory
from tests.servers import POSTGRES_ADMIN_URL, ServerProcess, eventually_async


def test_migrate_and_seed_demo_are_idempotent(make_server: ServerFactory) -> None:
    server = make_server(start=False)
    for _ in range(2):
        assert server.cli("migrate").returncode == 0
    for _ in range(2):
        result = server.cli("seed-demo")
        assert result.returncode == 0, result.stderr
    assert "already present" in result.stderr
    server.start()
    charters = server.get("/api/charters").json()["charters"]
    assert [c["slug"] for c in charters] == ["lampedusa"]
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    assert [c["id"] for c in clauses] == [c.key for c in DEMO_CLAUSES]


async def test_serve_demo_again_keeps_the_edits_made_since(make_server: ServerFactory) -> None:
    server = make_server()
    async with LiveClient.connect(server.ws_url()) as client:
        await asyncio.wait_for(client.synced.wait(), 10)
        client.text("preamble", "title").insert(0, "Revised ")
        await eventually_async(lambda: preamble_title(server) == "Revised Preamble")
    server.stop()
    server.start("--demo")
    assert preamble_title(server) == "Revised Preamble"
    assert len(server.get("/api/charters/lampedusa").json()["clauses"]) == len(DEMO_CLAUSES)


def preamble_title(server: ServerProcess) -> str:
    clauses = server.get("/api/charters/lampedusa").json()["clauses"]
    return str(clauses[0]["title"])


def test_charter_json_numbers_clauses_in_order(server: ServerProcess) -> None:
    response = server.get("/api/charters/lampedusa")
    assert response.status_code == 200
    charter = response.json()
    assert charter["title"] == DEMO_TITLE
    assert charter["phase"] == "drafting"
    numbers = [c["number"] for c in charter["clauses"]]
    assert numbers == [None, *range(1, len(DEMO_CLAUSES))]
    assert {c["kind"] for c in charter["clauses"]} == {"preamble", "principle", "commitment"}


def test_unknown_charter_and_route_are_clear_errors(server: ServerProcess) -> None:
    response = server.get("/api/charters/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no charter 'nowhere'"}
    assert server.get("/api/nothing-here").json()["error"] == "not_found"
    page = server.get("/charters/nowhere")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    # In the reader's language (the code stays the same).
    french = {"Accept-Language": "fr-FR,fr;q=0.9", "Authorization": f"Bearer {server.token()}"}
    api = httpx.get(server.base_url + "/api/charters/nowhere", headers=french)
    assert api.json() == {"error": "not_found", "message": "aucune charte « nowhere »"}
    html = httpx.get(server.base_url + "/charters/nowhere", headers=french)
    assert html.status_code == 404
    assert "Introuvable" in html.text
    assert "aucune charte « nowhere »" in html.text
    refused = httpx.post(server.base_url + "/api/charters/lampedusa", content=b"{garbage")
    assert refused.status_code == 405
    assert refused.json()["error"] == "method_not_allowed"


def test_pages_render_the_charter_in_english_and_french(server: ServerProcess) -> None:
    home = server.get("/")
    assert home.status_code == 200
    assert DEMO_TITLE in home.text
    page = server.get("/charters/lampedusa")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert 'data-slug="lampedusa"' in page.text
    assert "/static/dist/editor.js" in page.text
    assert page.text.count('class="clause"') == len(DEMO_CLAUSES)
    french = httpx.get(
        server.base_url + "/charters/lampedusa",
        headers={
            "Accept-Language": "fr-FR,fr;q=0.9",
            "Authorization": f"Bearer {server.token()}",
        },
    )
    assert '<html lang="fr">' in french.text
    assert "Préambule" in french.text
    # Anyone else reads the latest published version there, with the way in for members.
    anonymous = server.get("/charters/lampedusa", as_=None)
    assert anonymous.status_code == 200
    assert 'data-version="0.1"' in anonymous.text
    assert "/static/dist/editor.js" not in anonymous.text
    assert 'href="/sign-in?next=/charters/lampedusa"' in anonymous.text
    assert server.get("/static/dist/editor.js").status_code == 200
    assert server.get("/static/app.css").status_code == 200
    # Only what the browser needs is served: not the client's sources or its packages.
    for private in ("/static/package.json", "/static/src/editor.js", "/static/README.md"):
        assert server.get(private).status_code == 404
    headers = server.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_every_setting_is_documented_in_the_readme() -> None:
    from dataclasses import fields

    from server.settings import ENV_NAMES, Settings

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for setting in fields(Settings):
        name = ENV_NAMES.get(setting.name, setting.name.upper())
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"


def test_health_readiness_and_metrics(server: ServerProcess) -> None:
    assert server.get("/healthz", as_=None).json() == {"status": "ok"}
    ready = server.get("/readyz", as_=None)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": True}}
    metrics = server.get("/metrics", as_=None)
    assert metrics.status_code == 200
    for name in (
        "charter_drafts_rooms_open",
        "charter_drafts_connections",
        "charter_drafts_updates_received_total",
        "charter_drafts_persist_seconds_bucket",
        "charter_drafts_broadcast_seconds_bucket",
        "charter_drafts_messages_refused_total",
    ):
        assert name in metrics.text


def test_bootstrapping_an_instance_with_the_cli(make_server: ServerFactory) -> None:
    server = make_server(start=False)
    password = {"CHARTER_PASSWORD": "a long enough password"}
    for email, name in (("clerk@example.org", "Clerk"), ("mayor@example.org", "Mayor")):
        created = server.cli_with(password, "create-user", "--email", email, "--name", name)
        assert created.returncode == 0, created.stderr
    weak = server.cli_with(
        {"CHARTER_PASSWORD": "short"}, "create-user", "--email", "w@x.org", "--name", "W"
    )
    assert weak.returncode == 2
    assert "at least 10 characters" in weak.stderr
    charter = server.cli(
        "create-charter",
        "--slug",
        "city-charter",
        "--title",
        "City charter",
        "--secretariat",
        "clerk@example.org",
    )
    assert charter.returncode == 0, charter.stderr
    member = server.cli(
        "add-member",
        "--charter",
        "city-charter",
        "--email",
        "mayor@example.org",
        "--role",
        "editor",
        "--organisation",
        "Demo town",
        "--organisation-kind",
        "local_government",
        "--country",
        "it",
        "--city",
        "Demo town",
    )
    assert member.returncode == 0, member.stderr
    again = server.cli(
        "add-member",
        "--charter",
        "city-charter",
        "--email",
        "mayor@example.org",
        "--role",
        "observer",
    )
    assert again.returncode == 2
    assert "already" in again.stderr
    server.start()
    with server.signed_in("mayor@example.org", "a long enough password") as http:
        read = http.get("/api/charters/city-charter")
        assert read.status_code == 200
        assert read.json()["clauses"] == []
        members = http.get("/api/charters/city-charter/members").json()["members"]
    roles = {
        m["display_name"]: (m["role"], (m["organisation"] or {}).get("country")) for m in members
    }
    assert roles == {"Clerk": ("secretariat", None), "Mayor": ("editor", "IT")}


async def _backends_of(database_url: str) -> int:
    """How many connections PostgreSQL has open to the database of ``database_url``."""
    import asyncpg

    name = database_url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL + "/postgres", timeout=5)
    try:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
        return int(await connection.fetchval(query, name))
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_a_server_on_postgresql_opens_its_first_connections_as_it_starts(
    make_server: ServerFactory,
) -> None:
    warm = make_server("postgres", env={"DATABASE_POOL_WARM": "6"})
    lazy = make_server("postgres", env={"DATABASE_POOL_WARM": "0"})
    # Each has answered one request (the start waits for it) and seeded the demo charter.
    assert await _backends_of(warm.database_url) >= 6
    assert await _backends_of(lazy.database_url) < 6
    assert warm.get("/readyz", as_=None).json() == {"status": "ready", "checks": {"store": True}}
