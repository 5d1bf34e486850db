"""Manual entry by a petugas pelayanan (one complaint or a batch upload), the upload template, and
the LAPOR! hand-back export. Parsing and validation live in core.intake.manual_entry / core.intake.manual_workbooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import INTAKE_ROLES, require_roles
from api.deps import SessionDep, SettingsDep
from api.filters import RecordAccessDep
from core.identity.access import Access
from core.identity.principal import Principal
from core.intake import manual_entry, manual_workbooks
from core.intake.manual_entry import ManualComplaintIn
from core.reporting import handback
from core.reporting.complaints import get_complaint
from core.reporting.filters import Moment
from models import Complaint, Opd, Role, Status
from models.types import DbId

router = APIRouter(tags=["manual entry"])

# Petugas pelayanan (role petugas, or analysts), or an OPD's own desk with its opd_admin log-in or key.
Petugas = Annotated[Principal, Depends(require_roles(*INTAKE_ROLES))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def complaint_out(session: Session, complaint: Complaint, key: Principal) -> dict[str, Any]:
    """The complaint as GET /complaints/{id} shows it to this key (same masking, same fields)."""
    return get_complaint(session, complaint.id, Access.of(key))


@router.post("/complaints", status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "same Idempotency-Key and content: the existing complaint"},
                        409: {"description": "Idempotency-Key reused with different content"},
                        422: {"description": "a field is invalid (named in detail[].loc)"}})
def create_complaint(entry: ManualComplaintIn, session: SessionDep, settings: SettingsDep, key: Petugas,
                     response: Response,
                     idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
                     ) -> dict[str, Any]:
    """Record one complaint typed in by a petugas (walk-in, phone, letter). A repeated submit with the
    same `Idempotency-Key` (or, without one, the same `reference` register number, as in the upload)
    returns the complaint created the first time instead of a duplicate; different content → 409."""
    if key.role == Role.opd_admin and entry.opd is None and key.opd_id is not None:
        entry.opd = session.get(Opd, key.opd_id).code  # an OPD's own desk files complaints to itself
    # Keys keep their historic id-based scope, so a retry across the upgrade still finds its complaint.
    scope = key.id if key.kind == "key" else key.ref
    external_id = (manual_entry.idempotency_external_id(scope, idempotency_key) if idempotency_key
                   else f"ref:{entry.reference}" if entry.reference else None)
    complaint, outcome, problems = manual_entry.create_one(session, entry, settings, f"petugas:{key.name}",
                                                           external_id, entered_by=key.ref)
    if outcome == "invalid":
        raise HTTPException(422, [
            {"loc": ["body", field], "msg": message, "type": "value_error"} for field, message in problems])
    if outcome == "conflict":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "Idempotency-Key / nomor referensi sudah dipakai untuk aduan dengan isi berbeda "
                            f"({complaint.tracking_code})")
    if outcome == "existing":
        response.status_code = status.HTTP_200_OK
    return complaint_out(session, complaint, key)


@router.post("/complaints/import",
             responses={422: {"description": "bad rows (nothing written) or an unusable file: too many rows or "
                                              "cells, a decompression bomb, took too long to read"},
                        415: {"description": "not a CSV or XLSX"}, 413: {"description": "file too large"},
                        503: {"description": "every spreadsheet reader is busy, or the server is stopping; "
                                             "retry shortly"}})
def import_complaints(session: SessionDep, settings: SettingsDep, key: Petugas,
                      file: Annotated[UploadFile, File(description="CSV or XLSX from the template")],
                      partial: Annotated[bool, Query(description="write the good rows, report the rest")] = False,
                      ) -> dict[str, Any]:
    """Upload ≤ 100 complaints. Every bad row is reported by row number and column. By default nothing
    is written when any row is bad; `partial=true` writes the good rows. Always one transaction.
    An XLSX is read in a separate worker process with size, row, cell and time limits."""
    content = file.file.read(settings.upload_max_bytes + 1)
    try:
        result = manual_entry.import_batch(session, content, settings, f"petugas:{key.name}", partial,
                                           entered_by=key.ref)
    except manual_entry.FileRejected as exc:
        headers = {"Retry-After": "5"} if exc.status == status.HTTP_503_SERVICE_UNAVAILABLE else None
        raise HTTPException(exc.status, {"message": str(exc), "errors": []}, headers=headers) from None
    if not result.committed:
        raise HTTPException(422, result.as_dict())
    return result.as_dict()


@router.get("/complaints/import/template.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def import_template(session: SessionDep, settings: SettingsDep, _key: Petugas) -> Response:
    """The upload template: header with hints, an example row, dropdown lists from the reference data."""
    return Response(manual_workbooks.template_workbook(session, settings), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="templat-aduan.xlsx"'})


@router.get("/export/lapor-manual.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def lapor_handback(session: SessionDep, settings: SettingsDep, access: RecordAccessDep,
                   channel: Annotated[list[str] | None, Query()] = None,
                   status_: Annotated[list[Status] | None, Query(alias="status")] = None,
                   opd: Annotated[list[str] | None, Query()] = None,
                   category: Annotated[list[str] | None, Query()] = None,
                   kecamatan: Annotated[list[str] | None, Query()] = None,
                   classification: Annotated[list[str] | None, Query()] = None,
                   received_from: Moment | None = None,
                   received_to: Moment | None = None,
                   batch: Annotated[DbId | None, Query(description="only this batch of 100, as sheet 'Aduan'")]
                   = None,
                   include_handed_back: Annotated[bool, Query(
                       description="also the complaints an earlier download already handed back")] = False,
                   ) -> Response:
    """Complaints from non-LAPOR! channels in the upload-template shape, for entry into SP4N-LAPOR!.

    Without `batch`: one sheet per batch of ≤ 100 rows (`Batch 1`, `Batch 2`…). With `batch=N`: just
    that batch as sheet `Aduan`, ready for one LAPOR! manual upload. Oldest first, so batch numbers
    stay stable while new complaints arrive. `X-Total-Rows` / `X-Total-Batches` tell how many there are.
    Rejected and archived complaints are left out unless asked for with `status`; duplicates merged into another
    complaint always are.

    The download records what it returns as handed back (`handed_back_at`, "sudah diserahkan" on the complaint,
    and a history event), in the same transaction as the file, and later downloads leave those out unless
    `include_handed_back=true`: the next batch to hand back is then always batch 1.
    """
    if channel and "lapor" in channel:
        raise HTTPException(422,
                            [{"loc": ["query", "channel"], "msg": "aduan kanal lapor sudah ada di SP4N-LAPOR!",
                              "type": "value_error"}])
    flt = handback.HandbackFilter(
        channels=channel, statuses=status_, opd=opd, category=category, kecamatan=kecamatan,
        classification=classification, received_from=received_from, received_to=received_to,
        include_handed_back=include_handed_back)
    complaints = handback.handback_complaints(session, settings, flt, access)
    if len(complaints) > handback.MAX_EXPORT_ROWS:
        raise HTTPException(422,
                            f"Lebih dari {handback.MAX_EXPORT_ROWS} aduan; persempit filter tanggal.")
    batches = handback.batch_count(len(complaints))
    if batch is not None and batch > batches:
        raise HTTPException(422,
                            [{"loc": ["query", "batch"], "msg": f"hanya ada {batches} batch", "type": "value_error"}])
    content = handback.handback_workbook(session, settings, complaints, access, batch)
    handback.stamp_handed_back(session, handback.batch_rows(complaints, batch), access.actor)
    session.commit()
    name = f"lapor-manual-batch-{batch}.xlsx" if batch else "lapor-manual.xlsx"
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Total-Rows": str(len(complaints)),
        "X-Total-Batches": str(batches)})


class HandbackPreview(BaseModel):
    rows: int = Field(description="complaints the download with these filters returns now (and records as handed back)")
    batches: int = Field(description="sheets of ≤ 100 rows in that download")
    already_handed_back: int = Field(description="matching complaints an earlier download handed back: left out "
                                                 "of the file, or in it again with include_handed_back=true")


@router.get("/lapor-manual/preview", response_model=HandbackPreview)
def lapor_handback_preview(session: SessionDep, settings: SettingsDep, access: RecordAccessDep,
                           channel: Annotated[list[str] | None, Query()] = None,
                           status_: Annotated[list[Status] | None, Query(alias="status")] = None,
                           opd: Annotated[list[str] | None, Query()] = None,
                           category: Annotated[list[str] | None, Query()] = None,
                           kecamatan: Annotated[list[str] | None, Query()] = None,
                           classification: Annotated[list[str] | None, Query()] = None,
                           received_from: Moment | None = None,
                           received_to: Moment | None = None,
                           include_handed_back: bool = False) -> dict[str, int]:
    """How many complaints GET /export/lapor-manual.xlsx would hand back with the same filters, before
    downloading (reads only: records nothing)."""
    if channel and "lapor" in channel:
        raise HTTPException(422,
                            [{"loc": ["query", "channel"], "msg": "aduan kanal lapor sudah ada di SP4N-LAPOR!",
                              "type": "value_error"}])
    flt = handback.HandbackFilter(
        channels=channel, statuses=status_, opd=opd, category=category, kecamatan=kecamatan,
        classification=classification, received_from=received_from, received_to=received_to,
        include_handed_back=include_handed_back)
    return handback.handback_counts(session, settings, flt, access)
