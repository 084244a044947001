"""The update writer's runner against a real store: what it appends is what the log holds.

On SQLite the writer appends through the DB-API driver on a connection it keeps
(``DriverAppender``), on PostgreSQL through a session; both must write the rows a session
writes, and a batch the store refuses must leave nothing behind and the runner still usable.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from charter_drafts.charters import get_charter_blocking
from charter_drafts.database import create_engine, create_session_factory
from charter_drafts.document.store import store_runner, update_log_runner
from charter_drafts.document.update_log import load_state_blocking, store_updates_blocking
from charter_drafts.models import DocumentUpdate
from tests.conftest import BACKENDS, ServerFactory
from tests.stores import demo_database

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_update_log_runner_writes_what_a_session_writes_and_survives_a_refusal(
    make_server: ServerFactory, backend: str
) -> None:
    url = demo_database(make_server, backend)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    reads = store_runner(url, sessions, threads=1)
    log = update_log_runner(url, sessions)
    try:
        charter_id = (await reads(lambda s: get_charter_blocking(s, "lampedusa"))).id
        before = (await reads(lambda s: load_state_blocking(s, charter_id))).updates

        # A session's append, then the runner's: the same columns, the same kinds of values.
        await reads(lambda s: store_updates_blocking(s, [(charter_id, b"by a session")]))
        await log.store_updates([(charter_id, b"by the runner 1"), (charter_id, b"runner 2")])

        # A batch with a charter that does not exist is refused whole: its first entry is not
        # written either, and the runner goes on afterwards.
        # (SQLAlchemy's error on PostgreSQL; the driver's own on SQLite, straight from it.)
        with pytest.raises((IntegrityError, sqlite3.IntegrityError)) as refused:
            await log.store_updates([(charter_id, b"refused with"), (10**9, b"no such charter")])
        assert "FOREIGN KEY" in str(refused.value).upper()
        await log.store_updates([(charter_id, b"after the refusal")])

        stored = await reads(lambda s: load_state_blocking(s, charter_id))
        assert stored.updates[len(before) :] == [
            b"by a session",
            b"by the runner 1",
            b"runner 2",
            b"after the refusal",
        ]
        rows = await reads(
            lambda s: (
                s.execute(
                    select(DocumentUpdate)
                    .where(DocumentUpdate.charter_id == charter_id)
                    .order_by(DocumentUpdate.id.desc())  # type: ignore[union-attr]
                    .limit(4)
                )
                .scalars()
                .all()
            )
        )
        by_session, *by_runner = reversed(rows)
        for row in by_runner:
            assert row.created_at.utcoffset() is not None  # read back as UTC, like the session's
            assert abs((row.created_at - by_session.created_at).total_seconds()) < 60
        if backend == "sqlite":  # the stored text has the session's form
            stamps = await reads(
                lambda s: (
                    s.execute(
                        text(
                            "SELECT created_at FROM document_update WHERE charter_id = :c "
                            "ORDER BY id DESC LIMIT 4"
                        ),
                        {"c": charter_id},
                    )
                    .scalars()
                    .all()
                )
            )
            session_form = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
            assert all(session_form.fullmatch(stamp) for stamp in stamps), stamps
    finally:
        log.close()
        reads.close()
        await engine.dispose()
