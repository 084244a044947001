"""Bytes of updates whose parts wait in a room's staging document, by sender.

A rebuild of staging (after any refused update, or to drop waiting parts) drops every waiting
part: the count belongs to one generation of the staging document and starts again at the next.
Parts that integrate later (their dependencies came) stay counted: the bounds err on the side of
closing, and a stock client, which sends in order on one socket, leaves none.
"""

from __future__ import annotations

from charter_drafts.document.staging import Staging
from server.live.connection import Connection


class WaitingParts:
    __slots__ = ("_by_sender", "_generation", "total")

    def __init__(self) -> None:
        self._by_sender: dict[Connection, int] = {}
        self._generation = -1  # of the staging document they wait in
        self.total = 0  # bytes, all senders

    def add(self, connection: Connection, size: int, staging: Staging) -> None:
        self.follow(staging)
        self._by_sender[connection] = self._by_sender.get(connection, 0) + size
        self.total += size

    def of(self, connection: Connection) -> int:
        return self._by_sender.get(connection, 0)

    def follow(self, staging: Staging | None) -> None:
        """Forget what waited in an earlier staging document (or in none)."""
        if staging is None or staging.generation != self._generation:
            self.clear()
            self._generation = staging.generation if staging is not None else -1

    def clear(self) -> None:
        self._by_sender = {}
        self.total = 0
