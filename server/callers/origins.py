"""Whether a caller's page is ours: the Origin a browser sends with a write or an upgrade."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import HTTPConnection

from server.callers.headers import header


def origin_allowed(connection: HTTPConnection, allowed: Iterable[str]) -> bool:
    """No Origin (not a browser) or one of ours: the configured ones, else our own."""
    origin = header(connection.scope, b"origin")
    if origin is None:
        return True
    origins = set(allowed)
    if not origins:
        scheme = "https" if connection.url.scheme in ("https", "wss") else "http"
        origins = {f"{scheme}://{connection.headers.get('host', '')}"}
    return origin in origins
