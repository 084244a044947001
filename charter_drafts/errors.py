"""The domain's exception tree; the server maps ``status`` to HTTP and websocket codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain makes on purpose."""

    status = 400
    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    status = 400
    code = "invalid"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class OutOfScope(Forbidden):
    """A live-document update that writes outside the text a client may edit."""

    code = "out_of_scope"
