"""Complaints: filtered list with cursor pagination, detail with history, workflow actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field, field_validator
from sqlmodel import select

from api.audit import note
from api.deps import ReadSessionDep, SessionDep, SettingsDep
from api.filters import FilterDep, RecordAccessDep, access_for, field_error
from api.inputs import Input
from api.responses import NOT_FOUND
from api.routes.media import MediaOut
from api.routes.triage import Suggestions, detail_suggestions
from core.casework.workflow import (
    Action,
    ActionConflictError,
    ActionInputError,
    TransitionError,
    allowed_actions,
    role_may,
)
from core.identity.access import Access
from core.intake.media import media_list
from core.intake.writeback import may_merge_as_child, take_action
from core.reference.calendar import calendar_for
from core.reporting.complaints import MAX_LIMIT, SORT_PATTERN, get_complaint, list_complaints
from core.reporting.filters import FilterError
from core.runtime.settings import get_settings
from core.triage.candidates import attach_scores, rank_candidates
from models import Complaint, ComplaintPublic, Role, Status
from models.types import DbId

router = APIRouter(tags=["complaints"])
LIST_SORT_PATTERN = SORT_PATTERN.replace("|id)", "|id|candidate_score)")


class ComplaintOut(ComplaintPublic):
    opd_code: str | None = None
    opd_name: str | None = None
    category_code: str | None = None
    category_name: str | None = None
    overdue: bool = False
    candidate_score: float | None = Field(
        None, description="Untuk klasifikasi kandidat (komentar/pesan media sosial): kemungkinan benar aduan, 0–1, "
                          "dari model core.triage.candidates; null untuk yang lain")


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    actor: str = Field(description="Siapa, dalam kata: nama petugas, 'Sistem', atau nama kanal (mis. SP4N-LAPOR!)")
    from_status: str | None
    to_status: str | None
    note: str | None
    source_code: str | None = Field(None, description="Kode pengaduan asal peristiwa: pengaduan ini sendiri, atau "
                                                       "duplikat yang digabung ke dalamnya")


class MergedOut(BaseModel):
    id: int
    tracking_code: str
    channel: str
    reporter_name: str | None = Field(description="Disamarkan seperti pada pengaduan itu sendiri")
    received_at: datetime


class ReporterOut(BaseModel):
    name: str | None = Field(description="Nama pelapor; kosong bila anonim (kecuali admin)")
    channel: str
    tracking_code: str


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
    media: list[MediaOut] = Field(default_factory=list, description="Foto/berkas dari pelapor (WhatsApp)")
    parent_id: int | None = Field(None, description="Pengaduan induk bila pengaduan ini digabung sebagai duplikat")
    parent_code: str | None = Field(None, description="Kode pelacakan pengaduan induk")
    reject_reason: str | None = Field(None, description="Kode alasan penolakan (GET /reference/reject-reasons)")
    reject_reason_label: str | None = None
    handed_back_at: datetime | None = Field(None, description="Kapan diserahkan ke SP4N-LAPOR! (unduhan hand-back)")
    merged: list[MergedOut] = Field(default_factory=list, description="Duplikat yang digabung ke pengaduan ini")
    reporters: list[ReporterOut] = Field(
        default_factory=list, description="Pelapor pengaduan ini dan duplikat yang digabung ke dalamnya")
    suggestions: Suggestions | None = Field(
        None, description="Saran kategori dan OPD (POST /triage/suggest) untuk pengaduan yang belum diverifikasi")


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None


class ActionIn(Input):
    action: Action
    opd: str | None = Field(None, max_length=64, description="Kode OPD tujuan (dispatch)")
    category: str | None = Field(None, max_length=64,
                                 description="Kode kategori (categorize; boleh ikut pada dispatch): menghitung ulang "
                                             "tingkat SLA dan tenggat")
    reason: str | None = Field(None, max_length=32, description="Kode alasan penolakan (reject; wajib), lihat "
                                                               "GET /reference/reject-reasons")
    into: DbId | None = Field(None, description="Id pengaduan induk (merge; wajib)")
    note: str | None = Field(None, max_length=10_000, description="Tindak lanjut / alasan / catatan")


@router.get("/complaints", response_model=ComplaintPage)
def complaints(
    session: ReadSessionDep,
    access: RecordAccessDep,
    filt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
    sort: Annotated[str, Query(pattern=LIST_SORT_PATTERN, description="received_at, updated_at, id, or "
                               "candidate_score (with classification=kandidat only); '-' = descending")]
    = "-received_at",
) -> dict[str, Any]:
    try:
        if sort.lstrip("-") == "candidate_score":
            items, next_cursor = rank_candidates(session, filt, access, sort, limit, cursor)
        else:
            items, next_cursor = list_complaints(session, filt, access, sort, limit, cursor)
            attach_scores(session, items)
    except FilterError as exc:
        raise field_error(exc.field, exc.message) from None
    return {"items": items, "next_cursor": next_cursor}


def _detail(session, complaint_id: int, access: Access) -> dict[str, Any]:
    data = get_complaint(session, complaint_id, access)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "pengaduan tidak ditemukan")
    data["allowed_actions"] = [a.value for a in allowed_actions(Status(data["status"]), access.role)
                               if role_may(access.role, a)
                               and (a is not Action.merge or may_merge_as_child(data["channel"]))]
    data["media"] = media_list(session, complaint_id, hidden=access.hides_content(data.get("rahasia")))
    data["suggestions"] = detail_suggestions(session, get_settings(), access, data)
    attach_scores(session, [data])
    return data


@router.get("/complaints/{complaint_id:int}", response_model=ComplaintDetail, responses=NOT_FOUND)
def complaint(complaint_id: DbId, session: ReadSessionDep, access: RecordAccessDep) -> dict[str, Any]:
    return _detail(session, complaint_id, access)


# Who may take workflow actions at all; which actions each may take is the access policy's (ACTIONS_BY_ROLE).
ActorDep = Annotated[Access, Depends(access_for(Role.opd_admin, Role.petugas))]
NOT_FOUND_MSG = "pengaduan tidak ditemukan"


def _take(session, complaint: Complaint, body: ActionIn, access: Access, settings) -> None:
    take_action(session, complaint, body.action, access.actor, calendar_for(settings), settings, opd_code=body.opd,
                note=body.note, category_code=body.category, reason=body.reason, into=body.into,
                may_read=access.may_read)


def _forbidden(access: Access, action: Action) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, f"peran {access.role} tidak boleh melakukan aksi '{action}'")


@router.post("/complaints/{complaint_id:int}/actions", response_model=ComplaintDetail,
             responses={**NOT_FOUND,
                        409: {"description": "Not allowed from the current status (lists the allowed actions), or a "
                                             "merge the complaints' state forbids (names `into`)"},
                        422: {"description": "A field is missing or unknown (named in detail[].loc)"}})
def act(
    complaint_id: DbId,
    body: ActionIn,
    session: SessionDep,
    settings: SettingsDep,
    access: ActorDep,
) -> dict[str, Any]:
    """One workflow action. `categorize` (`category`) recomputes the SLA tier and due dates; `dispatch` may carry a
    `category` too; `reject` needs a `reason` code; `merge` closes this complaint as a duplicate of `into`
    (which must be readable by the caller, not a merged child itself, not rejected or archived; a complaint whose
    status SP4N-LAPOR! owns is never merged as a child: merge the others into it)."""
    complaint = session.exec(select(Complaint).where(Complaint.id == complaint_id).with_for_update()).first()
    if complaint is None or not access.may_read(complaint):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND_MSG)
    if not role_may(access.role, body.action):
        raise _forbidden(access, body.action)
    try:
        _take(session, complaint, body, access, settings)
    except TransitionError as exc:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, detail={
            "msg": str(exc), "status": exc.status.value,
            "allowed_actions": [a.value for a in exc.allowed if role_may(access.role, a)],
        }) from None
    except ActionConflictError as exc:
        session.rollback()
        raise field_error(exc.field, exc.message, status.HTTP_409_CONFLICT, where="body") from None
    except ActionInputError as exc:
        session.rollback()
        raise field_error(exc.field, exc.message, where="body") from None
    session.commit()
    return _detail(session, complaint_id, access.acted_on(complaint_id))


BULK_MAX = 200


class BulkActionIn(ActionIn):
    ids: list[DbId] = Field(min_length=1, max_length=BULK_MAX, description=f"Id pengaduan (paling banyak {BULK_MAX})")

    @field_validator("ids")
    @classmethod
    def _distinct(cls, ids: list[int]) -> list[int]:
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"id ganda: {', '.join(map(str, twice))}")
        return ids


class BulkResult(BaseModel):
    id: int
    status: str


class BulkOut(BaseModel):
    results: list[BulkResult]


@router.post("/complaints/bulk-actions", response_model=BulkOut,
             responses={409: {"description": "Some complaints refuse the action (status, merge); nothing applied: "
                                             '{"detail": {"msg", "errors": [{"id", "msg"}]}}'},
                        422: {"description": "A field or an id is wrong; nothing applied (same shape as 409, or "
                                             "detail[].loc for a malformed body)"}})
def bulk_act(body: BulkActionIn, request: Request, session: SessionDep, settings: SettingsDep,
             access: ActorDep) -> dict[str, Any]:
    """The same action on up to 200 complaints, all or nothing: when any of them refuses it, none is changed
    and every refusal is listed by id (422 when an id is unknown or a field is wrong, else 409)."""
    note(request, detail={"action": body.action.value, "ids": body.ids, "into": body.into})
    if not role_may(access.role, body.action):
        raise _forbidden(access, body.action)
    errors: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    invalid = False
    for complaint_id in sorted(body.ids):  # one lock order, whatever the selection's order
        complaint = session.exec(select(Complaint).where(Complaint.id == complaint_id).with_for_update()).first()
        if complaint is None or not access.may_read(complaint):
            errors.append({"id": complaint_id, "msg": NOT_FOUND_MSG})
            invalid = True
            continue
        try:  # a refusal comes before the action changes anything (workflow.apply_action)
            _take(session, complaint, body, access, settings)
        except (TransitionError, ActionInputError) as exc:
            conflict = isinstance(exc, TransitionError | ActionConflictError)
            invalid = invalid or not conflict
            message = exc.message if isinstance(exc, ActionInputError) else str(exc)
            field = getattr(exc, "field", None)
            errors.append({"id": complaint_id, "msg": f"{field}: {message}" if field else message})
            continue
        results.append({"id": complaint_id, "status": complaint.status})
    if errors:
        session.rollback()
        code = 422 if invalid else status.HTTP_409_CONFLICT
        raise HTTPException(code, detail={
            "msg": f"{len(errors)} dari {len(body.ids)} pengaduan tidak dapat diproses; tidak ada yang diubah",
            "errors": errors})
    session.commit()
    order = {complaint_id: n for n, complaint_id in enumerate(body.ids)}
    return {"results": sorted(results, key=lambda r: order[r["id"]])}
