"""One access log line per API request: method, route template, status, duration, who asked.

Never the body or headers; query parameters only with anything key- or token-like masked.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from api.audit import capturing_status
from core.runtime.logs import MASK, SECRET_NAME

log = logging.getLogger("aduan.access")
QUIET_PATHS = ("/metrics", "/api/v1/health")  # scraped every few seconds: logged at DEBUG only


def safe_query(raw: bytes) -> str | None:
    if not raw:
        return None
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, MASK if SECRET_NAME.search(k) else v) for k, v in pairs])


def route_template(scope: Scope) -> str | None:
    """`/api/v1/complaints/{complaint_id:int}`: FastAPI ≥ 0.116 keeps the prefixed template of an
    included router's route in its own scope entry; `scope["route"]` has it without the prefix."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    return getattr(context, "path_format", None) or getattr(scope.get("route"), "path_format", None)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, capture = capturing_status(send)
        try:
            await self.app(scope, receive, capture)
        finally:
            self._log(scope, status["code"], (time.perf_counter() - started) * 1000)

    @staticmethod
    def _log(scope: Scope, status: int, duration_ms: float) -> None:
        route = route_template(scope)
        principal = scope.get("state", {}).get("principal")
        level = logging.DEBUG if scope["path"].startswith(QUIET_PATHS) and status < 400 else logging.INFO
        log.log(level, "%s %s %s %.1f ms", scope["method"], route or scope["path"], status, duration_ms, extra={
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "query": safe_query(scope.get("query_string", b"")),
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "principal": getattr(principal, "ref", None),
            "client_ip": scope["client"][0] if scope.get("client") else None,
        })
