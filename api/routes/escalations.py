"""Escalations fired by the ladder, overdue complaints per OPD, letters, and the ladder itself."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from api.auth import AdminPrincipal
from api.deps import SessionDep, SettingsDep
from api.filters import CaseworkAccessDep, local_moment
from api.responses import NOT_FOUND
from core.casework.escalation import ACTIONS, RECIPIENTS
from core.casework.sla import OverdueKind, days_overdue, handling_day, missed_deadline, overdue_clause, overdue_kind
from core.identity.access import Access
from core.reference.calendar import calendar_for
from models import Complaint, EscalationRecord, EscalationStep, Letter, Opd, Role, Status
from models.types import DbId, DbInt, utcnow

router = APIRouter(tags=["escalations"])


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(422,
                         [{"loc": ["query", field], "msg": message, "type": "value_error"}])


def _opd_by_code(session: Session, code: str, field: str = "opd") -> Opd:
    opd = session.exec(select(Opd).where(Opd.code == code)).first()
    if opd is None:
        raise _unprocessable(field, f"kode OPD tidak dikenal: {code!r}")
    return opd


def _own_opd_only(access: Access, opd_id: int | None) -> None:
    """An explicit request for another OPD's data is refused outright, not answered with an empty list."""
    if access.role == Role.opd_admin and access.opd_id != opd_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin OPD hanya dapat melihat data OPD-nya sendiri")


class EscalationItem(BaseModel):
    complaint_id: int
    tracking_code: str
    step_code: str
    level: int
    opd_code: str | None
    target_opd_code: str | None
    fired_at: datetime
    letter_id: int | None


class EscalationList(BaseModel):
    items: list[EscalationItem]


@router.get("/escalations", response_model=EscalationList)
def list_escalations(
    session: SessionDep, settings: SettingsDep, access: CaseworkAccessDep,
    opd: Annotated[list[str] | None, Query(description="OPD code; may repeat")] = None,
    level: Annotated[list[DbInt] | None,
                     Query(description="0 = reminder, 1.. = letters/escalation; may repeat")] = None,
    step: Annotated[list[str] | None, Query(description="ladder step code")] = None,
    period_start: Annotated[str | None, Query(description="ISO date or datetime (local)")] = None,
    period_end: Annotated[str | None, Query(description="ISO date (inclusive) or datetime (local)")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> EscalationList:
    calendar = calendar_for(settings)
    source, target = aliased(Opd), aliased(Opd)
    query = (select(EscalationRecord, Complaint.tracking_code, source.code, target.code)
             .join(Complaint, Complaint.id == EscalationRecord.complaint_id)
             .join(source, source.id == EscalationRecord.opd_id, isouter=True)
             .join(target, target.id == EscalationRecord.target_opd_id, isouter=True)
             .where(*access.scope()))
    opd_ids = [_opd_by_code(session, code).id for code in opd or []]
    for opd_id in opd_ids:
        _own_opd_only(access, opd_id)
    if opd_ids:
        query = query.where(EscalationRecord.opd_id.in_(opd_ids))
    if level:
        query = query.where(EscalationRecord.level.in_(level))
    if step:
        query = query.where(EscalationRecord.step_code.in_(step))
    start = local_moment(period_start, "period_start", calendar.tz)
    end = local_moment(period_end, "period_end", calendar.tz, end=True)
    if start and end and end <= start:
        raise _unprocessable("period_end", "period_end harus setelah period_start")
    if start:
        query = query.where(EscalationRecord.fired_at >= start)
    if end:
        query = query.where(EscalationRecord.fired_at < end)
    rows = session.exec(query.order_by(EscalationRecord.fired_at.desc(), EscalationRecord.id.desc())
                        .limit(limit)).all()
    return EscalationList(items=[
        EscalationItem(complaint_id=record.complaint_id, tracking_code=code, step_code=record.step_code,
                       level=record.level, opd_code=opd_code, target_opd_code=target_code,
                       fired_at=record.fired_at, letter_id=record.letter_id)
        for record, code, opd_code, target_code in rows
    ])


class OverdueItem(BaseModel):
    complaint_id: int
    tracking_code: str
    title: str
    status: Status
    kind: OverdueKind
    received_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    handling_day: int
    days_overdue: int
    escalation_level: int


class OverdueList(BaseModel):
    opd_code: str
    opd_name: str
    generated_at: datetime
    items: list[OverdueItem]


@router.get("/opd/{code}/overdue", response_model=OverdueList, responses=NOT_FOUND)
def opd_overdue(code: str, session: SessionDep, settings: SettingsDep, access: CaseworkAccessDep) -> OverdueList:
    """Open complaints of one OPD past their response or resolution deadline, most overdue first."""
    opd = session.exec(select(Opd).where(Opd.code == code)).first()
    if opd is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"OPD {code!r} tidak ditemukan")
    _own_opd_only(access, opd.id)
    now, calendar = utcnow(), calendar_for(settings)
    complaints = session.exec(select(Complaint).where(
        Complaint.opd_id == opd.id, *access.scope(), overdue_clause(now))).all()
    items = [OverdueItem(
        complaint_id=c.id, tracking_code=c.tracking_code, title=c.title, status=c.status,
        kind=overdue_kind(c, now), received_at=c.received_at,
        response_due_at=c.response_due_at, resolution_due_at=c.resolution_due_at,
        handling_day=handling_day(c, now, calendar),
        days_overdue=days_overdue(missed_deadline(c, now), now, calendar),
        escalation_level=c.escalation_level) for c in complaints]
    items.sort(key=lambda i: (-i.days_overdue, i.received_at))
    return OverdueList(opd_code=opd.code, opd_name=opd.name, generated_at=now, items=items)


class LetterItem(BaseModel):
    id: int
    number: str
    kind: str
    subject: str
    opd_code: str
    addressed_to_opd_code: str | None
    complaint_ids: list[int]
    created_at: datetime
    pdf_url: str


class LetterList(BaseModel):
    items: list[LetterItem]


@router.get("/letters", response_model=LetterList)
def list_letters(
    session: SessionDep, access: CaseworkAccessDep,
    opd: Annotated[str | None, Query(description="OPD code the letter is about")] = None,
    kind: Annotated[str | None, Query(description="teguran_1 | teguran_2 | eskalasi")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> LetterList:
    source, target = aliased(Opd), aliased(Opd)
    query = (select(Letter.id, Letter.number, Letter.kind, Letter.subject, Letter.complaint_ids, Letter.created_at,
                    source.code, target.code)
             .join(source, source.id == Letter.opd_id).join(target, target.id == Letter.addressed_to_opd_id,
                                                            isouter=True)
             .where(*access.opd_scope(Letter.opd_id)))
    if opd is not None:
        opd_row = _opd_by_code(session, opd)
        _own_opd_only(access, opd_row.id)
        query = query.where(Letter.opd_id == opd_row.id)
    if kind:
        query = query.where(Letter.kind == kind)
    rows = session.exec(query.order_by(Letter.created_at.desc(), Letter.id.desc()).limit(limit)).all()
    return LetterList(items=[
        LetterItem(id=i, number=number, kind=k, subject=subject, complaint_ids=ids, created_at=created,
                   opd_code=opd_code, addressed_to_opd_code=target_code, pdf_url=f"/api/v1/letters/{i}.pdf")
        for i, number, k, subject, ids, created, opd_code, target_code in rows
    ])


@router.get("/letters/{letter_id:int}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, **NOT_FOUND})
def letter_pdf(letter_id: DbId, session: SessionDep, access: CaseworkAccessDep) -> Response:
    letter = session.exec(select(Letter).where(Letter.id == letter_id, *access.opd_scope(Letter.opd_id))).first()
    if letter is None or letter.pdf is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"surat {letter_id} tidak ditemukan")
    filename = "surat-" + re.sub(r"[^A-Za-z0-9]+", "-", letter.number).strip("-") + ".pdf"
    return Response(letter.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


class LadderStep(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    position: DbInt = 0
    working_day: int = Field(ge=0, le=60, description="working day of handling on which the step fires")
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    recipients: Literal[RECIPIENTS]  # type: ignore[valid-type]
    template: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$",
                          description="approved WhatsApp template name")
    repeat_daily: bool = False
    enabled: bool = True


def _ladder(session: Session) -> list[LadderStep]:
    steps = session.exec(select(EscalationStep).order_by(EscalationStep.working_day, EscalationStep.position)).all()
    return [LadderStep.model_validate(s, from_attributes=True) for s in steps]


@router.get("/escalation-ladder", response_model=list[LadderStep])
def get_ladder(session: SessionDep, _: AdminPrincipal) -> list[LadderStep]:
    return _ladder(session)


@router.put("/escalation-ladder", response_model=list[LadderStep])
def put_ladder(steps: list[LadderStep], session: SessionDep, _: AdminPrincipal) -> list[LadderStep]:
    """Replace the whole ladder. Steps keep their history by code: renaming a step starts it afresh."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.code in seen:
            errors.append({"loc": ["body", i, "code"], "msg": f"kode langkah ganda: {step.code!r}",
                           "type": "value_error"})
        seen.add(step.code)
        if step.repeat_daily and step.action != "whatsapp_reminder":
            errors.append({"loc": ["body", i, "repeat_daily"], "type": "value_error",
                           "msg": "hanya pengingat WhatsApp yang dapat diulang setiap hari"})
    if errors:
        raise HTTPException(422, errors)
    existing = {s.code: s for s in session.exec(select(EscalationStep)).all()}
    for step in steps:
        row = existing.pop(step.code, None) or EscalationStep(code=step.code, working_day=step.working_day,
                                                              action=step.action, recipients=step.recipients,
                                                              template=step.template)
        for name, value in step.model_dump().items():
            setattr(row, name, value)
        session.add(row)
    for gone in existing.values():
        session.delete(gone)
    session.commit()
    return _ladder(session)
