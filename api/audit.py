"""Every write through the API lands in the audit log, by construction: an ASGI middleware records
each POST/PUT/PATCH/DELETE (and each export download) after it is answered, whoever wrote the route.

Routes only add meaning with `note(request, ...)`: a clearer action, the target, safe details, or who
tried to log in. Bodies are never recorded, so no password or complaint text reaches the log.
"""

from __future__ import annotations

from typing import Any

import anyio
from asgi_correlation_id import correlation_id
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.identity import audit
from core.identity.principal import Principal
from core.runtime.db import get_engine

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Bulk downloads of personal data, and the rapor files (a signed-off report leaving the building).
AUDITED_READS = ("/api/v1/export/", "/api/v1/rapor.")
# Meta's signed deliveries arrive by the thousand and are kept whole in the raw inbox already.
NOT_AUDITED = ("/api/v1/webhooks/",)


def note(request: Request, **fields: Any) -> None:
    """Add to this request's audit entry: action, target, detail (dict), actor, actor_name, role, message."""
    request.state.audit = {**getattr(request.state, "audit", {}), **fields}


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 423, 429):
        return "denied"
    return "failed" if status < 500 else "error"


def _target(path_format: str, params: dict[str, Any]) -> str | None:
    """`/api/v1/opd/{code}/admins` with code=DPUPR → `opd:DPUPR` (the resource before the first parameter)."""
    parts = path_format.strip("/").split("/")
    for i, part in enumerate(parts):
        if part.startswith("{") and i > 0:
            name = part.strip("{}").split(":")[0]
            return f"{parts[i - 1]}:{params.get(name)}"
    return None


def capturing_status(send: Send) -> tuple[dict[str, int], Send]:
    """A `send` that remembers the response status (500 until one is sent: the app may raise first)."""
    status = {"code": 500}

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
        await send(message)

    return status, capture


class AuditMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _audited(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        status, capture = capturing_status(send)
        try:
            await self.app(scope, receive, capture)
        finally:
            fields = _fields(scope, status["code"])
            await anyio.to_thread.run_sync(lambda: audit.record(get_engine(), **fields))


def _audited(method: str, path: str) -> bool:
    if path.startswith(NOT_AUDITED):
        return False
    return method in WRITE_METHODS or (method == "GET" and path.startswith(AUDITED_READS))


def _fields(scope: Scope, status: int) -> dict[str, Any]:
    request = Request(scope)
    extra: dict[str, Any] = dict(getattr(request.state, "audit", {}))
    principal: Principal | None = getattr(request.state, "principal", None)
    route = scope.get("route")
    path_format = getattr(route, "path_format", None) or scope["path"]
    headers = request.headers
    return {
        "actor": extra.pop("actor", None) or (principal.ref if principal else "anonymous"),
        "actor_name": extra.pop("actor_name", None) or (principal.name if principal else None),
        "role": extra.pop("role", None) or (str(principal.role) if principal else None),
        "action": extra.pop("action", None) or (getattr(route, "name", None) or "unrouted"),
        "target": extra.pop("target", None) or _target(path_format, scope.get("path_params", {})),
        "outcome": _outcome(status),
        "status_code": status,
        "method": scope["method"],
        "path": scope["path"],
        "ip": scope["client"][0] if scope.get("client") else None,
        "user_agent": headers.get("user-agent"),
        "request_id": correlation_id.get() or headers.get("x-request-id"),
        "detail": extra.pop("detail", None),
        "message": extra.pop("message", None),
    }
