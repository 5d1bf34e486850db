"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) for integrators.

Reading is public; posting a request needs an API key (`api_key` form field or `X-API-Key`) of a role that
may file complaints (petugas, analyst, opd_admin, admin).
Errors use the Open311 shape `[{"code", "description"}]`. Parameters arrive as text and are
checked here, so a bad value is always an Open311 error, never FastAPI's own format.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import select

from api.auth import INTAKE_ROLES, has_role
from api.deps import SessionDep, SettingsDep
from core.identity.keys import lookup
from core.identity.principal import Principal
from core.intake import open311, pipeline, registry
from core.intake.ingest import Resolver
from core.reporting.filters import parse_moment, window_start
from core.runtime.sheets import refuse_unwritable
from models import Category, Complaint
from models.types import utcnow

router = APIRouter(prefix="/open311/v2", tags=["open311"])


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description


class Open311ErrorOut(BaseModel):
    code: int
    description: str


def _error(exc: Open311Error) -> JSONResponse:
    return JSONResponse([{"code": exc.code, "description": exc.description}], status_code=exc.code)


def _errors(description: str) -> dict[str, Any]:
    """An error response as documented: the Open311 error list."""
    return {"model": list[Open311ErrorOut], "description": description}


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(name: str, value: str | None, tz) -> datetime | None:
    """A W3C date or datetime (naive = local time; a date = its local midnight), checked like every route's."""
    if not value:
        return None
    try:
        return window_start(parse_moment(value), tz)
    except ValueError as exc:
        raise Open311Error(400, f"{name}: {exc} (format W3C/ISO 8601)") from None


@router.get("/discovery.json")
def discovery(request: Request, settings: SettingsDep) -> dict[str, Any]:
    base = str(request.url_for("services_json")).removesuffix("/services.json")
    return {
        "changeset": "2026-11-23T00:00:00+07:00",
        "contact": f"{settings.pemda_name} — Dinas Komunikasi dan Informatika",
        "key_service": "API key untuk POST (peran petugas, analyst, opd_admin atau admin) diterbitkan oleh "
                       "admin instansi (aduan keys create)",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-23T00:00:00+07:00", "type": "production",
                       "formats": ["application/json"]}],
    }


@router.get("/services.json", name="services_json")
def services_json(session: SessionDep) -> list[dict[str, Any]]:
    return open311.services(session)


@router.get("/requests.json", response_model=None, responses={400: _errors("a parameter is invalid")})
def get_requests(
    session: SessionDep,
    settings: SettingsDep,
    service_request_id: Annotated[str | None, Query(description="Comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated service codes")] = None,
    start_date: Annotated[str | None, Query(description="W3C datetime")] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime; window at most 90 days")] = None,
    status: Annotated[str | None, Query(description="open, closed or both comma-separated")] = None,
    jurisdiction_id: Annotated[str | None, Query()] = None,
) -> Any:
    """At most 1000 requests, newest first, from the last 90 days unless a window is given."""
    try:
        stmt = open311.requests_select()
        ids = _csv(service_request_id)
        if ids:  # per the spec, other parameters are ignored when ids are given
            stmt = stmt.where(Complaint.tracking_code.in_([i.upper() for i in ids]))
        else:
            stmt = _filtered(stmt, settings, service_code, start_date, end_date, status)
        rows = session.execute(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc())
                               .limit(open311.MAX_RESULTS)).all()
    except Open311Error as exc:
        return _error(exc)
    return [open311.service_request(row, settings.tz) for row in rows]


def _filtered(stmt, settings, service_code, start_date, end_date, status):
    start, end = _moment("start_date", start_date, settings.tz), _moment("end_date", end_date, settings.tz)
    window = timedelta(days=open311.MAX_WINDOW_DAYS)
    if start and end and end - start > window:
        raise Open311Error(400, "rentang start_date–end_date paling lama 90 hari")
    if start and end and end < start:
        raise Open311Error(400, "end_date harus setelah start_date")
    if start is None:
        start = (end or utcnow()) - window
    if end is None:
        end = start + window
    stmt = stmt.where(Complaint.received_at >= start, Complaint.received_at <= end)
    codes = _csv(service_code)
    if codes:
        stmt = stmt.where(Category.code.in_(codes))
    wanted = set(_csv(status))
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status harus open atau closed")
    if wanted == {"open"}:
        stmt = stmt.where(Complaint.status.in_(open311.OPEN_STATUSES))
    elif wanted == {"closed"}:
        stmt = stmt.where(Complaint.status.in_(open311.CLOSED_STATUSES))
    return stmt


@router.get("/requests/{request_id}.json", response_model=None, responses={404: _errors("no such request")})
def get_request(request_id: str, session: SessionDep, settings: SettingsDep) -> Any:
    row = session.execute(open311.requests_select().where(Complaint.tracking_code == request_id.upper())).first()
    if row is None:
        return _error(Open311Error(404, f"service request {request_id} tidak ditemukan"))
    return [open311.service_request(row, settings.tz)]


@router.post("/requests.json", status_code=201, response_model=None,
             responses={400: _errors("a field is missing or invalid"),
                        403: _errors("api_key missing or invalid, or its role may not file complaints")})
def post_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    service_code: Annotated[str | None, Form()] = None,
    api_key: Annotated[str | None, Form()] = None,
    lat: Annotated[str | None, Form()] = None,
    long: Annotated[str | None, Form()] = None,
    address_string: Annotated[str | None, Form()] = None,
    address_id: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form()] = None,
    first_name: Annotated[str | None, Form()] = None,
    last_name: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    device_id: Annotated[str | None, Form()] = None,
    account_id: Annotated[str | None, Form()] = None,
    media_url: Annotated[str | None, Form()] = None,
    jurisdiction_id: Annotated[str | None, Form()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Any:
    """Create a service request (form-encoded). Returns `[{"service_request_id", "service_notice"}]`."""
    form = {k: v for k, v in dict(service_code=service_code, lat=lat, long=long, address_string=address_string,
                                  address_id=address_id, description=description, email=email,
                                  first_name=first_name, last_name=last_name, phone=phone, device_id=device_id,
                                  account_id=account_id, media_url=media_url).items() if v not in (None, "")}
    try:
        _check_key(request, session, api_key or x_api_key)
        kecamatan = _check_form(session, form)
        external_id, payload = open311.new_payload(form, utcnow(), kecamatan)
        connector = registry.get(open311.CHANNEL)({})
        [verdict] = pipeline.ingest(session, connector, [(external_id, payload)], Resolver(session, settings)).verdicts
        if verdict.outcome == "failed":
            raise Open311Error(400, verdict.error or "permintaan tidak dapat diproses")
        session.commit()
    except Open311Error as exc:
        session.rollback()
        return _error(exc)
    complaint = session.execute(select(Complaint).where(Complaint.channel == open311.CHANNEL,
                                                        Complaint.external_id == external_id)).scalar_one()
    return [{"service_request_id": complaint.tracking_code,
             "service_notice": "Pengaduan diterima; pantau status dengan service_request_id ini.",
             "account_id": None}]


def _check_key(request: Request, session, raw_key: str | None) -> None:
    """Filing needs a key of a role that may file complaints: never a viewer key or a wall display token,
    which travel in URLs. The audit entry names the key, whether it was let in or not."""
    key = lookup(session, raw_key) if raw_key else None
    if key is None:
        raise Open311Error(403, "api_key tidak ada atau tidak valid")
    principal = Principal.of_key(key)
    request.state.principal = principal
    if not has_role(principal, INTAKE_ROLES):
        raise Open311Error(403, f"api_key dengan peran {principal.role} tidak boleh membuat permintaan layanan")


def _check_form(session, form: dict[str, str]) -> str | None:
    """Everything is checked before anything lands, so a bad request leaves no trace."""
    code = form.get("service_code")
    if not code:
        raise Open311Error(400, "service_code wajib diisi")
    if session.execute(select(Category.id).where(Category.code == code)).first() is None:
        raise Open311Error(400, f"service_code tidak dikenal: {code}")
    if not form.get("description"):
        raise Open311Error(400, "description wajib diisi")
    for name, value in form.items():
        limit = 10_000 if name == "description" else 500 if name == "address_string" else 200
        if len(value) > limit:
            raise Open311Error(400, f"{name} terlalu panjang (maks. {limit} karakter)")
        try:
            refuse_unwritable(value)
        except ValueError as exc:
            raise Open311Error(400, f"{name} {exc}") from None
    has_point = "lat" in form or "long" in form
    if not has_point and not form.get("address_string") and not form.get("address_id"):
        raise Open311Error(400, "lokasi wajib: lat dan long, atau address_string")
    if has_point:
        try:
            lat, lon = float(form["lat"]), float(form["long"])
        except (KeyError, ValueError):
            raise Open311Error(400, "lat dan long harus berupa angka dan diisi berdua") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math_nan(lat, lon):
            raise Open311Error(400, "lat/long di luar jangkauan")
        return open311.nearest_kecamatan(session, lat, lon)
    return None


def math_nan(*values: float) -> bool:
    return any(v != v for v in values)
