"""The usual websocket upgrade request, read and answered in a few string operations.

A burst of clients (300 reconnecting after a restart) is a burst of upgrade requests, all read
in one turn of the event loop before any of them is answered further; the websockets library's
handshake (a generator-based parser, a ``Headers`` object, the checks, a ``Response`` object and
its serialisation, a date formatted per socket) was about a third of the server's time per
socket. Nearly every request is the same plain upgrade: ``quick_upgrade`` reads that one and
``switching_protocols`` writes its answer; anything else (a missing or malformed header, another
method or version, a duplicate key) returns None and goes through websockets' ``ServerProtocol``
(``websockets_upgrade``), which answers what is wrong (a websocket version other than 13 with
426 and the version spoken, as RFC 6455 asks, where websockets says 400). The key's answer is
websockets' own ``accept_key``. ``tests/test_upgrade.py`` holds the two readings to agreeing,
over 20,000 mutated requests.

The request comes as the client sent it (``server.live.front``), or as uvicorn's HTTP protocol
rebuilt it from what its parser read (lower-case names, ``name: value`` lines) if that protocol
had the connection first; ``tests/test_front.py`` holds the two readings to agreeing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus

from websockets.exceptions import InvalidHeaderValue
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS, Request, Response
from websockets.server import ServerProtocol
from websockets.utils import accept_key

# RFC 9110: a header name is a token; a value is visible characters, spaces and tabs
# (websockets accepts the same): no control character but the tab, and CR only before LF, which
# only ends a line. One search of the whole request for what no line may hold.
_TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")
_TARGET = re.compile(r"/[\x21-\x7e]*")  # RFC 3986: visible ASCII, the rest percent-encoded
_SINGLE = ("sec-websocket-key", "sec-websocket-version", "upgrade")
_BODY = ("content-length", "transfer-encoding")  # an upgrade request has no body


@dataclass(frozen=True, slots=True)
class Upgrade:
    """A valid upgrade request: its target (path and query) and headers (names lower-case)."""

    target: str
    headers: list[tuple[str, str]]
    accept: str  # the Sec-WebSocket-Accept answering its key


def quick_upgrade(head: bytes) -> Upgrade | None:
    """The upgrade request ``head`` (without its blank line) if it is a plain valid one: GET,
    HTTP/1.1, an ASCII target, ``Upgrade: websocket``, ``upgrade`` among the ``Connection``
    options, one key of 16 bytes in base64, version 13 and no body, within websockets' limits
    (header lines of at most 8 KiB, at most 128 headers). Else None."""
    request = head.decode("latin-1")
    if _CONTROL.search(request):
        return None
    lines = request.split("\r\n")
    if len(lines) > MAX_NUM_HEADERS + 1 or max(map(len, lines)) > MAX_LINE_LENGTH:
        return None
    request_line = lines[0].split(" ")
    if len(request_line) != 3:
        return None
    method, target, version = request_line
    if method != "GET" or version != "HTTP/1.1" or not _TARGET.fullmatch(target):
        return None
    headers: list[tuple[str, str]] = []
    single: dict[str, str] = {}
    connection = False
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        value = value.strip(" \t")
        if not colon or not _TOKEN.fullmatch(name):
            return None
        name = name.lower()
        if name in _BODY:
            return None
        headers.append((name, value))
        if name in _SINGLE:
            if name in single:
                return None
            single[name] = value
        elif name == "connection":
            connection = connection or any(
                option.strip().lower() == "upgrade" for option in value.split(",")
            )
    key = single.get("sec-websocket-key", "")
    if (
        not connection
        or single.get("upgrade", "").lower() != "websocket"
        or single.get("sec-websocket-version") != "13"
        or not _valid_key(key)
    ):
        return None
    return Upgrade(target, headers, accept_key(key))


def websockets_upgrade(handshake: ServerProtocol, request: bytes) -> Upgrade | None:
    """websockets' reading of an upgrade ``request`` (ending with its blank line) that
    ``quick_upgrade`` did not take: the upgrade, or None if refused (then ``handshake`` holds the
    answer saying why, to be written)."""
    handshake.receive_data(request)
    events = handshake.events_received()
    if not events:  # not a valid request: the handshake has its answer already
        return None
    read = events[0]
    assert isinstance(read, Request)
    response = handshake.accept(read)
    if response.status_code != 101:
        handshake.send_response(_with_version(response, handshake.handshake_exc))
        return None
    headers = [(name.lower(), value) for name, value in read.headers.raw_items()]
    return Upgrade(read.path, headers, response.headers["Sec-WebSocket-Accept"])


def _with_version(response: Response, refusal: Exception | None) -> Response:
    """RFC 6455, 4.4: a version the server does not speak is answered 426 with the version it
    does (websockets answers 400, without it)."""
    if not isinstance(refusal, InvalidHeaderValue) or refusal.name != "Sec-WebSocket-Version":
        return response
    headers = response.headers.copy()
    headers["Sec-WebSocket-Version"] = "13"
    status = HTTPStatus.UPGRADE_REQUIRED
    return replace(response, status_code=status.value, reason_phrase=status.phrase, headers=headers)


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.encode("latin-1"), validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def switching_protocols(accept: str, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The 101 response accepting the upgrade, with ``headers`` (uvicorn's ``Date`` and
    ``Server``, the application's)."""
    lines = [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept.encode("latin-1") + b"\r\n"
    ]
    lines.extend(name + b": " + value + b"\r\n" for name, value in headers)
    lines.append(b"\r\n")
    return b"".join(lines)
