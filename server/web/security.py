"""Security middleware: CSRF and Origin checks on cookie-authenticated writes, and headers.

A write (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry the session's
CSRF token in ``X-CSRF-Token`` (JSON API) or in a ``csrf`` form field (HTML forms, checked by the
form's handler with ``check_form_csrf``), and any Origin it sends must be one of ours. A write with
an API token (``Authorization: Bearer``) is not exposed to CSRF and needs neither.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from charter_drafts.errors import Forbidden
from charter_drafts.texts import Text
from server.callers.auth import SESSION_CSRF, SESSION_USER, bearer_token
from server.callers.language import language_of
from server.callers.origins import origin_allowed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def content_security_policy(style_nonce: str | None = None) -> str:
    """The pages' policy: nothing inline, except, with a nonce, the style elements that the
    live editor (CodeMirror) writes for its own layout (it passes them the same nonce)."""
    styles = f"'self' 'nonce-{style_nonce}'" if style_nonce else "'self'"
    return (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        f"style-src {styles}; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


def style_nonce() -> str:
    """A fresh nonce for one page's style elements."""
    return secrets.token_urlsafe(18)


HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", content_security_policy().encode()),
]


def csrf_token(connection: HTTPConnection) -> str:
    """The session's CSRF token, created on first use."""
    token = connection.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        connection.session[SESSION_CSRF] = token
    return token


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def check_form_csrf(connection: HTTPConnection, submitted: object) -> None:
    given = submitted if isinstance(submitted, str) else None
    if not _same(connection.session.get(SESSION_CSRF), given):
        raise Forbidden("the form expired; reload the page and try again")


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        refusal = self._refusal(connection)
        if refusal is not None:
            message = refusal.render(language_of(connection))
            response = JSONResponse({"error": "forbidden", "message": message}, status_code=403)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {k.lower() for k, _ in Headers(raw=message["headers"]).raw}
                message["headers"].extend(h for h in HEADERS if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, connection: HTTPConnection) -> Text | None:
        if connection.scope["method"] in SAFE_METHODS or bearer_token(connection):
            return None
        if not origin_allowed(connection, self.allowed_origins):
            return Text("cross-origin request refused")
        if SESSION_USER not in connection.session:
            return None  # anonymous: nothing to forge (sign-in itself is checked by its form)
        if connection.url.path.startswith("/api/") and not _same(
            connection.session.get(SESSION_CSRF), connection.headers.get("x-csrf-token")
        ):
            return Text("missing or wrong X-CSRF-Token header (GET /api/session gives it)")
        return None


# On signing out, the browser forgets what the pages kept of the charters on this computer (the
# editor's offline copies in IndexedDB: a shared computer's next user must not find them). A
# standard header, carried out by the browser; cookies (the language) are left alone.
CLEAR_BROWSER_COPIES = {"Clear-Site-Data": '"storage"'}
