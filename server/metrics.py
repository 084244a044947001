"""Prometheus metrics, in one registry per app (several apps may live in one test process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.rooms = Gauge("charter_drafts_rooms_open", "Rooms loaded in memory", registry=r)
        self.connections = Gauge(
            "charter_drafts_connections", "Open live-document connections", registry=r
        )
        self.updates_in = Counter(
            "charter_drafts_updates_received_total", "Updates accepted from clients", registry=r
        )
        self.updates_out = Counter(
            "charter_drafts_update_messages_sent_total",
            "Update messages queued to connections",
            registry=r,
        )
        self.broadcast_frames = Counter(
            "charter_drafts_broadcast_frames_total",
            "Broadcast frames by path: written straight to the socket, or queued behind a backlog",
            ["path"],
            registry=r,
        )
        # Counted once per broadcast: the children are looked up once, not per broadcast.
        self.frames_direct = self.broadcast_frames.labels("direct")
        self.frames_queued = self.broadcast_frames.labels("queued")
        self.refused = Counter(
            "charter_drafts_messages_refused_total",
            "Client messages refused or closed over, by reason",
            ["reason"],
            registry=r,
        )
        self.persist_seconds = Histogram(
            "charter_drafts_persist_seconds",
            "Time to commit one batch of updates",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.broadcast_seconds = Histogram(
            "charter_drafts_broadcast_seconds",
            "Time from accepting an update to queueing it to every connection",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1),
            registry=r,
        )
