"""Health: database reachable, migrations at head, connectors' last success."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, text
from sqlmodel import select

from api.deps import EngineDep, SessionDep, SettingsDep
from core.casework.outbox import sender_health
from core.intake.instances import instances_with_state
from core.runtime import migrate
from models import Complaint
from models.types import utcnow

router = APIRouter(tags=["health"])


class ConnectorHealth(BaseModel):
    name: str
    kind: str
    enabled: bool
    status: str
    last_run_at: datetime | None = None
    last_success_at: datetime | None
    lag_seconds: float | None = None
    last_error: str | None


class WhatsAppSenderHealth(BaseModel):
    status: str  # ok | blocked (expired token: nothing is sent) | unconfigured
    detail: str | None
    since: datetime | None
    pending: int
    failed: int
    sent: int


class Health(BaseModel):
    status: str
    database: bool
    database_backend: str | None = None
    schema_revision: str | None
    schema_head: str | None
    complaints: int | None = None
    latest_received_at: datetime | None = None
    connectors: list[ConnectorHealth]
    whatsapp_sender: WhatsAppSenderHealth


@router.get("/health", response_model=Health)
def health(session: SessionDep, engine: EngineDep, settings: SettingsDep) -> Health:
    session.exec(text("SELECT 1"))
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    rows = instances_with_state(session)
    now = utcnow()
    connectors = [
        ConnectorHealth(
            name=inst.name, kind=inst.kind, enabled=inst.enabled,
            status=state.status if state else "never",
            last_run_at=state.last_run_at if state else None,
            last_success_at=state.last_success_at if state else None,
            lag_seconds=round((now - state.last_success_at).total_seconds(), 1)
            if state and state.last_success_at else None,
            last_error=state.last_error if state else None,
        )
        for inst, state in rows
    ]
    sender = WhatsAppSenderHealth(**sender_health(session, settings))
    ok = (current == head and not any(c.status == "error" for c in connectors if c.enabled)
          and sender.status != "blocked")
    # Both come from indexes (primary key, received_at), so they stay cheap on big tables.
    count, latest = session.exec(select(func.count(Complaint.id), func.max(Complaint.received_at))).one()
    return Health(status="ok" if ok else "degraded", database=True, database_backend=engine.dialect.name,
                  schema_revision=current, schema_head=head, complaints=count, latest_received_at=latest,
                  connectors=connectors, whatsapp_sender=sender)
