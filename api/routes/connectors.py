"""Connector health for the dashboard's connector page, and an on-demand sync for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from api.auth import AdminPrincipal, require_roles
from api.deps import EngineDep, SessionDep
from api.responses import CONFLICT, NOT_FOUND
from core.identity.principal import Principal
from core.intake.instances import instance_rows
from core.intake.sync import NotPullable, UnknownInstance, sync_instance
from models import Role

router = APIRouter(tags=["connectors"])
AnalystKey = Annotated[Principal, Depends(require_roles(Role.analyst))]


class FailedWriteback(BaseModel):
    complaint_id: int | None
    tracking_code: str | None
    action: str
    error: str | None
    at: datetime


class ConnectorStatus(BaseModel):
    name: str
    kind: str
    channel: str | None
    pullable: bool = Field(description="true when `POST …/sync` can pull it now (not webhook/file)")
    enabled: bool
    schedule_seconds: int | None
    status: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    lag_seconds: int | None
    fetched_total: int
    new_total: int
    updated_total: int
    failed_total: int
    inbox_failed: int
    last_counts: dict | None
    writeback_pending: int = Field(0, description="Aksi yang menunggu dikirim ke hulu (mis. SP4N-LAPOR!)")
    writeback_failed: list[FailedWriteback] = Field(
        default_factory=list, description="Aksi terakhir yang gagal/ditolak hulu, dengan alasannya")


class SyncResult(BaseModel):
    name: str
    status: str
    fetched: int
    new: int
    updated: int
    unchanged: int
    failed: int
    skipped: int
    pages: int
    retries: int
    duration_s: float
    error: str | None


@router.get("/connectors", response_model=list[ConnectorStatus])
def list_connectors(session: SessionDep, _key: AnalystKey) -> list[dict]:
    return instance_rows(session)


@router.post("/connectors/{name}/sync", response_model=SyncResult, responses={**NOT_FOUND, **CONFLICT})
def sync_connector(name: str, engine: EngineDep, _key: AdminPrincipal) -> dict:
    try:
        summary = sync_instance(name, engine=engine)
    except UnknownInstance:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"konektor {name!r} tidak ada") from None
    except NotPullable:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"konektor {name!r} menerima data lewat webhook/berkas, tidak bisa disinkronkan") from None
    if summary.status == "busy":
        raise HTTPException(status.HTTP_409_CONFLICT, summary.error)
    return summary.as_dict()
