"""What a room starts from, read in one go from a real store: phase, frozen clauses, state."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from charter_drafts.document import load_document, read_clauses
from charter_drafts.errors import NotFound
from charter_drafts.room_state import load_room_state_blocking
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
