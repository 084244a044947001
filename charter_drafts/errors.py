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


class Unauthenticated(DomainError):
    """No valid credentials: sign in, or send a valid token."""

    status = 401
    code = "unauthenticated"


class Gone(DomainError):
    status = 410
    code = "gone"


class TooMany(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
