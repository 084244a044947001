"""The scenarios of ``compare.py``: each measures one target, prints what it saw and puts its
numbers in the report (see ``compare.py``'s docstring for what each one does)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import re
import secrets
import statistics
from collections.abc import Callable
from typing import Any

from clients import Pipelined, Typist, close_all, fresh_view
from loadgen import (
    CpuShare,
    CpuWindow,
    Reader,
    Sampler,
    WireReader,
    now,
    open_all,
    pause_collector,
    percentile,
    resume_collector,
    run_round,
)
from report import Report, cpu_text, warnings_in
from targets import LABELS, Target

from charter_drafts.document.schema import read_clauses


async def scenario_fanout(target: Target, args: argparse.Namespace, report: Report) -> None:
    await close_all(await target.ready(["fanout"]))  # the reference keeps the room in memory
    clause = target.clauses("fanout")[0].key
    round_args = argparse.Namespace(
        run_id=secrets.token_hex(3),
        rate=args.fanout_rate,
        seconds=args.fanout_seconds,
        clause=clause,
        batch=50,
        sync_timeout=30.0,
        drain=10.0,
        verify=args.verify,
    )
    readers = [target.url("fanout", p) for p in range(target.processes)]
    for clients in args.fanout_clients:
        offsets = target.log_offsets()
        result = await run_round(
            round_args, target.url("fanout", 0), readers, clients, target.pids(),
            target.store_pids,
        )  # fmt: skip
        lat = result.latencies_ms
        loss = 1 - result.delivered / result.expected if result.expected else math.nan
        print(
            f"  N={clients}: delivered {result.delivered}/{result.expected}, sync failures "
            f"{result.sync_failures}, duplicates {result.duplicates}"
            + ("" if result.diverged is None else f", diverged {result.diverged}")
            + f"; p50 {percentile(lat, 50):.1f} p99 {percentile(lat, 99):.1f} max "
            f"{percentile(lat, 100):.1f} ms; writer echo p50 "
            f"{percentile(result.echo_ms, 50):.1f} ms; updates/broadcast "
            f"{result.delivered / result.broadcasts if result.broadcasts else math.nan:.2f}"
        )
        print(
            f"    per update: first reader p50 {percentile(result.first_ms, 50):.2f} ms, first "
            f"to last reader p50 {percentile(result.spread_ms, 50):.2f} ms; the slowest 1 % of "
            f"deliveries are of {result.tail_updates} of {len(result.first_ms)} updates"
        )
        share = CpuShare(
            result.window_seconds,
            result.server_cpu,
            result.loadgen_cpu,
            result.store_cpu,
            result.others_cpu,
        )
        print(f"    {cpu_text(share)}; server RSS max {result.rss_max / 2**20:.0f} MiB")
        report.cpu.append((f"fan-out N={clients}", target.name, share))
        for line in warnings_in(target.log_since(offsets))[:5]:
            print(f"    server: {line}")
        key = f"fanout{clients}"
        report.row(
            f"{key}p99", "fan-out", f"N={clients}: p99 delivery latency, ms",
            **(
                {"target": "≤ Node", "check": lambda v: v["ours"] <= v["node"]}
                if clients == 300 else {}
            ),
        )  # fmt: skip
        report.row(f"{key}p50", "fan-out", f"N={clients}: p50 delivery latency, ms")
        report.row(f"{key}first", "fan-out", f"N={clients}: first reader's latency p50, ms")
        report.row(f"{key}spread", "fan-out", f"N={clients}: first to last reader p50, ms")
        report.row(f"{key}tail", "fan-out", f"N={clients}: updates the slowest 1 % are of")
        report.row(f"{key}loss", "fan-out", f"N={clients}: lost (undelivered) updates, %")
        report.put(f"{key}p50", target.name, percentile(lat, 50))
        report.put(f"{key}p99", target.name, percentile(lat, 99))
        report.put(f"{key}first", target.name, percentile(result.first_ms, 50))
        report.put(f"{key}spread", target.name, percentile(result.spread_ms, 50))
        report.put(f"{key}tail", target.name, result.tail_updates)
        report.put(f"{key}loss", target.name, 100 * loss)
        if loss > 0:  # a latency over the updates that did arrive proves nothing
            report.rows[f"{key}p99"].failed[target.name] = "updates lost"
        if result.diverged or result.sync_failures or result.duplicates:
            report.notes.append(
                f"fan-out N={clients} on {LABELS[target.name]}: {result.sync_failures} sync "
                f"failures, {result.duplicates} duplicates, {result.diverged} diverged"
            )
        await asyncio.sleep(1.0)


def throughput_room(run: int, readers: int) -> str:
    """A room of its own for each throughput round (``run``: of ``--repeat``).

    Every round starts from the same short clauses on every target. Each writer appends to its
    clause, and Yrs (pycrdt) keeps one client's consecutive typing as one item whose UTF-16
    length it counts by walking it: applying an update costs ours time in proportion to that
    item (measured: 6 µs at 10,000 characters, 61 µs at 200,000; 3 µs at either when two
    clients alternate). One room for every round would have handed ours the text of all the
    rounds before (a round writes some 100,000 characters per clause, and ours keeps them
    across restarts) and the reference, which starts empty, none.
    """
    return f"throughput-{run}-{readers}"


async def scenario_throughput(target: Target, args: argparse.Namespace, report: Report) -> None:
    for count in args.tp_readers:
        room = throughput_room(args.run, count)
        await close_all(await target.ready([room]))
        keys = [c.key for c in target.clauses(room)]
        await throughput_round(target, args, report, room, keys, count)
        await asyncio.sleep(1.0)


async def throughput_round(
    target: Target,
    args: argparse.Namespace,
    report: Report,
    room: str,
    keys: list[str],
    count: int,
) -> None:
    run = secrets.token_hex(3)
    writers = [Pipelined(f" [t{run}w{w}#".encode()) for w in range(args.tp_writers)]
    readers = [WireReader() for _ in range(count)]
    offsets = target.log_offsets()
    for writer in writers:
        await writer.open(target.url(room, 0))
        await writer.wait_synced(30)
    urls = [target.url(room, p) for p in range(target.processes)]
    failures = await open_all(readers, urls, 50, 30)
    await asyncio.sleep(0.5)
    live = [r for r in readers if r.synced.is_set()]

    def editor(w: int) -> Callable[[int], None]:
        text = writers[w].body(keys[w % len(keys)])
        marker = f" [t{run}w{w}#{{}}]"
        return lambda seq: text.insert(len(text), marker.format(seq))

    cpu = CpuWindow(target.pids(), target.store_pids)
    pause_collector()
    cpu.start()
    started = now()
    until = started + args.tp_seconds
    sent = await asyncio.gather(
        *(w.pump(editor(i), until, args.window, 10**9) for i, w in enumerate(writers))
    )
    lasts = [f" [t{run}w{w}#{n - 1}]".encode() for w, n in enumerate(sent) if n]
    # Wait until every reader has every writer's last update (each frame is scanned once).
    scanned = {id(r): 0 for r in live}
    found: dict[int, set[bytes]] = {id(r): set() for r in live}

    def has_all(reader: Reader) -> bool:
        frames = reader.frames
        for _, frame in frames[scanned[id(reader)] :]:
            found[id(reader)].update(last for last in lasts if last in frame)
        scanned[id(reader)] = len(frames)
        return len(found[id(reader)]) == len(lasts)

    deadline = now() + 15
    waiting = list(live)
    while waiting and now() < deadline:
        waiting = [r for r in waiting if r.dropped is None and not has_all(r)]
        if waiting:
            await asyncio.sleep(0.02)
    share = cpu.stop()
    resume_collector()
    denials = sum(len(w.denials) for w in writers)
    await close_all([*readers, *writers])

    pattern = re.compile(rb" \[t" + run.encode() + rb"w(\d+)#(\d+)\]")
    first = min(w.send_times[0] for w in writers if w.send_times)
    rates, latencies, frames, delivered = [], [], 0, 0
    for reader in live:
        seen: set[tuple[int, int]] = set()
        last = first
        for received, frame in reader.frames:
            frames += 1
            for w, seq in pattern.findall(frame):
                marker = (int(w), int(seq))
                if marker not in seen:
                    seen.add(marker)
                    latencies.append((received - writers[marker[0]].send_times[marker[1]]) * 1e3)
            last = received
        delivered += len(seen)
        rates.append(len(seen) / max(last - first, 1e-9))
    latencies.sort()
    total = sum(sent)
    expected = total * count
    rate = statistics.mean(rates) if rates else math.nan
    diverged = None
    if args.verify and live:
        truth = await fresh_view(urls[0])
        diverged = sum(
            1
            for r in live
            if [(c.key, c.title, c.body) for c in read_clauses(r.document())] != truth
        )
    print(
        f"  {args.tp_writers} writers, {count} readers: sent {total} in {args.tp_seconds:g} s; "
        f"delivered {delivered}/{expected} (sync failures {failures}, refused {denials}"
        + ("" if diverged is None else f", diverged {diverged}")
        + f"); {rate:.0f} updates/s per reader; latency p50 {percentile(latencies, 50):.1f} "
        f"p99 {percentile(latencies, 99):.1f} ms; updates/frame "
        f"{delivered / frames if frames else math.nan:.2f}; frames received "
        f"{frames / share.seconds:.0f}/s"
    )
    print(f"    {cpu_text(share)}")
    report.cpu.append((f"throughput R={count}", target.name, share))
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    key = f"tp{count}"
    extra: dict[str, Any] = {}
    if count == 20:
        extra = {"target": "≥ Node", "check": lambda v: v["ours"] >= v["node"]}
    report.row(
        f"{key}rate", "throughput", f"R={count}: updates/s delivered per reader", "higher", **extra
    )
    report.row(f"{key}p99", "throughput", f"R={count}: p99 delivery latency, ms")
    report.row(f"{key}loss", "throughput", f"R={count}: lost (undelivered) updates, %")
    report.put(f"{key}rate", target.name, rate)
    report.put(f"{key}p99", target.name, percentile(latencies, 99))
    report.put(f"{key}loss", target.name, 100 * (1 - delivered / expected) if expected else 0)
    if delivered < expected:
        report.rows[f"{key}rate"].failed[target.name] = "updates lost"
    if diverged:
        report.notes.append(f"throughput R={count} on {LABELS[target.name]}: {diverged} diverged")


async def scenario_idle(target: Target, args: argparse.Namespace, report: Report) -> None:
    """Called once per (connections, rooms) case, on a freshly started target."""
    count, per_room = args.idle_case
    rooms = (
        [f"idle-{i:03d}" for i in range(max(1, count // per_room))] if per_room else ["idle-000"]
    )
    sampler = Sampler(target.pids())
    await asyncio.sleep(1.0)
    fresh = sampler.rss()
    cpu = CpuWindow(target.pids(), target.store_pids)
    cpu.start()
    began = now()
    # The first connection of each room gives the reference its content (ours has it stored).
    anchors = await target.ready(rooms)
    if not anchors:
        anchors = [WireReader() for _ in rooms]
        failures = await open_all(anchors, [target.url(r, i) for i, r in enumerate(rooms)], 50, 30)
    else:
        failures = 0
    clients = [WireReader() for _ in range(count - len(anchors))]
    urls = [target.url(rooms[i % len(rooms)], i) for i in range(len(clients))]
    failures += await open_all(clients, urls, 50, 30)
    connected = now()
    await asyncio.sleep(2.0)
    samples = []
    for _ in range(5):
        samples.append(sampler.rss())
        await asyncio.sleep(0.2)
    share = cpu.stop()
    rss = statistics.median(samples)
    per_connection = (rss - fresh) / count
    print(
        f"  {count} idle connections on {len(rooms)} room(s): sync failures {failures}; server "
        f"RSS {fresh / 2**20:.1f} MiB fresh, {rss / 2**20:.1f} MiB with them: "
        f"{per_connection / 1024:.1f} KiB per connection"
    )
    print(f"    {cpu_text(share)}; connected {connected - began:.1f} s after the start")
    report.cpu.append((f"idle {count} / {len(rooms)} rooms", target.name, share))
    key = f"idle{count}x{len(rooms)}"
    extra: dict[str, Any] = {}
    if len(rooms) == 1:
        extra = {"target": "≤ Node", "check": lambda v: v["ours"] <= v["node"]}
    report.row(
        key, "idle", f"{count} connections, {len(rooms)} room(s): RSS per connection, KiB", **extra
    )
    report.put(key, target.name, per_connection / 1024)
    if len(rooms) == 1:
        rate_key = f"idlerate{count}"
        report.row(
            rate_key,
            "idle",
            f"{count} connections, 1 room: connected and synced per second",
            "higher",
        )
        report.put(rate_key, target.name, count / (connected - began))
    if failures:
        report.notes.append(f"idle {count} on {LABELS[target.name]}: {failures} sync failures")
    await close_all([*anchors, *clients])


async def connect_time(url: str) -> tuple[float, float, int]:
    """Connect → sync step 2 (ms), of which the websocket upgrade (ms), and step 2's size."""
    reader = WireReader()
    try:
        await reader.open(url)
        await reader.wait_synced(30)
        return (
            (reader.synced_at - reader.opened_at) * 1e3,
            (reader.connected_at - reader.opened_at) * 1e3,
            len(reader.step2 or b""),
        )
    finally:
        await reader.close()


LOADED = re.compile(r"room (\S+) loaded from (\d+) stored updates in ([\d.]+) ms")


def room_events(target: Target, offsets: list[int], slug: str) -> tuple[int, int]:
    """How many times the room was loaded and unloaded (all processes) since ``offsets``."""
    lines = target.log_since(offsets)
    loaded = sum(1 for line in lines if f"room {slug} loaded" in line)
    unloaded = sum(1 for line in lines if f"room {slug} unloaded" in line)
    return loaded, unloaded


async def wait_unloaded(target: Target, offsets: list[int], slug: str, within: float) -> bool:
    deadline = now() + within
    while now() < deadline:
        loaded, unloaded = room_events(target, offsets, slug)
        if loaded == unloaded:
            return True
        await asyncio.sleep(0.1)
    return False


async def scenario_cold(target: Target, args: argparse.Namespace, report: Report) -> None:
    for pattern in args.cold_pattern:
        await cold_round(target, args, report, pattern)


PATTERNS = {
    "random": "edits at random places",  # no two neighbours: every character is its own item
    "append": "edits typed at the end",  # Yjs merges them into few items: a small state
}


async def cold_round(
    target: Target, args: argparse.Namespace, report: Report, pattern: str
) -> None:
    room = f"cold-{pattern}"
    await close_all(await target.ready([room]))
    offsets = target.log_offsets()
    key = target.clauses(room)[0].key
    typist = Typist()
    await typist.open(target.url(room, 0))
    await typist.wait_synced(30)
    typist.start_counting()
    text = typist.body(key)
    chance = random.Random(20261125)
    letters = "abcdefghijklmnopqrstuvwxyz "

    def edit(_seq: int) -> None:
        place = len(text) if pattern == "append" else chance.randrange(len(text) + 1)
        text.insert(place, chance.choice(letters))

    cpu = CpuWindow(target.pids(), target.store_pids)
    cpu.start()
    started = now()
    sent = await typist.pump(edit, started + args.cold_build_limit, args.window, args.cold_edits)
    deadline = now() + 60
    while typist.acked < sent and now() < deadline and not typist.dropped:
        typist.space.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(typist.space.wait(), 1.0)
    built = now() - started
    share = cpu.stop()
    print(
        f"  {PATTERNS[pattern]}: {sent} single-character inserts sent, {typist.acked} "
        f"acknowledged in {built:.1f} s ({typist.acked / built:.0f}/s, window {args.window}); "
        f"refused {len(typist.denials)}; {cpu_text(share)}"
    )
    report.cpu.append((f"cold load: making the history ({pattern})", target.name, share))
    if typist.acked < args.cold_edits:
        report.notes.append(
            f"cold load on {LABELS[target.name]}: only {typist.acked} of {args.cold_edits} edits "
            f"stored within --cold-build-limit {args.cold_build_limit:g} s"
        )
    # Loaded: the typist stays (and a holder on each other process keeps the room loaded there).
    holders = [WireReader() for _ in range(target.processes - 1)]
    await open_all(holders, [target.url(room, p + 1) for p in range(len(holders))], 50, 30)
    await asyncio.sleep(0.5)
    loaded = []
    for sample in range(args.cold_samples):
        loaded.append(await connect_time(target.url(room, sample)))
        await asyncio.sleep(0.1)
    await close_all([typist, *holders])
    unloaded: list[tuple[float, float, int]] = []
    if target.stores():
        for sample in range(args.cold_samples_unloaded):
            if not await wait_unloaded(target, offsets, f"bench-{room}", 60):
                report.notes.append(f"cold load on {LABELS[target.name]}: room never unloaded")
                break
            unloaded.append(await connect_time(target.url(room, sample)))
    loads = [m for line in target.log_since(offsets) if (m := LOADED.search(line))]
    for name, samples in (("room loaded", loaded), ("room unloaded", unloaded)):
        if not samples:
            continue
        times = sorted(s[0] for s in samples)
        print(
            f"  {name}: connect → sync step 2 {statistics.median(times):.1f} ms median "
            f"(min {times[0]:.1f}, max {times[-1]:.1f}; of which the upgrade "
            f"{statistics.median(s[1] for s in samples):.1f} ms); step 2 {samples[0][2]} bytes"
        )
    for match in loads[-len(unloaded) :] if unloaded else []:
        print(f"    server: room loaded from {match[2]} stored updates in {match[3]} ms")
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    what = f"{args.cold_edits} {PATTERNS[pattern]}"
    report.row(
        f"cold{pattern}unloaded", "cold load", f"{what}, room unloaded: connect → step 2, ms",
        target="< 10 ms", check=lambda v: v["ours"] < 10,
    )  # fmt: skip
    report.row(f"cold{pattern}loaded", "cold load", f"{what}, room loaded: connect → step 2, ms")
    report.put(f"cold{pattern}loaded", target.name, statistics.median(s[0] for s in loaded))
    if unloaded:
        median = statistics.median(s[0] for s in unloaded)
        report.put(f"cold{pattern}unloaded", target.name, median)
    else:
        report.put(f"cold{pattern}unloaded", target.name, math.nan, "n/a (in memory)")


async def scenario_join(target: Target, args: argparse.Namespace, report: Report) -> None:
    rooms = [f"join-{i:02d}" for i in range(args.join_rooms)]
    offsets = target.log_offsets()
    failures_total, slowest, reasons = 0, 0.0, []
    for round_ in range(args.join_rounds):
        if round_ and target.stores():
            for room in rooms:
                await wait_unloaded(target, offsets, f"bench-{room}", 60)
        clients = [WireReader() for _ in range(args.join_rooms * args.join_clients)]
        urls = [
            target.join_url(rooms[i % len(rooms)], i // len(rooms), i) for i in range(len(clients))
        ]
        pause_collector()  # the load generator's own passes fell inside rounds (up to 18 ms)
        cpu = CpuWindow(target.pids(), target.store_pids)
        cpu.start()
        started = now()

        async def join(client: Reader, url: str) -> str | None:
            try:
                await client.open(url)
                await client.wait_synced(args.join_timeout)
            except Exception as error:  # refused, reset, closed, timed out: all count
                return f"{type(error).__name__}: {error}"
            return None

        errors = await asyncio.gather(*(join(c, u) for c, u in zip(clients, urls, strict=True)))
        share = cpu.stop()
        resume_collector()
        times = sorted((c.synced_at - started) * 1e3 for c in clients if c.synced.is_set())
        failed = [e for e in errors if e]
        wrong = 0
        if target.stores():
            for index, client in enumerate(clients):
                if client.synced.is_set():
                    want = [
                        (c.key, c.title, c.body) for c in target.clauses(rooms[index % len(rooms)])
                    ]
                    got = [(c.key, c.title, c.body) for c in read_clauses(client.document())]
                    wrong += got != want
        print(
            f"  round {round_ + 1}: {len(clients)} clients on {len(rooms)} rooms at once: "
            f"{len(failed)} failed, {wrong} synced a wrong document; all synced within "
            f"{times[-1] if times else math.nan:.0f} ms (p50 {percentile(times, 50):.0f} ms); "
            + cpu_text(share)
        )
        for reason in sorted(set(failed))[:3]:
            print(f"    failure: {reason}")
        reasons += failed
        failures_total += len(failed) + wrong
        slowest = max(slowest, times[-1] if times else math.inf)
        report.cpu.append((f"join race round {round_ + 1}", target.name, share))
        await close_all(clients)
    for line in warnings_in(target.log_since(offsets))[:5]:
        print(f"    server: {line}")
    report.row(
        "joinfail", "join race",
        f"{args.join_clients} clients × {args.join_rooms} rooms at once: failures",
        target="0", check=lambda v: v["ours"] == 0,
    )  # fmt: skip
    report.row("jointime", "join race", "time until the last client synced, ms")
    report.put("joinfail", target.name, failures_total, str(failures_total))
    report.put("jointime", target.name, slowest)


def room_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Every room the scenarios use, with its number of clauses."""
    rooms = {"fanout": 1}
    writers = max(1, args.tp_writers)
    for run in range(args.repeat):
        rooms.update({throughput_room(run, count): writers for count in args.tp_readers})
    rooms.update({f"cold-{pattern}": 1 for pattern in PATTERNS})
    idle_rooms = max([1] + [count // args.idle_per_room for count in args.idle])
    rooms.update({f"idle-{i:03d}": 1 for i in range(idle_rooms)})
    rooms.update({f"join-{i:02d}": 1 for i in range(args.join_rooms)})
    return rooms
