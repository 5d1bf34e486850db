"""A cap on the size of every request body, before any route (or FastAPI's form/JSON parsing) reads it.

A declared `Content-Length` over the route's limit is answered 413 without reading a byte; a body
without one (chunked) is counted as it streams in, and reading stops at the first chunk beyond the
limit. Uploads get their file limit plus room for the multipart envelope; every other route
(JSON, forms, webhooks) the small general limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.intake.tabular import megabytes
from core.runtime.settings import get_settings

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small form fields around the file


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, {"message": f"Isi permintaan lebih dari {megabytes(limit)}.", "errors": []})


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, upload_paths: Iterable[str] = ()):
        self.app = app
        settings = get_settings()
        self.default = settings.body_max_bytes
        self.by_path = dict.fromkeys(upload_paths, settings.upload_max_bytes + MULTIPART_OVERHEAD)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"], self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # inside a route, FastAPI answers it like any HTTPException
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(limit, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    too_large = BodyTooLarge(limit)
    response = JSONResponse({"detail": too_large.detail}, status_code=413, headers={"Connection": "close"})
    await response(scope, receive, send)
