"""Where a read-only route reads: the replica (ADUAN_READ_DATABASE_URL) while it is fresh enough, else the primary.

`ReadSessionDep` / `ReadEngineDep` (api.deps, built on `choose_read_engine`) are for routes that only read:
stats, rapor, export, the complaint list and detail, the public pages, trends. Everything else, log-in and the
audit log included, keeps `SessionDep` (the primary); a read that falls back reuses that same session. The
choice is `core.runtime.replica.ReadRouter.choose()`; here a replica that fails to give a connection is marked
unreachable and the request falls back to the primary instead of failing.

With a replica configured, every such answer carries `X-Aduan-Read-Source: replica | primary`, and each read
sent to the primary instead counts in `aduan_read_replica_fallbacks_total{reason="lag"|"unreachable"}`.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import count_read_fallback
from core.runtime.db import get_engine
from core.runtime.replica import PRIMARY, REPLICA, get_read_router

HEADER = "X-Aduan-Read-Source"


def choose_read_engine(request: Request) -> tuple[Engine, str | None]:
    """(engine, "replica" | "primary") for this read-only request, or (primary engine, None) without a replica."""
    router = get_read_router()
    if router is None:
        return get_engine(), None
    engine, source, reason = router.choose()
    if source == REPLICA:
        try:  # the measurement may be seconds old: the replica may have gone since
            with engine.connect():
                pass
        except SQLAlchemyError as exc:
            router.mark_unreachable(exc.__class__.__name__)
            engine, source, reason = get_engine(), PRIMARY, "unreachable"
    if reason is not None:
        count_read_fallback(reason)
    request.state.read_source = source
    return engine, source


class ReadSourceHeader:
    """Adds `X-Aduan-Read-Source` to the answer of a request whose route read through `_choose`. Pure ASGI, so
    it also reaches the answers a route builds itself (files, streams)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                source = scope.get("state", {}).get("read_source")
                if source:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (HEADER.lower().encode(), source.encode())]
            await send(message)

        await self.app(scope, receive, with_header)
