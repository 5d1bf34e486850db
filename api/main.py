"""FastAPI application factory."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI

from api.access_log import AccessLogMiddleware
from api.audit import AuditMiddleware
from api.body_limit import BodySizeLimitMiddleware
from api.docs import install_offline_docs
from api.inputs import refuse_unwritable_url
from api.metrics import install_metrics
from api.overload import install_overload_handlers
from api.ratelimit import PublicRateLimit
from api.read_source import ReadSourceHeader
from api.responses import ROLE_CHECKED, SIGNED_IN, document_shared_errors
from api.routes import (
    audit,
    auth,
    briefing,
    channel_calls,
    complaints,
    connectors,
    escalations,
    export,
    health,
    keys,
    manual,
    me,
    media,
    open311,
    public,
    rapor,
    reference,
    similar,
    stats,
    trends,
    triage,
    users,
    webhooks,
)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Aduan Terpadu API",
        version="1.0",
        description="Integrated public-complaint API for pemda: complaints, stats, rapor, Open311.",
        dependencies=[Depends(refuse_unwritable_url)],
        docs_url=None,  # served from local assets below: the CDN defaults are blank without internet
        redoc_url=None,
    )
    install_offline_docs(app)
    app.include_router(health.router, prefix="/api/v1")
    app.include_router(auth.router, prefix="/api/v1")
    # Statuses every route of a router can answer with (401 no valid credentials, 403 role refused).
    app.include_router(me.router, prefix="/api/v1", responses=SIGNED_IN)
    for module in (users, keys, audit, connectors):
        app.include_router(module.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(webhooks.router, prefix="/api/v1")
    app.include_router(manual.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(channel_calls.router, prefix="/api/v1", responses=SIGNED_IN)
    app.include_router(escalations.router, prefix="/api/v1", responses=ROLE_CHECKED)
    for module, responses in ((complaints, ROLE_CHECKED), (stats, SIGNED_IN), (rapor, SIGNED_IN),
                              (reference, SIGNED_IN), (export, ROLE_CHECKED), (trends, SIGNED_IN)):
        app.include_router(module.router, prefix="/api/v1", responses=responses)
    app.include_router(similar.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(media.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(triage.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(briefing.router, prefix="/api/v1", responses=ROLE_CHECKED)
    app.include_router(open311.router)
    # No log-in; limited per client address (the counts live in this app's limiter).
    app.include_router(public.router, prefix="/api/v1", dependencies=[Depends(PublicRateLimit())])
    install_overload_handlers(app)
    document_shared_errors(app)
    # Says which database answered a read-only route (X-Aduan-Read-Source) when a read replica is configured.
    app.add_middleware(ReadSourceHeader)
    # Innermost: a refused body is still logged, measured and audited like any other answer.
    app.add_middleware(BodySizeLimitMiddleware, upload_paths=["/api/v1/complaints/import"])
    app.add_middleware(AuditMiddleware)
    install_metrics(app)
    app.add_middleware(AccessLogMiddleware)
    # Outermost, so the access line, the audit entry and any error log carry the same request id.
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app
