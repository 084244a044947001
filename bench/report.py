"""The comparison's results: one row per metric, one column per target, printed as tables.

A value is the median of its runs (``--repeat``); the ratio to the reference is that of the
medians, with the run-by-run range; a row with one of the issue's targets says whether ours met it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from loadgen import (
    CpuShare,
)
from targets import LABELS


@dataclass
class Row:
    scenario: str
    metric: str
    better: str  # "lower" or "higher"
    values: dict[str, float] = field(default_factory=dict)  # the median of the samples
    samples: dict[str, list[float]] = field(default_factory=dict)  # one per run (``--repeat``)
    text: dict[str, str] = field(default_factory=dict)  # shown instead of the value
    target: str = ""  # the target for ours, if any
    check: Callable[[dict[str, float]], bool] | None = None
    failed: dict[str, str] = field(default_factory=dict)  # target -> why it fails regardless


@dataclass
class Report:
    rows: dict[str, Row] = field(default_factory=dict)
    cpu: list[tuple[str, str, CpuShare]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, key: str, scenario: str, metric: str, better: str = "lower", **kw: Any) -> Row:
        if key not in self.rows:
            self.rows[key] = Row(scenario, metric, better, **kw)
        return self.rows[key]

    def put(self, key: str, target: str, value: float, text: str | None = None) -> None:
        row = self.rows[key]
        samples = row.samples.setdefault(target, [])
        samples.append(value)
        row.values[target] = statistics.median(samples)
        if text is not None:
            row.text[target] = text


def paired_ratios(row: Row, target: str) -> list[float]:
    """``target`` over the reference, run by run (the runs of ``--repeat`` alternate them)."""
    pairs = zip(row.samples.get(target, []), row.samples.get("node", []), strict=False)
    return [a / b for a, b in pairs if b and not math.isnan(a) and not math.isnan(b)]


def fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "–"
    if b == 0:
        return "–" if a == 0 else "∞"
    return f"{a / b:.2f}"


def ratio_cell(row: Row, target: str) -> str:
    """The ratio of the medians; over several runs also the run-by-run ratios' range."""
    cell = ratio(row.values.get(target), row.values.get("node"))
    runs = paired_ratios(row, target)
    if len(runs) > 1 and cell != "–":
        cell += f" ({min(runs):.2f}–{max(runs):.2f})"
    return cell


def cpu_text(share: CpuShare) -> str:
    store = "" if math.isnan(share.store) else f", store {share.store:.0f}%"
    return (
        f"CPU over {share.seconds:.1f} s: server {share.server:.0f}%, load generator "
        f"{share.loadgen:.0f}%{store}, other processes {share.others:.0f}% (% of one core)"
    )


def warnings_in(lines: list[str]) -> list[str]:
    return [line for line in lines if " WARNING " in line or " ERROR " in line or "Error" in line]


def runs_met(row: Row, target: str) -> str:
    """Over several runs: in how many of them the target was met, run by run."""
    mine, theirs = row.samples.get(target, []), row.samples.get("node", [])
    if row.check is None or len(mine) < 2:
        return ""
    if "Node" in row.target:
        runs = [row.check({"ours": a, "node": b}) for a, b in zip(mine, theirs, strict=False)]
    else:
        runs = [row.check({"ours": a, "node": math.nan}) for a in mine]
    return f" (in {sum(runs)} of {len(runs)} runs)"


def print_tables(report: Report, names: list[str]) -> None:
    others = [n for n in names if n != "node"]
    ratios = [n for n in others if "node" in names]
    header = ["scenario", "metric", *(LABELS[n] for n in names)]
    header += [f"{LABELS[n]} / Node" for n in ratios] + ["target (ours)", "met"]
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|---|---|" + "---:|" * (len(names) + len(ratios)) + "---|---|")
    for row in report.rows.values():
        cells = [row.scenario, row.metric]
        cells += [row.text.get(n, fmt(row.values.get(n, math.nan))) for n in names]
        cells += [ratio_cell(row, n) for n in ratios]
        verdicts = []
        for n in others if row.check is not None else []:
            mine, theirs = row.values.get(n, math.nan), row.values.get("node", math.nan)
            if n in row.failed:
                verdict = f"**no** ({row.failed[n]})"
            elif math.isnan(mine) or ("Node" in row.target and math.isnan(theirs)):
                verdict = "n/a"
            else:
                verdict = "yes" if row.check({"ours": mine, "node": theirs}) else "**no**"
                verdict += runs_met(row, n)
            verdicts.append((f"{LABELS[n]}: " if len(others) > 1 else "") + verdict)
        cells += [row.target, ", ".join(verdicts)]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    print()
    print(
        "CPU over each measured window, % of one core (server | load generator | store | others):"
    )
    print()
    cpu_lines = ["| measurement | " + " | ".join(LABELS[n] for n in names) + " |"]
    cpu_lines.append("|---|" + "---|" * len(names))
    runs: dict[str, dict[str, list[CpuShare]]] = {}
    for measurement, target, share in report.cpu:
        runs.setdefault(measurement, {}).setdefault(target, []).append(share)
    by_measurement = {
        measurement: {target: median_share(shares) for target, shares in targets.items()}
        for measurement, targets in runs.items()
    }
    for measurement, shares in by_measurement.items():
        cells = []
        for n in names:
            share = shares.get(n)
            if share is None:
                cells.append("–")
                continue
            store = "–" if math.isnan(share.store) else f"{share.store:.0f}"
            cells.append(f"{share.server:.0f} / {share.loadgen:.0f} / {store} / {share.others:.0f}")
        cpu_lines.append(f"| {measurement} | " + " | ".join(cells) + " |")
    print("\n".join(cpu_lines))
    for measurement, target, share in report.cpu:
        if share.loadgen >= 90:
            report.notes.append(
                f"{measurement} on {LABELS[target]}: the load generator used {share.loadgen:.0f}% "
                "of a core: that measurement is bounded by the load generator, not the server"
            )
    print()
    for note in dict.fromkeys(report.notes):  # once, however many runs made it
        print(f"note: {note}")


def median_share(shares: list[CpuShare]) -> CpuShare:
    """Each part's median over the runs of a measurement (``--repeat``)."""
    parts = [f.name for f in fields(CpuShare)]
    return CpuShare(
        *(statistics.median(getattr(share, name) for share in shares) for name in parts)
    )
