"""Reading what a request says: JSON bodies (bounded, strict, refused with a clear message) and
row ids in paths and queries (anything that cannot be one is not found, never a database error)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from charter_drafts.errors import DomainError, Invalid
from charter_drafts.texts import text

MAX_JSON = 64 * 1024
MAX_ID = 2**31 - 1  # the id columns' largest value (INTEGER: PostgreSQL refuses a larger one)

InputModel = TypeVar("InputModel", bound="Input")


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


async def read_json(request: Request, model: type[InputModel]) -> InputModel:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("send a JSON body with Content-Type: application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON:
        raise TooLarge(text("a request body has at most {count} bytes", count=MAX_JSON))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON:
            raise TooLarge(text("a request body has at most {count} bytes", count=MAX_JSON))
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        raise Invalid(problems) from None


def parse_id(raw: str | None) -> int | None:
    """A row id, or None for anything that cannot be one: not ASCII digits, or out of range."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID:
        return int(raw)
    return None


class IdConvertor(Convertor[int]):
    """``{name:id}`` in a route: digits, as a row id; one out of range becomes 0, which names no
    row, so the handler answers 404 as for any unknown id."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return parse_id(value) or 0

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
