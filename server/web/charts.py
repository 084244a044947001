"""Small charts drawn as SVG on the server (no script, nothing to download): horizontal bars
for counts, a step line for a running total. Each says what it shows in text as well."""

from __future__ import annotations

from html import escape

WIDTH = 480
BAR = 22
LABEL = 150


def bars(title: str, counts: dict[str, int]) -> str:
    """One bar per label, longest first; the numbers are written beside the bars."""
    items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not items:
        return f"<figure class='chart'><figcaption>{escape(title)}</figcaption><p>–</p></figure>"
    top = max(n for _, n in items) or 1
    height = BAR * len(items) + 8
    span = WIDTH - LABEL - 40
    rows = "".join(
        f'<text x="{LABEL - 6}" y="{i * BAR + 16}" text-anchor="end">{escape(label[:24])}</text>'
        f'<rect x="{LABEL}" y="{i * BAR + 4}" width="{max(2, round(span * n / top))}" '
        f'height="{BAR - 8}" class="bar"/>'
        f'<text x="{LABEL + max(2, round(span * n / top)) + 6}" y="{i * BAR + 16}">{n}</text>'
        for i, (label, n) in enumerate(items)
    )
    summary = ", ".join(f"{label}: {n}" for label, n in items)
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}">{rows}</svg></figure>'
    )


def cumulative(title: str, points: list[list[object]]) -> str:
    """The running total by day, as a step line with its first and last values labelled."""
    if not points:
        return f"<figure class='chart'><figcaption>{escape(title)}</figcaption><p>–</p></figure>"
    height, left, bottom = 160, 40, 130
    top = max(int(str(n)) for _, n in points) or 1
    step = (WIDTH - left - 20) / max(1, len(points) - 1)
    xy = [
        (left + i * step, bottom - (bottom - 20) * int(str(n)) / top)
        for i, (_, n) in enumerate(points)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy))
    first, last = points[0], points[-1]
    summary = f"{first[0]}: {first[1]}; {last[0]}: {last[1]}"
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}">'
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" class="axis"/>'
        f'<path d="{path}" class="line"/>'
        + "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="point"/>' for x, y in xy)
        + f'<text x="{left}" y="{bottom + 18}">{escape(str(first[0]))}</text>'
        f'<text x="{WIDTH - 10}" y="{bottom + 18}" text-anchor="end">{escape(str(last[0]))}</text>'
        f'<text x="{xy[-1][0]:.1f}" y="{xy[-1][1] - 6:.1f}" text-anchor="end">{last[1]}</text>'
        "</svg></figure>"
    )
