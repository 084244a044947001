"""A visitor's public event stream (``GET /api/charters/{slug}/public-events``), read over a
real connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

PUBLIC_EVENTS = "/api/charters/lampedusa/public-events"


class Events:
    """A visitor's open stream: the next event, waited for at most a second."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines

    async def next(self, within: float = 1.0) -> dict[str, Any]:
        name = ""
        while True:
            line = await asyncio.wait_for(anext(self.lines), within)
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                event: dict[str, Any] = json.loads(line[6:])
                assert event["type"] == name
                return event


@asynccontextmanager
async def visitor_stream(base_url: str) -> AsyncIterator[Events]:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as anonymous,
        anonymous.stream("GET", PUBLIC_EVENTS) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.aiter_lines()
        assert await anext(lines) == ": connected"
        yield Events(lines)
