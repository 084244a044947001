"""The ``charter-drafts`` command: serve, migrate, seed-demo, create-user, add-member,
create-charter, deactivate-user, reactivate-user."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from charter_drafts.charters import get_charter, start_charter
from charter_drafts.database import create_engine, create_session_factory
from charter_drafts.demo.content import DEMO_SLUG
from charter_drafts.demo.seed import DEMO_MEMBERS, DEMO_PASSWORD, seed_demo
from charter_drafts.errors import DomainError, NotFound
from charter_drafts.migrate import upgrade
from charter_drafts.models import OrganisationKind, Role, User
from charter_drafts.people.accounts import (
    create_user,
    deactivate_user,
    find_user,
    reactivate_user,
)
from charter_drafts.people.memberships import add_member
from charter_drafts.people.organisations import find_or_create_organisation
from charter_drafts.texts import text
from server.live.fanout import Kind, publish_once
from server.logs import configure_logging
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
    serve.add_argument("--redis-url", help="Redis for several processes (env REDIS_URL)")
    serve.add_argument("--demo", action="store_true", help="add the demo charter if missing")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not bring the database up to date first"
    )
    serve.add_argument("--log-level", default="info", help="debug, info, warning, error")
    migrate = commands.add_parser("migrate", help="bring the database to the current schema")
    _store_options(migrate)
    seed = commands.add_parser("seed-demo", help="add the demo charter if it is missing")
    _store_options(seed)
    user = commands.add_parser("create-user", help="create an account")
    _store_options(user)
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True, help="display name")
    user.add_argument(
        "--password-env",
        default="CHARTER_PASSWORD",
        help="environment variable holding the password (default CHARTER_PASSWORD); "
        "without it the password is asked for",
    )
    user.add_argument("--site-admin", action="store_true", help="may create charters")
    member = commands.add_parser("add-member", help="give an account a role on a charter")
    _store_options(member)
    member.add_argument("--charter", required=True, help="the charter's slug")
    member.add_argument("--email", required=True)
    member.add_argument("--role", required=True, choices=[r.value for r in Role])
    member.add_argument("--organisation", help="organisation name (created if new)")
    member.add_argument("--organisation-kind", choices=[k.value for k in OrganisationKind])
    member.add_argument("--country", help="ISO 3166-1 alpha-2 code of the organisation")
    member.add_argument("--city", default="", help="city, for a local government")
    charter = commands.add_parser("create-charter", help="create a charter and its secretariat")
    _store_options(charter)
    charter.add_argument("--slug", required=True)
    charter.add_argument("--title", required=True)
    charter.add_argument("--summary", default="")
    charter.add_argument("--secretariat", required=True, help="email of an existing account")
    deactivate = commands.add_parser(
        "deactivate-user",
        help="suspend an account everywhere: sign-in, sessions, tokens, open documents",
    )
    _store_options(deactivate)
    deactivate.add_argument("email")
    deactivate.add_argument("--reason", required=True, help="why (kept in the audit log)")
    deactivate.add_argument(
        "--redis-url", help="Redis of the running servers, to close what is open (env REDIS_URL)"
    )
    reactivate = commands.add_parser("reactivate-user", help="let an account sign in again")
    _store_options(reactivate)
    reactivate.add_argument("email")
    reactivate.add_argument("--reason", default="", help="why (kept in the audit log)")
    return parser


async def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            await work(session)
    finally:
        await engine.dispose()


async def _seed(session: AsyncSession) -> None:
    await seed_demo(session)


def _create_user(args: argparse.Namespace) -> Callable[[AsyncSession], Awaitable[None]]:
    password = os.environ.get(args.password_env) or getpass.getpass("Password: ")

    async def work(session: AsyncSession) -> None:
        user = await create_user(
            session, args.email, args.name, password, site_admin=args.site_admin
        )
        await session.commit()
        print(f"created user {user.id} <{user.email}>")

    return work


def _add_member(args: argparse.Namespace) -> Callable[[AsyncSession], Awaitable[None]]:
    async def work(session: AsyncSession) -> None:
        charter = await get_charter(session, args.charter)
        user = await find_user(session, args.email)
        if user is None:
            missing = text("no account for {email}; create it with create-user", email=args.email)
            raise NotFound(missing)
        organisation_id = None
        if args.organisation:
            organisation = await find_or_create_organisation(
                session,
                args.organisation,
                args.organisation_kind or "",
                args.country or "",
                args.city,
            )
            organisation_id = organisation.id
        assert charter.id is not None
        await add_member(session, charter.id, user, Role(args.role), organisation_id, actor_id=None)
        await session.commit()
        print(f"{user.email} is now {args.role} of {charter.slug}")

    return work


def _create_charter(args: argparse.Namespace) -> Callable[[AsyncSession], Awaitable[None]]:
    async def work(session: AsyncSession) -> None:
        charter = await start_charter(
            session, args.slug, args.title, args.summary, args.secretariat, actor_id=None
        )
        await session.commit()
        print(f"created charter {charter.slug}; secretariat: {args.secretariat}")

    return work


async def _account(session: AsyncSession, email: str) -> User:
    user = await find_user(session, email)
    if user is None:
        raise NotFound(text("no account for {email}", email=email))
    return user


def _deactivate_user(
    args: argparse.Namespace, settings: Settings
) -> Callable[[AsyncSession], Awaitable[None]]:
    async def work(session: AsyncSession) -> None:
        user = await _account(session, args.email)
        tokens = await deactivate_user(session, user, actor_id=None, reason=args.reason)
        await session.commit()
        assert user.id is not None
        print(f"deactivated {user.email}; {tokens} API token(s) revoked")
        if settings.redis_url:
            # Every running process closes the user's live documents and event streams.
            reached = await publish_once(
                settings.redis_url, Kind.user_deactivated, str(user.id).encode()
            )
            print(f"{reached} running server process(es) told to close what they have open")
        else:
            print(
                "no REDIS_URL: a running server refuses the user's sessions and tokens at their "
                "next request, but keeps their open live documents and event streams until "
                "they reconnect (the HTTP operation closes them at once)"
            )

    return work


def _reactivate_user(args: argparse.Namespace) -> Callable[[AsyncSession], Awaitable[None]]:
    async def work(session: AsyncSession) -> None:
        user = await _account(session, args.email)
        await reactivate_user(session, user, actor_id=None, reason=args.reason)
        await session.commit()
        print(f"reactivated {user.email}: they may sign in again")

    return work


def _print_demo_accounts(base: str) -> None:
    lines = [f"demo charter: {base}/charters/{DEMO_SLUG}"]
    lines.append(f"demo accounts (password: {DEMO_PASSWORD}):")
    lines += [f"  {m.email:<26} {m.role.value}" for m in DEMO_MEMBERS]
    print("\n".join(lines), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env(
        database_url=args.database_url,
        data_dir=args.data_dir,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        redis_url=getattr(args, "redis_url", None),
    )
    configure_logging(getattr(args, "log_level", "info"), settings.log_format)
    url = settings.resolved_database_url
    if args.command == "migrate":
        upgrade(url)
        return 0
    commands: dict[str, Callable[[argparse.Namespace], Callable[[AsyncSession], Awaitable[None]]]]
    commands = {
        "seed-demo": lambda _args: _seed,
        "create-user": _create_user,
        "add-member": _add_member,
        "create-charter": _create_charter,
        "deactivate-user": lambda args: _deactivate_user(args, settings),
        "reactivate-user": _reactivate_user,
    }
    if args.command in commands:
        upgrade(url)
        try:
            asyncio.run(_in_session(settings, commands[args.command](args)))
        except DomainError as error:
            print(f"charter-drafts: {error.message}", file=sys.stderr)
            return 2
        return 0
    if not args.no_migrate:
        upgrade(url)
    if args.demo:
        asyncio.run(_in_session(settings, _seed))
    from server.app import create_app
    from server.live.front import FrontProtocol
    from server.live.websocket_protocol import WebSocketProtocol

    base = f"http://{settings.host}:{settings.port}"
    log.info("serving on %s", base)
    if args.demo:
        _print_demo_accounts(base)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        log_config=None,  # keep the logging configured above (text or JSON lines)
        # The server closes larger frames itself with 1009 (uvicorn's limit is the backstop).
        ws_max_size=settings.max_message_size + 1024,
        # Our own websocket protocol: lean per idle socket, no secrets in the log (see the module);
        # no compression: deflating each broadcast per connection costs more than it saves.
        ws=WebSocketProtocol,
        # A connection's first request, if it is the usual upgrade, goes straight to it.
        http=FrontProtocol,
        ws_ping_interval=settings.ping_interval_seconds,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
