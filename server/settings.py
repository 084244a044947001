"""Settings from the environment, overridable by CLI flags of the same meaning."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from charter_drafts.database import default_database_url

ENV_NAMES = {"data_dir": "CHARTER_DATA_DIR"}


def _parse(setting: str, name: str, raw: str) -> Any:
    kind = type(getattr(Settings(), setting))
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    try:
        return kind(raw)
    except ValueError as error:
        raise SystemExit(f"{name}={raw!r} is not a valid {kind.__name__}") from error


@dataclass(frozen=True)
class Settings:
    """Every setting, with a safe default; each is documented in the README."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str = ""  # empty: a SQLite file in data_dir
    # PostgreSQL connections each process opens and keeps (10 more may open for a burst).
    database_pool_size: int = 25
    # Of those, how many it opens at start rather than when first needed.
    database_pool_warm: int = 4
    # Redis for fan-out between several server processes; empty: one process.
    redis_url: str = ""
    # With Redis: how often open rooms catch up with the store, for what a process that died
    # stored but never published.
    resync_seconds: float = 30.0
    # With Redis: another process's client whose presence is not renewed for this long is shown
    # as gone (clients renew every 15 s; a process that died never says they left).
    presence_timeout_seconds: float = 30.0
    # How often each process looks for deactivated accounts among those with a live document or
    # an event stream open, and closes them (what the command line without Redis, or a lost
    # fan-out message, did not reach at once). 0: never.
    account_check_seconds: float = 30.0
    # Log lines: "text" or "json" (one JSON object per line).
    log_format: str = "text"
    host: str = "127.0.0.1"
    port: int = 8000
    # Websockets are pinged this often; one that sent nothing since the previous ping is closed.
    ping_interval_seconds: float = 20.0
    # Largest websocket message accepted; a larger one closes the connection (1009).
    max_message_size: int = 1024 * 1024
    # Per-connection send queue; a client that falls further behind is disconnected.
    send_queue_messages: int = 4096
    send_queue_bytes: int = 32 * 1024 * 1024
    # Updates of one connection waiting to be stored at once (back-pressure on fast senders).
    inflight_per_connection: int = 64
    # Fold a charter's update log into its snapshot after this many entries.
    compact_after: int = 500
    # On shutdown (SIGTERM), seconds to wait for the store to take every accepted update.
    shutdown_grace_seconds: float = 30.0
    # Seconds an empty room stays loaded before it is compacted and unloaded.
    room_idle_seconds: float = 5.0
    # Seconds without edits after which a room drops its staging copy of the document.
    staging_idle_seconds: float = 30.0
    # Out-of-scope updates one connection may send before it is disconnected.
    max_refusals: int = 50
    # Bytes of updates one connection may leave waiting for parts that never arrive (1008 after).
    max_pending_bytes: int = 4 * 1024 * 1024
    # The same for all the connections of one room together (the one that passes it is closed).
    max_pending_bytes_per_room: int = 16 * 1024 * 1024
    # Secret for signing session cookies; empty: generated once into data_dir/secret_key.
    secret_key: str = ""
    # Origins (scheme://host:port, comma-separated) allowed for browsers; empty: our own only.
    allowed_origins: str = ""
    # Session cookies only over HTTPS (set behind a TLS-terminating proxy).
    secure_cookies: bool = False
    # Sign-in failures allowed per account and per address within 15 minutes.
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_address: int = 20
    # Public endorsement requests accepted per client address within an hour.
    endorsement_requests_per_address: int = 5
    # Longest comment body, in characters.
    max_comment_chars: int = 10_000
    # Public event streams (visitors' version pages, kept current) open at once per process;
    # beyond it a visitor is told to come back later (503) and the page stays as loaded.
    public_streams_max: int = 500
    # Seconds without an edit to a clause after which its text is recorded as a revision.
    revision_settle_seconds: float = 5.0

    @cached_property  # read at every websocket upgrade
    def allowed_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    def resolved_secret_key(self) -> str:
        """The configured key, or the one generated into the data folder on first run."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of several processes starting at once, one writes the key; all read it.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as key_file:
                key_file.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Each setting from its upper-case environment variable (``DATABASE_URL``…), then the
        non-None overrides (CLI flags). ``data_dir`` is read from ``CHARTER_DATA_DIR``."""
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name = ENV_NAMES.get(setting.name, setting.name.upper())
            raw = os.environ.get(name)
            if raw:
                values[setting.name] = _parse(setting.name, name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir.resolve())
