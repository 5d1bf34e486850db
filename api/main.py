"""FastAPI application factory."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI

from api.access_log import AccessLogMiddleware
from api.audit import AuditMiddleware
from api.metrics import install_metrics
from api.routes import (
    audit,
    auth,
    channel_calls,
    complaints,
    connectors,
    escalations,
    export,
    health,
    keys,
    manual,
    me,
    open311,
    rapor,
    reference,
    stats,
    users,
    webhooks,
)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Aduan Terpadu API",
        version="1.0",
        description="Integrated public-complaint API for pemda: complaints, stats, rapor, Open311.",
    )
    app.include_router(health.router, prefix="/api/v1")
    app.include_router(auth.router, prefix="/api/v1")
    app.include_router(me.router, prefix="/api/v1")
    for module in (users, keys, audit):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(connectors.router, prefix="/api/v1")
    app.include_router(webhooks.router, prefix="/api/v1")
    app.include_router(manual.router, prefix="/api/v1")
    app.include_router(channel_calls.router, prefix="/api/v1")
    app.include_router(escalations.router, prefix="/api/v1")
    for module in (complaints, stats, rapor, reference, export):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(open311.router)
    app.add_middleware(AuditMiddleware)
    install_metrics(app)
    app.add_middleware(AccessLogMiddleware)
    # Outermost, so the access line, the audit entry and any error log carry the same request id.
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app
