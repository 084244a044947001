"""The domain's exception tree; the server maps ``status`` to HTTP and websocket codes."""

from __future__ import annotations

from typing import Any

from charter_drafts.texts import Text


class DomainError(Exception):
    """Base of every refusal the domain makes on purpose.

    ``text`` is what the reader is told (``charter_drafts.texts``: rendered in their language);
    ``message`` is its English, for logs.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str | Text, **details: Any) -> None:
        self.text = message if isinstance(message, Text) else Text(message)
        self.message = str(self.text)
        # Machine-readable particulars for the JSON answer (``conflicts`` of a refused merge).
        self.details = details
        super().__init__(self.message)


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

    def __init__(self, message: str | Text, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(TooMany):
    """The server has no room for this now (not the caller's fault): come back later."""

    status = 503
    code = "busy"
