"""Where a client's update is tried before the server accepts it.

The staging document is the accepted state (durable plus in flight to the store). A client's update
is applied to it first; its observers see exactly what the update changed once integrated. Only
insertions and deletions of plain text in an existing clause's ``title`` or ``body`` are allowed.
Anything else (a new root type, a change to ``order`` or to the clause map, an embed or formatting)
makes the whole update out of scope; the staging document is then rebuilt from the accepted state,
so the refused update leaves no trace. What a valid update integrated (the server's own encoding of
the transaction, never the client's bytes) is what is stored and relayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pycrdt import (
    ArrayEvent,
    Doc,
    MapEvent,
    Subscription,
    TextEvent,
    TransactionEvent,
    get_update,
    merge_updates,
)

from charter_drafts.document.formats import Malformed, decoding
from charter_drafts.document.schema import (
    EMPTY_UPDATE,
    TEXT_FIELDS,
    clauses_of,
    load_document,
    order_of,
)
from charter_drafts.errors import Invalid, OutOfScope
from charter_drafts.texts import Text, several, text

READ_ONLY = Text("read-only")  # never shown: a read-only client's bytes are only checked


class Staging:
    """A document copy that vets client updates; ``rebuild`` resets it to a known state."""

    def __init__(self, accepted_state: Callable[[], Iterable[bytes]]) -> None:
        self._accepted_state = accepted_state
        self._violations: list[Text] = []
        self._refuse_clause: Callable[[str], Text | None] | None = None
        self._integrated: list[bytes] = []
        self.generation = 0  # counts rebuilds: what waited in an earlier document is gone
        self.doc = self._build()

    def _build(self) -> Doc[Any]:
        doc = load_document(self._accepted_state())
        # pycrdt keeps a subscription alive only as long as the wrapper object that made it.
        self._roots = (clauses_of(doc), order_of(doc))
        self._subscriptions: tuple[Subscription, ...] = (
            self._roots[0].observe_deep(self._on_clauses),
            self._roots[1].observe(self._on_order),
            doc.observe(self._on_transaction),
        )
        return doc

    def rebuild(self) -> None:
        """Start again from the accepted state: what was pending in this copy is dropped."""
        self.close()
        self.generation += 1
        self.doc = self._build()

    def close(self) -> None:
        """Let go of the document (its observers) so that its memory is freed.

        A subscription is a callback held by pycrdt's Rust side, which refers back to this
        object and the document: a cycle Python's collector cannot see, so a document that is
        dropped with its observers is never freed (every rebuild kept its predecessor).
        """
        clauses, order = self._roots
        clauses.unobserve(self._subscriptions[0])
        order.unobserve(self._subscriptions[1])
        self.doc.unobserve(self._subscriptions[2])
        self._subscriptions = ()

    def try_update(
        self, update: bytes, refuse_clause: Callable[[str], Text | None] | None = None
    ) -> bytes | None:
        """Apply a client's update; return what it integrated, or None if nothing new.

        ``refuse_clause`` gives the reason a clause's text may not be edited (None: it may).
        Raises ``Invalid`` for bytes that do not decode or that pycrdt refuses to apply, and
        ``OutOfScope`` for an update that writes outside the clause texts it may edit; either way
        the staging document is unchanged.
        """
        if update == EMPTY_UPDATE:
            return None
        self._refuse_clause = refuse_clause
        self._violations.clear()
        self._integrated.clear()
        roots_before = len(list(self.doc.keys()))
        try:
            with decoding():
                self.doc.apply_update(update)
        except Malformed as error:
            self.rebuild()
            raise Invalid(text("malformed update: {error}", error=error)) from error
        if len(list(self.doc.keys())) != roots_before:
            self._violations.append(Text("it creates a root type"))
        if self._violations:
            reason = several(self._violations)
            self.rebuild()
            raise OutOfScope(text("update refused: {reason}", reason=reason))
        return self._merged()

    def changes_nothing(self, update: bytes, durable: Doc[Any]) -> bool:
        """Whether an update holds nothing ``durable`` lacks (a read-only client's resync).

        The stock client answers sync step 1 with a step 2 that always carries its whole delete
        set, so a reconnecting read-only client sends bytes that change nothing. Raises
        ``Invalid`` for bytes that do not decode, as ``try_update``.
        """
        new = _new_structs(update, durable.get_state())
        if new is None:
            raise Invalid(Text("malformed update: it does not decode"))
        if new:
            return False  # new content: an edit
        # Only deletions can be new now; no new structs, so nothing can be left pending.
        try:
            integrated = self.try_update(update, lambda _key: READ_ONLY)
        except OutOfScope:
            return False
        if integrated is not None:
            self.rebuild()  # it changed something no observer sees; keep staging = accepted
            return False
        return True

    def holds_pending(self, update: bytes) -> bool:
        """Whether parts of an update applied here wait for dependencies (not integrated)."""
        return _new_structs(update, self.doc.get_state()) is True

    def apply_trusted(self, change: Callable[[Doc[Any]], Any]) -> bytes | None:
        """Run a server-side change (structure included) and return what it integrated."""
        self._integrated.clear()
        self._refuse_clause = None
        try:
            change(self.doc)
        except BaseException:
            self.rebuild()
            raise
        self._violations.clear()
        return self._merged()

    def _merged(self) -> bytes | None:
        integrated = [u for u in self._integrated if u != EMPTY_UPDATE]
        self._integrated.clear()
        if not integrated:
            return None
        return integrated[0] if len(integrated) == 1 else merge_updates(*integrated)

    def _on_transaction(self, event: TransactionEvent) -> None:
        self._integrated.append(event.update)

    def _on_order(self, _event: ArrayEvent) -> None:
        self._violations.append(Text("it changes the clause order"))

    def _on_clauses(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            if isinstance(event, TextEvent) and len(path) == 2 and path[1] in TEXT_FIELDS:
                self._check_text_delta(event.delta)  # type: ignore[attr-defined]  # in __slots__, not annotated
                refusal = self._refuse_clause(str(path[0])) if self._refuse_clause else None
                if refusal:
                    where = text("{reason} ({clause})", reason=refusal, clause=path[0])
                    self._violations.append(where)
            elif isinstance(event, MapEvent) and not path:
                self._violations.append(Text("it adds or removes clauses"))
            elif isinstance(event, MapEvent):
                self._violations.append(Text("it changes a clause's fields"))
            else:
                self._violations.append(Text("it changes something that is not a clause text"))

    def _check_text_delta(self, delta: list[dict[str, Any]]) -> None:
        for op in delta:
            if "attributes" in op:
                self._violations.append(Text("it formats text"))
            if "insert" in op and not isinstance(op["insert"], str):
                self._violations.append(Text("it embeds an object in text"))


def _new_structs(update: bytes, state_vector: bytes) -> bool | None:
    """Whether ``update`` holds content beyond ``state_vector`` (None: it does not decode)."""
    try:
        with decoding():
            beyond = get_update(update, state_vector)
    except Malformed:
        return None
    if not beyond:
        return None
    # A v1 update starts with its number of struct groups: 0 means no new content, whatever
    # deletions it carries.
    return beyond[0] != 0
