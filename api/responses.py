"""Error responses many routes share, described once, so the OpenAPI document lists every status a route
really answers with (tests/api/test_fuzz.py holds the API to its document)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Problem(BaseModel):
    """FastAPI's error body."""

    detail: Any = Field(description="a message, a list of field errors (loc, msg, type), or an upload report")


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


BAD_BODY = {400: problem("the body cannot be read (not UTF-8, broken multipart) or does not fit the request")}
UNAUTHORIZED = {401: problem("credentials missing, invalid, expired or revoked")}
FORBIDDEN = {403: problem("this role may not do this")}
NOT_FOUND = {404: problem("not found, or not visible to this caller")}
CONFLICT = {409: problem("conflicts with existing data")}
TOO_LARGE = {413: problem("request body over the size limit")}
BUSY = {503: problem("the server is busy (all database connections taken): try again after Retry-After seconds")}

URL_ERROR = {"description": "Validation Error",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}

SIGNED_IN = UNAUTHORIZED
ROLE_CHECKED = {**UNAUTHORIZED, **FORBIDDEN}


def document_shared_errors(app: FastAPI) -> None:
    """Add to the generated document what is answered before any route runs: on every operation, 422 for a
    URL with control characters (api.inputs) and 503 when the server is too busy (api.overload); on every
    operation that takes a body, 400 when FastAPI cannot parse it and 413 from the body-size cap."""
    generate = app.openapi
    busy = {"description": BUSY[503]["description"],
            "content": {"application/json": {"schema": Problem.model_json_schema()}}}
    body_errors = {str(code): {"description": response["description"],
                               "content": {"application/json": {"schema": Problem.model_json_schema()}}}
                   for code, response in {**BAD_BODY, **TOO_LARGE}.items()}

    def openapi() -> dict[str, Any]:
        document = generate()
        for operations in document["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault("422", URL_ERROR)
                operation["responses"].setdefault("503", busy)  # api.overload, on any route
                if "requestBody" in operation:
                    for code, response in body_errors.items():
                        operation["responses"].setdefault(code, response)
        return document

    app.openapi = openapi
