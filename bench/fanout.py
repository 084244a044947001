"""Fan-out benchmark: one writer, N readers on one charter; delivery latency of every update.

For each N in ``--clients``: N reader connections and one writer connection join the demo
charter and sync (y-websocket sync step 1 / step 2, like the stock ``WebsocketProvider``). The
writer then appends a small text with a sequence marker (`` [fanout RUN.N #SEQ]``) to one clause
body, ``--rate`` times a second for ``--seconds`` seconds, sending each update as it is made.

The latency of an update at a reader is the time from the writer's ``send`` to the moment the
bytes of the broadcast holding that update reach this process (readers parse frames in the read
that brought them: ``wire.py``). The server may merge several updates
into one broadcast (group commit), so updates are identified by content: the marker is plain
ASCII and Yjs (encoding v1) stores inserted text verbatim, so every marker of a merged update is
found in the frame's bytes. During the run a reader only stamps and keeps each update frame (one
clock read, one comparison, one append); markers are searched after the run. Afterwards every
reader's document (its sync step 2 plus every update it received) is rebuilt and compared with
the writer's, to check that what was measured is also what the clients would show.

The load generator runs in this one process and shares the machine with the server: its own
CPU use is reported next to the results (as % of one core), as is the server's.

    .venv/bin/python bench/fanout.py                        # starts its own server (--demo)
    .venv/bin/python bench/fanout.py --clients 10 --seconds 3
    .venv/bin/python bench/fanout.py --server-pid 1234 \
        --url ws://127.0.0.1:8000/ws/charters/lampedusa
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
from loadgen import (
    ROOT,
    Result,
    percentile,
    raise_open_file_limit,
    run_round,
    server_notes,
    source_commit,
    with_token,
)

DEMO_SLUG = "lampedusa"
DEMO_WRITER, DEMO_READER = "editor@example.org", "observer@example.org"
DEMO_PASSWORD = "demo-password"  # the demo members' published password (--demo only)


def report(result: Result) -> None:
    lat = result.latencies_ms
    print(
        f"N={result.clients}: delivered {result.delivered}/{result.expected} "
        f"(sent {result.sent} in {result.send_seconds:.2f} s), sync failures "
        f"{result.sync_failures}, dropped {result.dropped}, duplicates {result.duplicates}"
        + ("" if result.diverged is None else f", diverged {result.diverged}")
    )
    print(
        f"  delivery latency ms: p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  "
        f"p99 {percentile(lat, 99):.1f}  max {percentile(lat, 100):.1f}   "
        f"writer echo p50 {percentile(result.echo_ms, 50):.1f}  "
        f"p99 {percentile(result.echo_ms, 99):.1f}"
    )
    print(
        f"  per update: first reader p50 {percentile(result.first_ms, 50):.1f} ms, first to "
        f"last reader p50 {percentile(result.spread_ms, 50):.1f} ms; the slowest 1 % of "
        f"deliveries are of {result.tail_updates} of {len(result.first_ms)} updates"
    )
    per_broadcast = result.delivered / result.broadcasts if result.broadcasts else math.nan
    print(
        f"  updates per broadcast {per_broadcast:.2f}; server RSS {result.rss_synced / 2**20:.0f}"
        f" MiB synced, {result.rss_max / 2**20:.0f} MiB max; CPU over {result.window_seconds:.1f}"
        f" s: server {result.server_cpu:.0f}%, load generator {result.loadgen_cpu:.0f}% "
        f"other processes {result.others_cpu:.0f}% (all % of one core)",
    )
    if result.frames_sent:
        per_frame = result.window_seconds / result.frames_sent * 1e6 / 100  # µs per 1 % CPU
        server = "n/a" if math.isnan(result.server_cpu) else f"{result.server_cpu * per_frame:.0f}"
        print(
            f"  CPU per update frame sent to a client: server {server} µs, load generator "
            f"{result.loadgen_cpu * per_frame:.0f} µs ({result.frames_sent} frames)"
        )
    print("  p50 ms by second of sending: " + " ".join(f"{v:.0f}" for v in result.p50_by_second))
    print("  max ms by second of sending: " + " ".join(f"{v:.0f}" for v in result.max_by_second))
    if result.refusals:
        print(f"  the server refused {len(result.refusals)} updates: {result.refusals[0]}")
    for line in result.server_notes:
        print(f"  server: {line}")
    sys.stdout.flush()


def table(results: list[Result]) -> str:
    rows = [
        "| readers | sync failures | delivered / expected | p50 ms | p95 ms | p99 ms | max ms "
        "| writer echo p50 ms | updates / broadcast | server RSS MiB (max) | server CPU % "
        "| load gen CPU % | other processes CPU % |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lat = r.latencies_ms
        per_broadcast = r.delivered / r.broadcasts if r.broadcasts else math.nan
        rss = f"{r.rss_max / 2**20:.0f}" if r.rss_max else "n/a"
        server_cpu = "n/a" if math.isnan(r.server_cpu) else f"{r.server_cpu:.0f}"
        rows.append(
            f"| {r.clients} | {r.sync_failures} | {r.delivered}/{r.expected} "
            f"| {percentile(lat, 50):.1f} | {percentile(lat, 95):.1f} | {percentile(lat, 99):.1f} "
            f"| {percentile(lat, 100):.1f} | {percentile(r.echo_ms, 50):.1f} "
            f"| {per_broadcast:.2f} | {rss} | {server_cpu} | {r.loadgen_cpu:.0f} "
            f"| {r.others_cpu:.0f} |"
        )
    return "\n".join(rows)


async def bench(args: argparse.Namespace, url: str, pid: int | None, log: Path | None) -> None:
    results = []
    log_seen = 0
    for clients in args.clients:
        result = await run_round(
            args,
            with_token(url, args.token),
            [with_token(url, args.reader_token or args.token)],
            clients,
            [pid] if pid else [],
        )
        result.server_notes, log_seen = server_notes(log, log_seen, result.started_at)
        report(result)
        results.append(result)
        await asyncio.sleep(args.pause)
    print()
    print(
        f"fan-out, {args.rate:g} updates/s for {args.seconds:g} s, "
        f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, loop {args.loop_name}"
        + (f", server {args.commit}" if args.commit else "")
    )
    print()
    print(table(results))


def provision_demo_tokens(args: argparse.Namespace, base_url: str, slug: str) -> None:
    """On a server that has accounts: API tokens of the demo editor (writer) and observer.

    Demo mode only (the demo members' password is public). A server without accounts (404 on
    ``/api/session``) is used anonymously.
    """
    tokens = []
    for email in (DEMO_WRITER, DEMO_READER):
        with httpx.Client(base_url=base_url, timeout=10) as http:
            signed_in = http.post("/api/session", json={"email": email, "password": DEMO_PASSWORD})
            if signed_in.status_code in (404, 405):
                return
            signed_in.raise_for_status()
            issued = http.post(
                "/api/tokens",
                json={"name": "fanout benchmark", "charter": slug},
                headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
            )
            issued.raise_for_status()
            tokens.append(issued.json()["secret"])
    args.token, args.reader_token = tokens
    print(f"signed in as {DEMO_WRITER} (writer) and {DEMO_READER} (readers); API tokens issued")


def _clients(value: str) -> list[int]:
    counts = [int(v) for v in value.split(",") if v.strip()]
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", type=_clients, default=[10, 100, 300], help="readers per round: 10,100,300"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="writer updates per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the writer writes")
    parser.add_argument("--url", help="an already running server's ws://…/ws/charters/SLUG")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, for RSS")
    parser.add_argument(
        "--token",
        default=os.environ.get("CHARTER_BENCH_TOKEN"),
        help="API token sent as ?token= (env CHARTER_BENCH_TOKEN); the writer needs edit rights",
    )
    parser.add_argument(
        "--reader-token",
        default=os.environ.get("CHARTER_BENCH_READER_TOKEN"),
        help="token for the readers (env CHARTER_BENCH_READER_TOKEN; default: --token)",
    )
    parser.add_argument("--clause", default="preamble", help="clause whose body the writer edits")
    parser.add_argument("--batch", type=int, default=50, help="readers connected at a time")
    parser.add_argument("--sync-timeout", type=float, default=30.0, help="seconds, per batch")
    parser.add_argument("--drain", type=float, default=10.0, help="max wait after the last send")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip rebuilding every reader's document after the run",
    )
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="load generator's loop"
    )
    return parser


def main() -> int:
    args = _parser().parse_args()
    if not 0 < args.rate <= 1000 or not 0 < args.seconds <= 600:
        raise SystemExit("--rate must be in (0, 1000] and --seconds in (0, 600]")
    if round(args.rate * args.seconds) < 1:
        raise SystemExit("--rate × --seconds must be at least 1 update")
    if len(args.clients) > 20 or max(args.clients) > 5000:
        raise SystemExit("--clients: at most 20 rounds of at most 5000 readers")
    if not 1 <= args.batch <= 500 or not 0 < args.sync_timeout <= 300 or not 0 <= args.drain <= 120:
        raise SystemExit("--batch 1..500, --sync-timeout (0, 300] s, --drain [0, 120] s")
    if not 0 <= args.pause <= 60:
        raise SystemExit("--pause [0, 60] s")
    args.run_id = secrets.token_hex(3)
    args.commit = None if args.url else source_commit()
    raise_open_file_limit(max(args.clients) + 256)
    runner = asyncio.run
    args.loop_name = "asyncio"
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print("uvloop is not installed; using asyncio")
        else:
            runner, args.loop_name = uvloop.run, "uvloop"

    if args.url:
        runner(bench(args, args.url, args.server_pid, None))
        return 0

    sys.path.insert(0, str(ROOT))
    from tests.servers import ServerProcess

    with tempfile.TemporaryDirectory(prefix="charter-bench-") as folder:
        data = Path(folder)
        server = ServerProcess(data, f"sqlite+aiosqlite:///{data / 'charter-drafts.sqlite3'}")
        try:
            server.start("--demo")
            assert server.process is not None
            print(f"server pid {server.process.pid} on {server.base_url}, SQLite in {data}")
            if not args.token:
                provision_demo_tokens(args, server.base_url, DEMO_SLUG)
            url = f"ws://127.0.0.1:{server.port}/ws/charters/{DEMO_SLUG}"
            runner(bench(args, url, server.process.pid, server.log_path))
        finally:
            if server.process is not None:
                code = server.stop()
                if code not in (0, -signal.SIGTERM):  # uvicorn re-raises SIGTERM after shutdown
                    print(f"server exited with {code}:\n{server.log_text()[-2000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
