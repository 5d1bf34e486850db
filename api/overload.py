"""A server that is too busy answers 503 with Retry-After, never a 500.

A request holds its database session from its first dependency to its last byte, across the hops between
worker threads; with more requests in flight than connections, every one of them waits for the pool and
they all time out together. So requests queue here, in the event loop, before they take anything:
at most half the pool's connections' worth run at once (a request may need a second connection for its
audit entry). One waiting longer than the pool timeout is refused with 503.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from core.runtime.settings import get_settings

RETRY_AFTER_SECONDS = 5
BUSY = "Server sedang sibuk (semua koneksi basis data terpakai); coba lagi sebentar."


def _busy() -> JSONResponse:
    return JSONResponse({"detail": BUSY}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _pool_exhausted(_request: Request, _exc: PoolTimeout) -> JSONResponse:
    return _busy()


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        settings = get_settings()
        self.slots = asyncio.Semaphore(max(1, (settings.db_pool_size + settings.db_max_overflow) // 2))
        self.wait = settings.db_pool_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.wait_for(self.slots.acquire(), self.wait)
        except TimeoutError:
            await _busy()(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()


def install_overload_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_middleware(ConcurrencyLimitMiddleware)
