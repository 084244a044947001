"""Fan-out benchmark: one writer, N readers on one charter; delivery latency of every update.

For each N in ``--clients``: N reader connections and one writer connection join the demo
charter and sync (y-websocket sync step 1 / step 2, like the stock ``WebsocketProvider``). The
writer then appends a small text with a sequence marker (`` [fanout RUN.N #SEQ]``) to one clause
body, ``--rate`` times a second for ``--seconds`` seconds, sending each update as it is made.

The latency of an update at a reader is the time from the writer's ``send`` to the moment the
reader's task receives the broadcast holding that update. The server may merge several updates
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
import contextlib
import gc
import math
import os
import platform
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import psutil
from pycrdt import Doc, Map, Text, TransactionEvent
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from charter_drafts.document import clauses_of, load_document, read_clauses
from server.protocol import (
    AuthMessage,
    ProtocolError,
    read_message,
    sync_step1,
    sync_step2,
    update_message,
)

ROOT = Path(__file__).resolve().parent.parent
DEMO_SLUG = "lampedusa"
DEMO_WRITER, DEMO_READER = "editor@example.org", "observer@example.org"
DEMO_PASSWORD = "demo-password"  # the demo members' published password (--demo only)
EMPTY_STATE_VECTOR = b"\x00"
EMPTY_UPDATE = b"\x00\x00"
SYNC_STEP1 = b"\x00\x00"  # message type sync (0), sub-type step 1 (0)
SYNC_STEP2 = b"\x00\x01"
SYNC_UPDATE = b"\x00\x02"
CONNECT_OPTIONS = {
    "max_size": None,
    "compression": None,  # the server does not negotiate permessage-deflate
    "ping_interval": None,  # browsers never send pings; keep the wire like theirs
    "open_timeout": 30,
    "close_timeout": 5,
}


def _now() -> float:
    return time.perf_counter()


class Reader:
    """A passive client: syncs, then stamps and keeps every update frame it receives."""

    __slots__ = ("closing", "dropped", "ended", "frames", "socket", "step2", "synced", "task")

    def __init__(self) -> None:
        self.socket: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.synced = asyncio.Event()
        self.ended = asyncio.Event()
        self.step2: bytes | None = None
        self.frames: list[tuple[float, bytes]] = []
        self.closing = False
        self.dropped: str | None = None  # why the connection ended before the bench closed it

    async def open(self, url: str) -> None:
        self.socket = await connect(url, **CONNECT_OPTIONS)
        self.task = asyncio.create_task(self._read(self.socket))
        await self.socket.send(sync_step1(EMPTY_STATE_VECTOR))

    async def wait_synced(self, seconds: float) -> None:
        """Wait for sync step 2; raise if the connection ends or the time is up first."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self.synced, self.ended)]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if not self.synced.is_set():
            raise RuntimeError(self.dropped or f"not synced within {seconds:g} s")

    async def _read(self, socket: ClientConnection) -> None:
        frames = self.frames
        try:
            async for frame in socket:
                received = _now()
                head = frame[:2]
                if head == SYNC_UPDATE:
                    frames.append((received, frame))  # type: ignore[arg-type]
                elif head == SYNC_STEP2:
                    self.step2 = frame  # type: ignore[assignment]
                    self.synced.set()
                elif head == SYNC_STEP1:
                    # What the stock client does: answer with what the server lacks (nothing).
                    await socket.send(sync_step2(EMPTY_UPDATE))
        except ConnectionClosed:
            pass
        self._ended(socket)

    def _ended(self, socket: ClientConnection) -> None:
        if not self.closing:
            self.dropped = f"closed by the server: {socket.close_code} {socket.close_reason}"
        self.ended.set()

    async def close(self) -> None:
        self.closing = True
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 10)

    def document(self) -> Doc:
        """This reader's view: its sync step 2 plus every update it received (after the run)."""
        doc = load_document([])
        for frame in [self.step2, *(f for _, f in self.frames)]:
            if frame is not None:
                doc.apply_update(read_message(frame).payload)  # type: ignore[union-attr]
        return doc


class Writer(Reader):
    """A client with a real document; appends marked text to one clause body at a steady rate."""

    __slots__ = ("_captured", "_subscription", "denials", "doc", "send_times")

    def __init__(self) -> None:
        super().__init__()
        self.doc = load_document([])
        self._captured: list[bytes] = []
        self._subscription = self.doc.observe(self._on_transaction)
        self.send_times: list[float] = []
        self.denials: list[str] = []

    def _on_transaction(self, event: TransactionEvent) -> None:
        self._captured.append(event.update)

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                received = _now()
                try:
                    message = read_message(frame)  # type: ignore[arg-type]
                except ProtocolError:
                    continue  # nothing the writer needs (the readers skip such frames too)
                head = frame[:2]
                if head == SYNC_UPDATE:
                    self.frames.append((received, frame))  # type: ignore[arg-type]
                    self.doc.apply_update(message.payload)  # type: ignore[union-attr]
                elif head == SYNC_STEP2:
                    self.doc.apply_update(message.payload)  # type: ignore[union-attr]
                    self.synced.set()
                elif head == SYNC_STEP1:
                    diff = self.doc.get_update(message.payload)  # type: ignore[union-attr]
                    await socket.send(sync_step2(diff))
                elif isinstance(message, AuthMessage) and message.denied:
                    self.denials.append(message.reason)
        except ConnectionClosed:
            pass
        self._ended(socket)

    def body(self, clause: str) -> Text:
        value = clauses_of(self.doc).get(clause)
        if not isinstance(value, Map) or not isinstance(value.get("body"), Text):
            raise SystemExit(f"clause {clause!r} has no body text in this charter")
        return value["body"]

    async def write(self, clause: str, marker: str, count: int, rate: float) -> None:
        """Send ``count`` updates, one every 1/rate s (no burst to catch up if late)."""
        assert self.socket is not None
        text = self.body(clause)
        started = _now()
        for seq in range(count):
            delay = started + seq / rate - _now()
            if delay > 0:
                await asyncio.sleep(delay)
            self._captured.clear()
            text.insert(len(text), marker.format(seq=seq))
            message = update_message(self._captured[-1])
            self.send_times.append(_now())
            try:
                await self.socket.send(message)
            except ConnectionClosed:
                self.send_times.pop()
                print(f"  the writer's connection ended after {seq} updates: {self.dropped}")
                return


class Sampler:
    """Samples the server's RSS (and its CPU time) while a round runs."""

    def __init__(self, pid: int | None) -> None:
        self.process = psutil.Process(pid) if pid else None
        self.max_rss = 0
        self._task: asyncio.Task[None] | None = None

    def rss(self) -> int:
        if self.process is None:
            return 0
        with contextlib.suppress(psutil.Error):
            rss = self.process.memory_info().rss
            self.max_rss = max(self.max_rss, rss)
            return rss
        return 0

    def cpu_seconds(self) -> float:
        if self.process is None:
            return math.nan
        try:
            times = self.process.cpu_times()
        except psutil.Error:  # the server is gone; the round reports what it can
            return math.nan
        return times.user + times.system

    async def _run(self) -> None:
        while True:
            self.rss()
            await asyncio.sleep(0.25)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.rss()


@dataclass
class Result:
    clients: int
    sync_failures: int = 0
    sync_seconds: float = 0.0
    sent: int = 0
    send_seconds: float = 0.0
    delivered: int = 0
    duplicates: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    echo_ms: list[float] = field(default_factory=list)
    broadcasts: int = 0  # update frames received, summed over readers
    dropped: int = 0
    diverged: int | None = None
    rss_synced: int = 0
    rss_max: int = 0
    server_cpu: float = math.nan  # % of one core over the measured window
    loadgen_cpu: float = math.nan
    others_cpu: float = math.nan  # every other process on the machine, % of one core
    frames_sent: int = 0  # update frames the server sent (to readers and the writer)
    p50_by_second: list[float] = field(default_factory=list)
    max_by_second: list[float] = field(default_factory=list)
    window_seconds: float = 0.0
    server_notes: list[str] = field(default_factory=list)
    started_at: float = 0.0  # wall-clock time (time.time) of the first send
    refusals: list[str] = field(default_factory=list)  # the writer's updates the server refused

    @property
    def expected(self) -> int:
        return self.sent * self.clients


def busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, all processes) since boot."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def with_token(url: str, token: str | None) -> str:
    if not token:
        return url
    return f"{url}{'&' if '?' in url else '?'}token={urllib.parse.quote(token, safe='')}"


def batches(items: list[Reader], size: int) -> Iterator[list[Reader]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def open_all(readers: list[Reader], url: str, batch: int, sync_timeout: float) -> int:
    """Connect and sync readers ``batch`` at a time; return how many failed."""
    failures = 0

    async def open_one(reader: Reader) -> bool:
        try:
            await reader.open(url)
            await reader.wait_synced(sync_timeout)
        except Exception as error:  # refused, reset, closed, timed out: all count
            reader.dropped = f"sync failed: {error}"
            await reader.close()
            return False
        return True

    for group in batches(readers, batch):
        results = await asyncio.gather(*(open_one(r) for r in group))
        failures += results.count(False)
    reasons = sorted({r.dropped for r in readers if r.dropped})
    for reason in reasons[:3]:
        print(f"  reader {reason}")
    return failures


async def run_round(args: argparse.Namespace, url: str, clients: int, pid: int | None) -> Result:
    result = Result(clients)
    run = f"{args.run_id}.{clients}"
    marker = " [fanout " + run + " #{seq}]"
    pattern = re.compile(rb" \[fanout " + re.escape(run.encode()) + rb" #(\d+)\]")
    readers = [Reader() for _ in range(clients)]
    writer = Writer()
    sampler = Sampler(pid)
    gc.collect()

    started = _now()
    try:
        await writer.open(with_token(url, args.token))
        await writer.wait_synced(args.sync_timeout)
    except Exception as error:
        await writer.close()
        hint = ""
        if writer.socket is not None and writer.socket.close_code in (4401, 4403):
            hint = "\n(pass --token: an API token of an editor of this charter)"
        raise SystemExit(f"the writer could not connect and sync: {error}{hint}") from error
    reader_url = with_token(url, args.reader_token or args.token)
    result.sync_failures = await open_all(readers, reader_url, args.batch, args.sync_timeout)
    result.sync_seconds = _now() - started
    await asyncio.sleep(0.5)  # let the last joins settle before measuring
    result.rss_synced = sampler.rss()
    live = [r for r in readers if r.synced.is_set()]
    print(
        f"N={clients}: {len(live)}/{clients} readers synced in {result.sync_seconds:.1f} s, "
        f"server RSS {result.rss_synced / 2**20:.0f} MiB; writing {args.rate:g}/s "
        f"for {args.seconds:g} s ...",
        flush=True,
    )

    count = round(args.rate * args.seconds)
    sampler.start()
    busy0, cpu0, server0, wall0 = busy_seconds(), time.process_time(), sampler.cpu_seconds(), _now()
    result.started_at = time.time()
    await writer.write(args.clause, marker, count, args.rate)
    result.send_seconds = _now() - wall0
    result.sent = len(writer.send_times)
    last = marker.format(seq=result.sent - 1).encode()
    drain_deadline = _now() + args.drain
    waiting = [*live, writer] if result.sent else []
    while waiting and _now() < drain_deadline:
        # The updates arrive in order, so a client has them all once it has the last one.
        waiting = [
            r
            for r in waiting
            if r.dropped is None and not any(last in frame for _, frame in r.frames[-3:])
        ]
        if waiting:
            await asyncio.sleep(0.02)
    window = result.window_seconds = _now() - wall0
    loadgen, server = time.process_time() - cpu0, sampler.cpu_seconds() - server0
    result.loadgen_cpu = 100 * loadgen / window
    result.server_cpu = 100 * server / window
    others = busy_seconds() - busy0 - loadgen - (server if pid else 0)
    result.others_cpu = max(0.0, 100 * others / window)  # clock ticks: ±2 % of rounding
    await sampler.stop()
    result.rss_max = sampler.max_rss

    result.dropped = sum(1 for r in live if r.dropped is not None)
    result.refusals = writer.denials
    await asyncio.gather(*(r.close() for r in [*readers, writer]))

    # Analysis, after the clock stopped.
    send_times = writer.send_times
    by_second: list[list[float]] = [[] for _ in range(math.ceil(count / args.rate))]
    for reader in live:
        seen: set[int] = set()
        result.broadcasts += len(reader.frames)
        for received, frame in reader.frames:
            for match in pattern.findall(frame):
                seq = int(match)
                if seq in seen:
                    result.duplicates += 1
                    continue
                seen.add(seq)
                latency = (received - send_times[seq]) * 1e3
                result.latencies_ms.append(latency)
                by_second[int(seq / args.rate)].append(latency)
        result.delivered += len(seen)
    for received, frame in writer.frames:
        for match in pattern.findall(frame):
            result.echo_ms.append((received - send_times[int(match)]) * 1e3)
    result.frames_sent = result.broadcasts + len(writer.frames)
    result.latencies_ms.sort()
    result.p50_by_second = [percentile(sorted(values), 50) for values in by_second]
    result.max_by_second = [max(values, default=math.nan) for values in by_second]
    result.echo_ms.sort()
    if args.verify:
        expected_text = read_clauses(writer.doc)
        result.diverged = sum(1 for r in live if read_clauses(r.document()) != expected_text)
    return result


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


def raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            print(f"warning: open-file limit {target} (hard limit) < {needed} needed")


def server_notes(log: Path | None, seen: int, started_at: float) -> tuple[list[str], int]:
    """The server's warnings, errors and log compactions after its first ``seen`` log lines;
    a compaction is given its time relative to the round's first send."""
    if log is None or not log.exists():
        return [], seen
    lines = log.read_text(errors="replace").splitlines()
    notes = []
    for line in lines[seen:]:
        if " WARNING " in line or " ERROR " in line:
            notes.append(line)
        elif "compacted" in line:
            with contextlib.suppress(ValueError):
                logged = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                line = f"at {logged - started_at:+.1f} s: {line[24:]}"
            notes.append(line)
    return notes[:10] + ([f"... {len(notes) - 10} more"] if len(notes) > 10 else []), len(lines)


async def bench(args: argparse.Namespace, url: str, pid: int | None, log: Path | None) -> None:
    results = []
    log_seen = 0
    for clients in args.clients:
        result = await run_round(args, url, clients, pid)
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


def source_commit() -> str | None:
    """The commit of the server code this script starts (``-dirty`` with local changes)."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


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
