"""Settings from the environment, overridable by CLI flags of the same meaning."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from charter_drafts.database import default_database_url


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class Settings:
    """Every setting, with a safe default; each is documented in the README."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str = ""  # empty: a SQLite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest websocket message accepted; a larger one closes the connection (1009).
    max_message_size: int = 1024 * 1024
    # Per-connection send queue; a client that falls further behind is disconnected.
    send_queue_messages: int = 4096
    send_queue_bytes: int = 32 * 1024 * 1024
    # Updates of one connection waiting to be stored at once (back-pressure on fast senders).
    inflight_per_connection: int = 64
    # Fold a charter's update log into its snapshot after this many entries.
    compact_after: int = 500
    # Seconds an empty room stays loaded before it is compacted and unloaded.
    room_idle_seconds: float = 5.0
    # Out-of-scope updates one connection may send before it is disconnected.
    max_refusals: int = 50

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read the environment, then apply the non-None overrides (CLI flags)."""
        defaults = cls()
        settings = cls(
            data_dir=Path(os.environ.get("CHARTER_DATA_DIR") or defaults.data_dir),
            database_url=os.environ.get("DATABASE_URL", ""),
            host=os.environ.get("HOST") or defaults.host,
            port=_env_int("PORT", defaults.port),
            max_message_size=_env_int("MAX_MESSAGE_SIZE", defaults.max_message_size),
            compact_after=_env_int("COMPACT_AFTER", defaults.compact_after),
            room_idle_seconds=_env_float("ROOM_IDLE_SECONDS", defaults.room_idle_seconds),
        )
        known = {f.name for f in fields(cls)}
        return replace(
            settings, **{k: v for k, v in overrides.items() if v is not None and k in known}
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir.resolve())
