"""Mutated real frames through the decoder and the staging path: only refusals come out."""

from __future__ import annotations

import random

from pycrdt import YSyncMessageType

from charter_drafts.document.formats import (
    Malformed,
    check_state_vector,
    check_update,
    decoding,
)
from charter_drafts.document.schema import load_document
from charter_drafts.document.staging import Staging
from charter_drafts.errors import Invalid, OutOfScope
from server.live.protocol import ProtocolError, SyncMessage, read_message
from tests import corpus

MUTATIONS = 20_000


def test_the_corpus_is_well_formed() -> None:
    base, frames = corpus.load()
    assert base
    assert len(frames) >= 15
    for frame in frames:
        read_message(frame)


def test_crafted_frames_are_refused() -> None:
    base, _ = corpus.load()
    durable = load_document([base])
    staging = Staging(lambda: [base])
    for frame in corpus.crafted(base):
        assert handle(durable, staging, frame) == "malformed", frame.hex()
        assert staging.doc.get_update() == durable.get_update()  # left untouched


def test_mutated_frames_are_refused_never_an_error() -> None:
    base, frames = corpus.load()
    durable = load_document([base])
    staging = Staging(lambda: [base])
    rng = random.Random(20261204)
    outcomes: dict[str, int] = {}
    for index in range(MUTATIONS):
        frame = corpus.mutate(rng, rng.choice(frames))
        outcome = handle(durable, staging, frame)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if index % 500 == 0:
            staging.rebuild()  # accepted mutations pile up; start again from the corpus' base
    print(outcomes)
    assert outcomes.get("accepted", 0) > 0
    assert outcomes.get("malformed", 0) > MUTATIONS / 4


def handle(durable: object, staging: Staging, frame: bytes) -> str:
    """What the server's path does with a frame, in-process: every outcome is a refusal or
    an acceptance; anything else raised fails the test."""
    try:
        message = read_message(frame)
    except ProtocolError:
        return "malformed"
    if not isinstance(message, SyncMessage):
        return "accepted"
    try:
        if message.kind == YSyncMessageType.SYNC_STEP1:
            check_state_vector(message.payload)  # as the room does first
            with decoding():
                durable.get_update(message.payload)  # type: ignore[attr-defined]
        else:
            check_update(message.payload)
            staging.try_update(message.payload, lambda _key: None)
    except (Malformed, Invalid):
        return "malformed"
    except OutOfScope:
        return "refused"
    return "accepted"


def test_every_real_frame_passes_the_checks() -> None:
    _, frames = corpus.load()
    for frame in frames[: -len(corpus.crafted(corpus.load()[0]))]:
        message = read_message(frame)
        if isinstance(message, SyncMessage):
            if message.kind == YSyncMessageType.SYNC_STEP1:
                check_state_vector(message.payload)
            else:
                check_update(message.payload)
