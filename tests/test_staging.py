"""The staging document lets go of its memory: a rebuilt or closed copy is freed."""

from __future__ import annotations

import gc
import weakref

from charter_drafts.document.staging import Staging
from tests import corpus


def test_a_rebuild_frees_the_previous_document() -> None:
    """pycrdt's observers are held by its Rust side and refer back to the document: a cycle the
    collector cannot see, so every rebuild kept its predecessor."""
    base, _ = corpus.load()
    staging = Staging(lambda: [base])
    previous = weakref.ref(staging.doc)
    staging.rebuild()
    gc.collect()
    assert previous() is None
    current, whole = weakref.ref(staging.doc), weakref.ref(staging)
    staging.close()
    del staging
    gc.collect()
    assert current() is None
    assert whole() is None
