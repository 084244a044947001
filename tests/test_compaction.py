"""Compaction against a real store: it folds what it read, and only over the snapshot it read.

A compaction reads and folds the log without holding a transaction (appends go on meanwhile),
then writes in one short transaction. Two compactions that folded the same snapshot (two
processes, say) must not both write: the second would overwrite the first's snapshot with one
that lacks what the first folded and deleted.
"""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text, TransactionEvent
from sqlalchemy import text

from charter_drafts.charters import get_charter_blocking
from charter_drafts.document.schema import clauses_of, load_document, read_clauses
from charter_drafts.document.update_log import (
    Folded,
    fold_log_blocking,
    load_state_blocking,
    store_folded_blocking,
    store_updates_blocking,
    vacuum_log_blocking,
)
from tests.conftest import BACKENDS, ServerFactory
from tests.stores import demo_store

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_compaction_that_lost_the_race_writes_nothing_and_nothing_is_lost(
    make_server: ServerFactory, backend: str
) -> None:
    async with demo_store(make_server, backend) as run:
        charter_id = (await run(lambda s: get_charter_blocking(s, "lampedusa"))).id
        doc = load_document((await run(lambda s: load_state_blocking(s, charter_id))).updates)
        made: list[bytes] = []

        def on_change(event: TransactionEvent) -> None:
            made.append(event.update)

        doc.observe(on_change)
        body = clauses_of(doc)["preamble"]["body"]
        assert isinstance(body, Text)

        async def edit(text: str) -> None:
            made.clear()
            body.insert(0, text)
            await run(lambda s: store_updates_blocking(s, [(charter_id, u) for u in made]))

        for word in ("one ", "two ", "three "):
            await edit(word)
        first = await run(lambda s: fold_log_blocking(s, charter_id))
        second = await run(lambda s: fold_log_blocking(s, charter_id))
        assert first is not None
        assert second is not None
        assert first.ids == second.ids
        await edit("late ")  # appended after both folds read the log

        assert await run(lambda s: store_folded_blocking(s, first)) == len(first.ids)
        assert await run(lambda s: store_folded_blocking(s, second)) == 0

        stored = await run(lambda s: load_state_blocking(s, charter_id))
        assert stored.logged == 1, "the late entry was not read, so it is not deleted"
        expected = [(c.key, c.title, c.body) for c in read_clauses(doc)]
        assert [(c.key, c.title, c.body) for c in read_clauses(load_document(stored.updates))] == (
            expected
        )
        assert str(body).startswith("late three two one ")
        # The clause mirror follows the snapshot (the late edit is in the log, not folded yet).
        mirrored = await run(
            lambda s: s.execute(
                text("SELECT body FROM clause WHERE charter_id = :c AND key = 'preamble'"),
                {"c": charter_id},
            ).scalar_one()
        )
        assert mirrored.startswith("three two one ")
        assert not mirrored.startswith("late ")
        # The log is vacuumed after compactions (PostgreSQL; a no-op on SQLite): nothing changes.
        await run(vacuum_log_blocking)
        assert await run(lambda s: load_state_blocking(s, charter_id)) == stored


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_fold_from_memory_is_written_only_over_what_the_document_holds(
    make_server: ServerFactory, backend: str
) -> None:
    """A live room's document as the new snapshot: accepted when it holds exactly the entries
    up to its last id and was built on the stored snapshot; refused (nothing written, nothing
    deleted) when another process appended in that range or compacted meanwhile."""
    async with demo_store(make_server, backend) as run:
        charter_id = (await run(lambda s: get_charter_blocking(s, "lampedusa"))).id
        start = await run(lambda s: load_state_blocking(s, charter_id))
        room = load_document(start.updates)  # the room's durable document, as loaded
        other = load_document(start.updates)  # another process's
        entries = start.logged

        def edit(doc: Doc, words: str) -> bytes:
            vector = doc.get_state()
            body = clauses_of(doc)["preamble"]["body"]
            assert isinstance(body, Text)
            body.insert(0, words)
            return doc.get_update(vector)

        async def append(update: bytes) -> int:
            return await run(lambda s: store_updates_blocking(s, [(charter_id, update)]))

        # Another process appends, then the room: the other's entry is inside the room's range.
        foreign = await append(edit(other, "[other] "))
        last_id = await append(edit(room, "[room] "))
        assert foreign < last_id
        entries += 1
        refused = Folded.from_memory(charter_id, room, start.version, last_id, entries)
        assert await run(lambda s: store_folded_blocking(s, refused)) == 0
        unchanged = await run(lambda s: load_state_blocking(s, charter_id))
        assert unchanged.logged == entries + 1
        assert unchanged.version == start.version

        # A fold from the store takes both; the room's document learns the other's edit.
        folded = await run(lambda s: fold_log_blocking(s, charter_id))
        assert await run(lambda s: store_folded_blocking(s, folded)) == entries + 1
        after_store = await run(lambda s: load_state_blocking(s, charter_id))
        for update in after_store.updates:
            room.apply_update(update)
        # Built on the snapshot before that compaction: refused.
        stale = Folded.from_memory(charter_id, room, start.version, last_id, entries)
        assert await run(lambda s: store_folded_blocking(s, stale)) == 0

        # Built on the current snapshot, with the room's own entries only: accepted.
        mine = [await append(edit(room, f"[room {n}] ")) for n in range(3)]
        late = await append(edit(other, "[late] "))  # after the room's last: not in its range
        fold = Folded.from_memory(charter_id, room, after_store.version, mine[-1], 3)
        assert late > mine[-1]
        assert await run(lambda s: store_folded_blocking(s, fold)) == 3
        stored = await run(lambda s: load_state_blocking(s, charter_id))
        assert stored.logged == 1, "the entry after the room's last stays in the log"
        assert stored.version == after_store.version + 1
        text_now = {c.key: c.body for c in read_clauses(load_document(stored.updates))}
        for words in ("[late] ", "[other] ", "[room] ", "[room 0] ", "[room 1] ", "[room 2] "):
            assert words in text_now["preamble"]
