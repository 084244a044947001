"""Domain errors and HTTP errors rendered in one place: JSON under /api, HTML elsewhere."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from charter_drafts.errors import DomainError, TooMany
from charter_drafts.texts import Text
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page

log = logging.getLogger(__name__)


def _render(
    request: Request,
    status: int,
    code: str,
    message: str | Text,
    headers: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """JSON under /api, an HTML page elsewhere; the message in the request's language."""
    language = language_of(request)
    if isinstance(message, Text):
        message = message.render(language)
    if request.url.path.startswith("/api/"):
        body = {**(details or {}), "error": code, "message": message}
        return JSONResponse(body, status_code=status, headers=headers)
    title = translate(language, "not_found" if status == 404 else "error")
    main = f"<main><h1>{escape(title)}</h1><p>{escape(message)}</p></main>"
    return HTMLResponse(page(request, title, main), status_code=status, headers=headers)


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooMany) else None
    if error.status >= 500 and not isinstance(error, TooMany):  # a busy server is not an error
        log.error("%s %s: %s", request.method, request.url.path, error.message)
    return _render(request, error.status, error.code, error.text, headers, error.details)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return _render(request, error.status_code, code, str(error.detail))


async def server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _render(request, 500, "internal_error", "internal server error")


handlers = {DomainError: domain_error, HTTPException: http_error, Exception: server_error}
