"""The ``charter-drafts`` command: serve, migrate, seed-demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from charter_drafts.database import create_engine, create_session_factory
from charter_drafts.demo import seed_demo
from charter_drafts.demo_content import DEMO_SLUG
from charter_drafts.migrate import upgrade
from server.settings import Settings

log = logging.getLogger("charter_drafts")


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy async URL (env DATABASE_URL)")
    parser.add_argument("--data-dir", type=Path, help="data folder (env CHARTER_DATA_DIR)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="charter-drafts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP API, pages and live documents")
    _store_options(serve)
    serve.add_argument("--host", help="address to listen on (env HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (env PORT, default 8000)")
    serve.add_argument("--demo", action="store_true", help="add the demo charter if missing")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not bring the database up to date first"
    )
    serve.add_argument("--log-level", default="info", help="debug, info, warning, error")
    migrate = commands.add_parser("migrate", help="bring the database to the current schema")
    _store_options(migrate)
    seed = commands.add_parser("seed-demo", help="add the demo charter if it is missing")
    _store_options(seed)
    return parser


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            await seed_demo(session)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "info").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env(
        database_url=args.database_url,
        data_dir=args.data_dir,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )
    url = settings.resolved_database_url
    if args.command == "migrate":
        upgrade(url)
        return 0
    if args.command == "seed-demo":
        upgrade(url)
        asyncio.run(_seed(settings))
        return 0
    if not args.no_migrate:
        upgrade(url)
    if args.demo:
        asyncio.run(_seed(settings))
    from server.app import create_app

    base = f"http://{settings.host}:{settings.port}"
    log.info("serving on %s", base)
    if args.demo:
        log.info("demo charter: %s/charters/%s", base, DEMO_SLUG)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        # The server closes larger frames itself with 1009 (uvicorn's limit is the backstop).
        ws_max_size=settings.max_message_size + 1024,
        # Compressing each broadcast once per connection costs more CPU than it saves here.
        ws_per_message_deflate=False,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
