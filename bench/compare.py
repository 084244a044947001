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

This module holds the flags and the order of the run; ``targets.py`` starts and addresses the
servers, ``scenarios.py`` measures (with ``clients.py``'s pipelined writers beside
``loadgen.py``'s clients) and ``report.py`` prints the tables.

    .venv/bin/python bench/compare.py                      # everything, all three targets
    .venv/bin/python bench/compare.py --scenarios fanout,cold --targets ours,node
    .venv/bin/python bench/compare.py --quick              # small sizes, a smoke test
    .venv/bin/python bench/compare.py --targets node --url ws://127.0.0.1:1234 --server-pid PID
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from loadgen import (
    ROOT,
    raise_open_file_limit,
    source_commit,
)
from report import Report, print_tables
from scenarios import (
    PATTERNS,
    room_sizes,
    scenario_cold,
    scenario_fanout,
    scenario_idle,
    scenario_join,
    scenario_throughput,
)
from targets import LABELS, Given, Node, Ours, Target, ensure_node_modules, node_version, settle

SCENARIOS = ("fanout", "throughput", "idle", "cold", "join")


TARGETS = ("ours", "node", "redis")


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
        args.run = run
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
    add(
        "--join-tokens",
        type=int,
        default=1,
        help="API tokens the join race's clients take turns with (ours; default: one for all)",
    )
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
        (1 <= args.join_tokens <= 1000, "--join-tokens"),
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
            ours.provision(rooms, args.join_tokens)
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
