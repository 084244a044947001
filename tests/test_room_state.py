"""What a room starts from, read from a real store: phase, frozen clauses, state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from charter_drafts.document.room_state import (
    load_room_state_blocking,
    load_small_room_state_blocking,
)
from charter_drafts.document.schema import clauses_of, load_document, read_clauses
from charter_drafts.document.update_log import (
    StoredState,
    append_updates_blocking,
    fold_log_blocking,
    load_state_blocking,
    store_folded_blocking,
)
from charter_drafts.errors import NotFound
from tests.conftest import BACKENDS, ServerFactory
from tests.stores import demo_store

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_room_state_has_the_phase_every_frozen_clause_and_the_text(
    make_server: ServerFactory, backend: str
) -> None:
    async with demo_store(make_server, backend) as run:
        before = await run(lambda s: load_room_state_blocking(s, "lampedusa"))
        assert before.frozen == frozenset()
        assert before.phase == "drafting"
        keys = [c.key for c in read_clauses(load_document(before.stored.updates))]
        assert "preamble" in keys

        def freeze_two(session: Session) -> None:
            session.execute(
                text("UPDATE clause SET frozen = :yes WHERE charter_id = :c AND key IN (:a, :b)"),
                {"yes": True, "c": before.charter_id, "a": keys[0], "b": keys[1]},
            )
            session.execute(
                text("UPDATE charter SET phase = 'consultation' WHERE id = :c"),
                {"c": before.charter_id},
            )
            session.commit()

        await run(freeze_two)
        after = await run(lambda s: load_room_state_blocking(s, "lampedusa"))
        assert after.frozen == {keys[0], keys[1]}
        assert after.phase == "consultation"
        assert after.stored == before.stored
        with pytest.raises(NotFound):
            await run(lambda s: load_room_state_blocking(s, "no-such-charter"))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_small_room_state_is_read_only_up_to_the_size_given(
    make_server: ServerFactory, backend: str
) -> None:
    """The size read first is the stored state's (snapshot and log), so the gate for reads on
    the event loop's thread lets a document through up to exactly its size and no further."""
    async with demo_store(make_server, backend) as run:
        whole = await run(lambda s: load_room_state_blocking(s, "lampedusa"))
        size = sum(len(update) for update in whole.stored.updates)
        assert size > 0
        read = await run(lambda s: load_small_room_state_blocking(s, "lampedusa", size))
        assert read == whole
        assert await run(lambda s: load_small_room_state_blocking(s, "lampedusa", size - 1)) is None
        with pytest.raises(NotFound):
            await run(lambda s: load_small_room_state_blocking(s, "no-such-charter", size))


def _room_state(session: Session, charter_id: int) -> StoredState:
    return load_room_state_blocking(session, "lampedusa").stored


@pytest.mark.parametrize("read", [_room_state, load_state_blocking], ids=["room", "state"])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_compaction_between_the_two_reads_of_the_stored_state_loses_no_update(
    make_server: ServerFactory, backend: str, read: Callable[[Session, int], StoredState]
) -> None:
    """A room loading (or a resync) in one process while another compacts the same charter.

    The compaction commits right after the first of the two statements: the state read still
    holds every stored update (an entry read twice, in the log and in the new snapshot, is
    harmless: Yjs updates are idempotent).
    """
    async with demo_store(make_server, backend) as run:
        start = await run(lambda s: load_room_state_blocking(s, "lampedusa"))
        doc = load_document(start.stored.updates)
        vector = doc.get_state()
        body = clauses_of(doc)["preamble"]["body"]
        body += " [stored in the log]"
        update = doc.get_update(vector)

        def append(session: Session) -> None:
            append_updates_blocking(session, [(start.charter_id, update)])
            session.commit()

        await run(append)

        def compact(session: Session) -> int:
            folded = fold_log_blocking(session, start.charter_id)
            assert folded is not None
            return store_folded_blocking(session, folded)

        compacted: list[int] = []

        def read_with_a_compaction_after_the_first_statement(session: Session) -> StoredState:
            def after_first(*_args: Any) -> None:
                if not fired:  # once: the compaction's own statements come through here too
                    fired.append(True)
                    compacted.append(await_only(run(compact)))  # another connection, committed

            fired: list[bool] = []
            event.listen(session.bind, "after_cursor_execute", after_first)
            try:
                return read(session, start.charter_id)
            finally:
                event.remove(session.bind, "after_cursor_execute", after_first)

        raced = await run(read_with_a_compaction_after_the_first_statement)
        assert len(compacted) == 1  # between the two statements, it folded the whole log
        assert compacted[0] == start.stored.logged + 1
        texts = {c.key: c.body for c in read_clauses(load_document(raced.updates))}
        assert texts["preamble"].endswith(" [stored in the log]")
        # Read again, without a race: the same text, now from the compacted snapshot alone.
        after = await run(lambda s: read(s, start.charter_id))
        assert after.logged == 0
        assert read_clauses(load_document(after.updates)) == read_clauses(
            load_document(raced.updates)
        )
