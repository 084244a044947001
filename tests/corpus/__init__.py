"""Real frames of a live session (``frames.txt``, recorded by ``record.py``) and a seeded
mutator over them, for fuzzing the decoder and the staging path."""

from __future__ import annotations

import random
from pathlib import Path

from pycrdt import Doc, write_var_uint

from server.live.protocol import sync_step1, sync_step2, update_message

FRAMES = Path(__file__).resolve().parent / "frames.txt"


def load() -> tuple[bytes, list[bytes]]:
    """The document the frames were made against (an update) and the frames: recorded, then
    crafted on it."""
    base = b""
    frames = []
    for line in FRAMES.read_text().splitlines():
        who, _, data = line.partition(" ")
        if who == "base":
            base = bytes.fromhex(data)
        elif data:
            frames.append(bytes.fromhex(data))
    return base, frames + crafted(base)


def crafted(base: bytes) -> list[bytes]:
    """Frames no client makes, each of which once got past the server's checks, built on the
    demo charter's document ``base`` (its first blocks are the same in every demo)."""
    doc = Doc()
    doc.apply_update(base)
    demo_client = _read_var_uint(doc.get_state(), 1)  # one client (the demo's): 1, client, clock

    def string(data: bytes) -> bytes:
        return write_var_uint(len(data)) + data

    # A string block whose parent is the demo's third block, a string: pycrdt raises
    # RuntimeError ("block parent ... must be deleted or shared ref type").
    parent = write_var_uint(demo_client) + write_var_uint(2)
    not_a_type = b"\x01\x01" + write_var_uint(4242) + b"\x00\x04\x00" + parent + string(b"x")
    # Counts no message of this length can hold: pycrdt reserved room for them first (a state
    # vector of 450 million entries cost 1.1 GB, the same count of struct groups 470 MB).
    huge = bytes.fromhex("80e9c9d601")
    # An Any value nested 300,000 deep: pycrdt's decoder overflowed its stack (SIGSEGV).
    nested = b"\x75\x01" * 300_000 + b"\x7e"
    any_content = b"\x08\x01" + string(b"t") + b"\x01" + nested
    deep = b"\x01\x01" + write_var_uint(4242) + b"\x00" + any_content + b"\x00"
    return [
        update_message(not_a_type + b"\x00"),
        sync_step1(huge),
        update_message(huge),
        sync_step2(b"\x01" + huge + write_var_uint(4242) + b"\x00"),  # structs in a group
        update_message(b"\x00\x01" + write_var_uint(4242) + huge),  # ranges in a delete set
        update_message(deep),
    ]


def _read_var_uint(data: bytes, position: int) -> int:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value


def mutate(rng: random.Random, frame: bytes) -> bytes:
    """One to four random edits: a byte changed, removed or added, a run copied or cut, a
    number made large."""
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        position = rng.randrange(len(data)) if data else 0
        operation = rng.random()
        if operation < 0.4 and data:
            data[position] = rng.randrange(256)
        elif operation < 0.55 and len(data) > 2:
            del data[position]
        elif operation < 0.7:
            data.insert(position, rng.randrange(256))
        elif operation < 0.8 and data:
            end = min(len(data), position + rng.randint(1, 16))
            data[position:position] = data[position:end]
        elif operation < 0.9 and len(data) > 4:
            del data[position : position + rng.randint(1, 8)]
        else:  # a varint claiming a large count
            large = bytes([0x80 | rng.randrange(128)] * rng.randint(1, 4)) + b"\x01"
            data[position:position] = large
    return bytes(data)
