"""Complaints: filtered list with cursor pagination, detail with history, workflow actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlmodel import select

from api.deps import SessionDep, SettingsDep
from api.filters import FilterDep, RecordAccessDep, access_for, field_error
from api.inputs import Input
from api.responses import NOT_FOUND
from core.casework.workflow import (
    Action,
    ActionInputError,
    TransitionError,
    allowed_actions,
    role_may,
)
from core.identity.access import Access
from core.intake.writeback import take_action
from core.reference.calendar import calendar_for
from core.reporting.complaints import MAX_LIMIT, SORT_PATTERN, get_complaint, list_complaints
from core.reporting.filters import FilterError
from models import Complaint, ComplaintPublic, Role, Status
from models.types import DbId

router = APIRouter(tags=["complaints"])


class ComplaintOut(ComplaintPublic):
    opd_code: str | None = None
    opd_name: str | None = None
    category_code: str | None = None
    category_name: str | None = None
    overdue: bool = False


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    actor: str = Field(description="Siapa, dalam kata: nama petugas, 'Sistem', atau nama kanal (mis. SP4N-LAPOR!)")
    from_status: str | None
    to_status: str | None
    note: str | None


class UpstreamActionOut(BaseModel):
    action: str
    status: str = Field(description="menunggu | terkirim | gagal")
    error: str | None = None
    at: datetime | None = None


class ComplaintDetail(ComplaintOut):
    events: list[EventOut]
    upstream_actions: list[UpstreamActionOut] = Field(
        default_factory=list, description="Aksi yang dikirim ke sistem hulu pemilik status (mis. SP4N-LAPOR!)")
    sync_state: str | None = Field(None,
                                   description="Ringkasan sinkron ke hulu, mis. 'menunggu sinkron ke SP4N-LAPOR!'")
    raw: Any | None = Field(None, description="Payload as received from upstream (admins only)")
    allowed_actions: list[str] = Field(default_factory=list, description="Actions this key may take now")


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None


class ActionIn(Input):
    action: Action
    opd: str | None = Field(None, description="Kode OPD tujuan (dispatch)")
    note: str | None = Field(None, max_length=10_000, description="Tindak lanjut / alasan / catatan")


@router.get("/complaints", response_model=ComplaintPage)
def complaints(
    session: SessionDep,
    access: RecordAccessDep,
    filt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
    sort: Annotated[str, Query(pattern=SORT_PATTERN, description="received_at, updated_at or id; '-' = descending")]
    = "-received_at",
) -> dict[str, Any]:
    try:
        items, next_cursor = list_complaints(session, filt, access, sort, limit, cursor)
    except FilterError as exc:
        raise field_error(exc.field, exc.message) from None
    return {"items": items, "next_cursor": next_cursor}


def _detail(session, complaint_id: int, access: Access) -> dict[str, Any]:
    data = get_complaint(session, complaint_id, access)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "pengaduan tidak ditemukan")
    data["allowed_actions"] = [a.value for a in allowed_actions(Status(data["status"]), access.role)
                               if role_may(access.role, a)]
    return data


@router.get("/complaints/{complaint_id:int}", response_model=ComplaintDetail, responses=NOT_FOUND)
def complaint(complaint_id: DbId, session: SessionDep, access: RecordAccessDep) -> dict[str, Any]:
    return _detail(session, complaint_id, access)


@router.post("/complaints/{complaint_id:int}/actions", response_model=ComplaintDetail,
             responses={**NOT_FOUND,
                        409: {"description": "Not allowed from the current status; lists the allowed actions"}})
def act(
    complaint_id: DbId,
    body: ActionIn,
    session: SessionDep,
    settings: SettingsDep,
    access: Annotated[Access, Depends(access_for(Role.opd_admin))],
) -> dict[str, Any]:
    complaint = session.exec(select(Complaint).where(Complaint.id == complaint_id).with_for_update()).first()
    if complaint is None or not access.may_read(complaint):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "pengaduan tidak ditemukan")
    if not role_may(access.role, body.action):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"peran {access.role} tidak boleh melakukan aksi '{body.action}'")
    calendar = calendar_for(settings)
    try:
        take_action(session, complaint, body.action, access.actor, calendar, settings, opd_code=body.opd,
                    note=body.note)
    except TransitionError as exc:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, detail={
            "msg": str(exc), "status": exc.status.value,
            "allowed_actions": [a.value for a in exc.allowed if role_may(access.role, a)],
        }) from None
    except ActionInputError as exc:
        session.rollback()
        raise field_error(exc.field, exc.message, where="body") from None
    session.commit()
    return _detail(session, complaint_id, access)
