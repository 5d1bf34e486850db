"""Health: database reachable, migrations at head, connectors' last success."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import select

from api.deps import EngineDep, SessionDep, SettingsDep
from core import migrate
from core.outbox import sender_health
from models import ConnectorInstance, SyncState

router = APIRouter(tags=["health"])


class ConnectorHealth(BaseModel):
    name: str
    kind: str
    enabled: bool
    status: str
    last_success_at: datetime | None
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
    schema_revision: str | None
    schema_head: str | None
    connectors: list[ConnectorHealth]
    whatsapp_sender: WhatsAppSenderHealth


@router.get("/health", response_model=Health)
def health(session: SessionDep, engine: EngineDep, settings: SettingsDep) -> Health:
    session.exec(text("SELECT 1"))
    current = migrate.current_revision(engine)
    head = migrate.head_revision(settings.database_url)
    rows = session.exec(
        select(ConnectorInstance, SyncState).join(
            SyncState, SyncState.connector_instance_id == ConnectorInstance.id, isouter=True
        )
    ).all()
    connectors = [
        ConnectorHealth(
            name=inst.name, kind=inst.kind, enabled=inst.enabled,
            status=state.status if state else "never",
            last_success_at=state.last_success_at if state else None,
            last_error=state.last_error if state else None,
        )
        for inst, state in rows
    ]
    sender = WhatsAppSenderHealth(**sender_health(session, settings))
    ok = (current == head and not any(c.status == "error" for c in connectors if c.enabled)
          and sender.status != "blocked")
    return Health(status="ok" if ok else "degraded", database=True, schema_revision=current,
                  schema_head=head, connectors=connectors, whatsapp_sender=sender)
