"""The load generator's shared pieces: y-websocket clients that sync like the stock provider,
a writer that stamps every update it sends, a sampler of the servers' memory and CPU, and one
fan-out round (one writer, N readers, delivery latency of every update).

Used by ``fanout.py`` (this server alone) and ``compare.py`` (this server next to the stock Node
``@y/websocket-server``). Every client speaks only the standard protocol, so any y-websocket
server URL works; rooms are whatever the URL names.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import re
import resource
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import psutil
from pycrdt import Doc, Map, Text, TransactionEvent
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from wire import Wire

from charter_drafts.document.schema import clauses_of, load_document, read_clauses
from server.live.protocol import (
    AuthMessage,
    ProtocolError,
    read_message,
    sync_step1,
    sync_step2,
    update_message,
)

ROOT = Path(__file__).resolve().parent.parent
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


def now() -> float:
    return time.perf_counter()


class Reader:
    """A passive client: syncs, then stamps and keeps every update frame it receives."""

    __slots__ = (
        "closing",
        "connected_at",
        "dropped",
        "ended",
        "frames",
        "opened_at",
        "socket",
        "step2",
        "synced",
        "synced_at",
        "task",
    )

    def __init__(self) -> None:
        self.socket: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.synced = asyncio.Event()
        self.ended = asyncio.Event()
        self.step2: bytes | None = None
        self.frames: list[tuple[float, bytes]] = []
        self.closing = False
        self.dropped: str | None = None  # why the connection ended before the bench closed it
        self.opened_at = 0.0  # when open() began: before the TCP connection and the upgrade
        self.connected_at = 0.0  # when the websocket upgrade was done
        self.synced_at = 0.0  # when sync step 2 arrived

    async def open(self, url: str) -> None:
        self.opened_at = now()
        self.socket = await connect(url, **CONNECT_OPTIONS)
        self.connected_at = now()
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
        try:
            async for frame in socket:
                reply = self._keep(now(), frame)  # type: ignore[arg-type]
                if reply is not None:
                    await socket.send(reply)
        except ConnectionClosed:
            pass
        self._ended(socket.close_code, socket.close_reason)

    def _keep(self, received: float, frame: bytes) -> bytes | None:
        """Stamp and keep an update, note sync step 2; return the reply to send, if any."""
        head = frame[:2]
        if head == SYNC_UPDATE:
            self.frames.append((received, frame))
        elif head == SYNC_STEP2:
            self.step2 = frame
            self.synced_at = received
            self.synced.set()
        elif head == SYNC_STEP1:
            # What the stock client does: answer with what the server lacks (nothing).
            return sync_step2(EMPTY_UPDATE)
        return None

    def _ended(self, code: int | None, reason: str | None) -> None:
        if not self.closing:
            self.dropped = f"closed by the server: {code} {reason}"
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


class WireReader(Reader):
    """A reader whose frames are stamped in the read that brought them (``wire.py``).

    The fan-out round's readers: with the ``websockets`` client each frame waited for a task
    wake-up before its stamp, so the load generator's own pace, not the server's, set the
    spread of a broadcast's arrival times.
    """

    __slots__ = ("wire",)

    def __init__(self) -> None:
        super().__init__()
        self.wire: Wire | None = None

    async def open(self, url: str) -> None:
        self.opened_at = now()
        async with asyncio.timeout(CONNECT_OPTIONS["open_timeout"]):
            self.wire = wire = await Wire.connect(url, self._received)
        self.connected_at = now()
        wire.closed.add_done_callback(lambda _: self._ended(wire.close_code, wire.close_reason))
        wire.send(sync_step1(EMPTY_STATE_VECTOR))

    def _received(self, received: float, frame: bytes) -> None:
        reply = self._keep(received, frame)
        if reply is not None and self.wire is not None:
            self.wire.send(reply)

    async def close(self) -> None:
        self.closing = True
        if self.wire is not None:
            with contextlib.suppress(Exception):
                await self.wire.close(CONNECT_OPTIONS["close_timeout"])


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
                received = now()
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
                    self.synced_at = received
                    self.synced.set()
                elif head == SYNC_STEP1:
                    diff = self.doc.get_update(message.payload)  # type: ignore[union-attr]
                    await socket.send(sync_step2(diff))
                elif isinstance(message, AuthMessage) and message.denied:
                    self.denials.append(message.reason)
        except ConnectionClosed:
            pass
        self._ended(socket.close_code, socket.close_reason)

    def body(self, clause: str) -> Text:
        value = clauses_of(self.doc).get(clause)
        if not isinstance(value, Map) or not isinstance(value.get("body"), Text):
            raise SystemExit(f"clause {clause!r} has no body text in this charter")
        return value["body"]

    async def write(self, clause: str, marker: str, count: int, rate: float) -> None:
        """Send ``count`` updates, one every 1/rate s (no burst to catch up if late)."""
        assert self.socket is not None
        text = self.body(clause)
        started = now()
        for seq in range(count):
            delay = started + seq / rate - now()
            if delay > 0:
                await asyncio.sleep(delay)
            if not await self.send_edit(partial(text.insert, len(text), marker.format(seq=seq))):
                print(f"  the writer's connection ended after {seq} updates: {self.dropped}")
                return

    async def send_edit(self, edit: Callable[[], None]) -> bool:
        """Make one update with ``edit`` and send it, its send time stamped; False if the
        connection has ended (the update is then not counted as sent)."""
        assert self.socket is not None
        self._captured.clear()
        edit()
        message = update_message(self._captured[-1])
        self.send_times.append(now())
        try:
            await self.socket.send(message)
        except ConnectionClosed:
            self.send_times.pop()
            return False
        return True


class Sampler:
    """Samples the servers' RSS (summed over their processes) and CPU time while a round runs."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.processes = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):  # gone already: nothing to sample
                self.processes.append(psutil.Process(pid))
        self.max_rss = 0
        self._task: asyncio.Task[None] | None = None

    def rss(self) -> int:
        if not self.processes:
            return 0
        total = 0
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        self.max_rss = max(self.max_rss, total)
        return total

    def cpu_seconds(self) -> float:
        if not self.processes:
            return math.nan
        total = 0.0
        for process in self.processes:
            try:
                times = process.cpu_times()
            except psutil.Error:  # a server is gone; the round reports what it can
                return math.nan
            total += times.user + times.system
        return total

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
class CpuShare:
    """CPU over a window, each as % of one core."""

    seconds: float
    server: float
    loadgen: float
    store: float  # NaN when no store processes were given
    others: float


class CpuWindow:
    """CPU of the servers, their store, this process and everything else, between start and
    stop (psutil; the machine's total from ``/proc/stat`` in clock ticks, ±2 % of rounding).

    ``store_pids`` may be a function, asked again at the stop: a process of the store that
    started meanwhile (a PostgreSQL backend for a new pooled connection) counts in full."""

    def __init__(
        self,
        pids: Sequence[int],
        store_pids: Sequence[int] | Callable[[], Sequence[int]] = (),
    ) -> None:
        self.servers = Sampler(pids)
        self._store_pids = store_pids if callable(store_pids) else (lambda: store_pids)
        self._start = (0.0, 0.0, 0.0, now())
        self._store_start: dict[int, float] = {}
        self._has_store = False

    def _store_times(self) -> dict[int, float]:
        times = {}
        for process in Sampler(self._store_pids()).processes:
            with contextlib.suppress(psutil.Error):
                cpu = process.cpu_times()
                times[process.pid] = cpu.user + cpu.system
        self._has_store = self._has_store or bool(times)
        return times

    def _read(self) -> tuple[float, float, float, float]:
        return busy_seconds(), time.process_time(), self.servers.cpu_seconds(), now()

    def start(self) -> None:
        self._store_start = self._store_times()
        self._start = self._read()

    def stop(self) -> CpuShare:
        end, store_end = self._read(), self._store_times()
        busy, loadgen, server, seconds = (b - a for a, b in zip(self._start, end, strict=True))
        # A store process that ended meanwhile is left out (its last share is lost).
        store = sum(t - self._store_start.get(p, 0.0) for p, t in store_end.items())
        seconds = max(seconds, 1e-9)
        others = busy - loadgen - (server if self.servers.processes else 0.0) - store
        return CpuShare(
            seconds,
            100 * server / seconds,
            100 * loadgen / seconds,
            100 * store / seconds if self._has_store else math.nan,
            max(0.0, 100 * others / seconds),
        )


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
    # Per update, sorted: the first reader's latency, and from the first reader to the last.
    first_ms: list[float] = field(default_factory=list)
    spread_ms: list[float] = field(default_factory=list)
    tail_updates: int = 0  # how many updates the slowest 1 % of (reader, update) pairs are of
    broadcasts: int = 0  # update frames received, summed over readers
    dropped: int = 0
    diverged: int | None = None
    rss_synced: int = 0
    rss_max: int = 0
    server_cpu: float = math.nan  # % of one core over the measured window
    loadgen_cpu: float = math.nan
    others_cpu: float = math.nan  # every other process on the machine, % of one core
    store_cpu: float = math.nan  # the store's processes (given to run_round), % of one core
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


def pause_collector() -> None:
    """Stop the load generator's cyclic garbage collector for a measured window.

    A full collection scans every object the clients hold (at 300 readers, the 90,000 stamped
    frames of a round): measured 13 to 26 ms once in every 15 s fan-out round, a stall of every
    reader at once that belongs to neither server. What is allocated meanwhile is freed by
    reference counting as usual; ``resume_collector`` turns the collector back on.
    """
    gc.collect()
    gc.freeze()
    gc.disable()


def resume_collector() -> None:
    gc.enable()
    gc.unfreeze()


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


def batches(items: Sequence[Reader], size: int) -> Iterator[Sequence[Reader]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def open_all(
    readers: Sequence[Reader], urls: str | Sequence[str], batch: int, sync_timeout: float
) -> int:
    """Connect and sync readers ``batch`` at a time, reader i to ``urls[i % len(urls)]``;
    return how many failed."""
    failures = 0
    urls = [urls] if isinstance(urls, str) else list(urls)
    where = {id(reader): urls[index % len(urls)] for index, reader in enumerate(readers)}

    async def open_one(reader: Reader) -> bool:
        try:
            await reader.open(where[id(reader)])
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


async def run_round(
    args: argparse.Namespace,
    writer_url: str,
    reader_urls: Sequence[str],
    clients: int,
    pids: Sequence[int],
    store_pids: Sequence[int] | Callable[[], Sequence[int]] = (),
) -> Result:
    """One fan-out round: the writer joins ``writer_url``, the readers the ``reader_urls`` in
    turn (tokens included); ``args`` holds the round's settings (see ``fanout.py``).

    ``pids`` are the servers' processes (RSS and CPU, summed), ``store_pids`` the processes of
    their store (PostgreSQL, Redis), whose CPU is reported apart from the other processes'."""
    result = Result(clients)
    run = f"{args.run_id}.{clients}"
    marker = " [fanout " + run + " #{seq}]"
    pattern = re.compile(rb" \[fanout " + re.escape(run.encode()) + rb" #(\d+)\]")
    readers = [WireReader() for _ in range(clients)]
    writer = Writer()
    sampler = Sampler(pids)
    cpu = CpuWindow(pids, store_pids)

    started = now()
    try:
        await writer.open(writer_url)
        await writer.wait_synced(args.sync_timeout)
    except Exception as error:
        await writer.close()
        hint = ""
        if writer.socket is not None and writer.socket.close_code in (4401, 4403):
            hint = "\n(pass --token: an API token of an editor of this charter)"
        raise SystemExit(f"the writer could not connect and sync: {error}{hint}") from error
    result.sync_failures = await open_all(readers, reader_urls, args.batch, args.sync_timeout)
    result.sync_seconds = now() - started
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
    pause_collector()
    sampler.start()
    cpu.start()
    wall0 = now()
    result.started_at = time.time()
    await writer.write(args.clause, marker, count, args.rate)
    result.send_seconds = now() - wall0
    result.sent = len(writer.send_times)
    last = marker.format(seq=result.sent - 1).encode()
    drain_deadline = now() + args.drain
    waiting = [*live, writer] if result.sent else []
    while waiting and now() < drain_deadline:
        # The updates arrive in order, so a client has them all once it has the last one.
        waiting = [
            r
            for r in waiting
            if r.dropped is None and not any(last in frame for _, frame in r.frames[-3:])
        ]
        if waiting:
            await asyncio.sleep(0.02)
    share = cpu.stop()
    resume_collector()
    result.window_seconds = share.seconds
    result.server_cpu, result.loadgen_cpu = share.server, share.loadgen
    result.store_cpu, result.others_cpu = share.store, share.others
    await sampler.stop()
    result.rss_max = sampler.max_rss

    result.dropped = sum(1 for r in live if r.dropped is not None)
    result.refusals = writer.denials
    await asyncio.gather(*(r.close() for r in [*readers, writer]))

    # Analysis, after the clock stopped.
    send_times = writer.send_times
    by_second: list[list[float]] = [[] for _ in range(math.ceil(count / args.rate))]
    by_update: dict[int, list[float]] = {}
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
                by_update.setdefault(seq, []).append(latency)
        result.delivered += len(seen)
    for received, frame in writer.frames:
        for match in pattern.findall(frame):
            result.echo_ms.append((received - send_times[int(match)]) * 1e3)
    result.frames_sent = result.broadcasts + len(writer.frames)
    result.latencies_ms.sort()
    result.first_ms = sorted(min(values) for values in by_update.values())
    result.spread_ms = sorted(max(values) - min(values) for values in by_update.values())
    result.tail_updates = tail_updates(by_update, result.latencies_ms)
    result.p50_by_second = [percentile(sorted(values), 50) for values in by_second]
    result.max_by_second = [max(values, default=math.nan) for values in by_second]
    result.echo_ms.sort()
    if args.verify:
        expected_text = read_clauses(writer.doc)
        result.diverged = sum(1 for r in live if read_clauses(r.document()) != expected_text)
    return result


def tail_updates(by_update: dict[int, list[float]], latencies: list[float]) -> int:
    """How many updates the slowest 1 % of (reader, update) latencies belong to.

    Few means the p99 is made by a few slow broadcasts (a stall on one side or the other),
    not by every broadcast being slow at its end: then it moves from run to run.
    """
    if not latencies:
        return 0
    threshold = percentile(latencies, 99)
    return sum(1 for values in by_update.values() if max(values) >= threshold)


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
