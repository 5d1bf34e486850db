"""Text a request may carry: none with control characters (core.runtime.sheets.refuse_unwritable), in its URL or
in a JSON body. PostgreSQL cannot store or even compare a NUL, and workbooks cannot hold the others, so
such text is refused with 422 before any route reads it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError

from core.runtime.sheets import refuse_unwritable


class Input(BaseModel):
    """Base of request bodies: every text field is checked."""

    @field_validator("*")
    @classmethod
    def _writable(cls, value: Any) -> Any:
        return refuse_unwritable(value)


def refuse_unwritable_url(request: Request) -> None:
    """App-wide dependency: path and query values (and query names) are checked the same way."""
    values = [("path", name, value) for name, value in request.path_params.items()]
    values += [("query", name, name + value) for name, value in request.query_params.multi_items()]
    errors = []
    for where, name, value in values:
        try:
            refuse_unwritable(value)
        except PydanticCustomError as exc:
            errors.append({"type": exc.type, "loc": (where, name), "msg": exc.message(), "input": value})
    if errors:
        raise RequestValidationError(errors)
