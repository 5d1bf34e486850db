"""Reference data: OPD and their admins, categories, SLA tiers, channels, statuses, kecamatan.

Everyone with a key reads it; only admins change it. Codes (not ids) name things in paths and
bodies; a code that does not exist is a 422 naming the field, a duplicate or a row still in use 409.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.auth import AdminPrincipal, CurrentPrincipal
from api.deps import SessionDep, SettingsDep
from api.filters import field_error
from api.inputs import Input
from api.responses import CONFLICT, FORBIDDEN, NOT_FOUND
from core.casework.workflow import reject_reasons
from core.intake.channels import known_channels
from models import ApiKey, Category, Complaint, Opd, OpdAdmin, OpdKind, Region, Role, SlaTier, Status, User
from models.enums import RAPOR_BUCKET, STATUS_LABEL_ID, RaporBucket
from models.types import DbId

router = APIRouter(tags=["reference"])
# Writes are for admins; a code in the path that does not exist is 404, a duplicate or a row in use 409.
CREATES = {**FORBIDDEN, **CONFLICT}
CHANGES = {**FORBIDDEN, **NOT_FOUND, **CONFLICT}

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
WHATSAPP = r"^\+?[0-9]{8,15}$"


# --- shapes ------------------------------------------------------------------------------------

class OpdOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    head_name: str | None
    head_title: str | None
    active: bool


class OpdIn(Input):
    code: str = Field(max_length=32, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: OpdKind = OpdKind.dinas
    parent_code: str | None = None
    head_name: str | None = Field(None, max_length=200)
    head_title: str | None = Field(None, max_length=200)
    active: bool = True


class OpdPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OpdKind | None = None
    parent_code: str | None = None
    head_name: str | None = Field(None, max_length=200)
    head_title: str | None = Field(None, max_length=200)
    active: bool | None = None


class OpdAdminOut(BaseModel):
    id: int
    opd_code: str
    name: str
    whatsapp: str
    role: str
    active: bool


class OpdAdminIn(Input):
    name: str = Field(min_length=1, max_length=200)
    whatsapp: str = Field(pattern=WHATSAPP, description="Nomor WhatsApp, mis. 6281234567890")
    role: str = Field("admin_penghubung", max_length=32)
    active: bool = True


class OpdAdminPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    whatsapp: str | None = Field(None, pattern=WHATSAPP)
    role: str | None = Field(None, max_length=32)
    active: bool | None = None


class CategoryOut(BaseModel):
    id: int
    code: str
    name: str
    parent_code: str | None
    default_opd_code: str | None
    sla_tier: str | None


class CategoryIn(Input):
    code: str = Field(max_length=64, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    parent_code: str | None = None
    default_opd_code: str | None = None
    sla_tier: str | None = None


class CategoryPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    parent_code: str | None = None
    default_opd_code: str | None = None
    sla_tier: str | None = None


class SlaTierOut(BaseModel):
    code: str
    name: str
    resolution_days: int


class SlaTierIn(Input):
    code: str = Field(max_length=32, pattern=CODE)
    name: str = Field(min_length=1, max_length=100)
    resolution_days: int = Field(ge=1, le=365)


class SlaTierPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    resolution_days: int | None = Field(None, ge=1, le=365)


class ChannelOut(BaseModel):
    code: str
    label: str


Tone = Literal["red", "yellow", "green", "grey"]
# Jakarta's CRM convention: red while waiting, yellow in process, green done; grey for what the rapor leaves out.
BUCKET_TONE: dict[RaporBucket, Tone] = {
    RaporBucket.unverified: "red", RaporBucket.not_followed_up: "red", RaporBucket.in_progress: "yellow",
    RaporBucket.postponed: "yellow",
    RaporBucket.resolved: "green", RaporBucket.excluded: "grey",
}


class StatusOut(BaseModel):
    code: Status
    label: str = Field(description="Indonesian label")
    bucket: RaporBucket = Field(description="rapor bucket")
    tone: Tone = Field(description="colour of the Jakarta CRM convention")


class KecamatanOut(BaseModel):
    name: str
    lat: float | None
    lon: float | None
    desa: list[str]


# --- helpers -----------------------------------------------------------------------------------

def _by_code(session: Session, model, code: str | None, field: str, where: str = "body"):
    if code is None:
        return None
    row = session.execute(select(model).where(model.code == code)).scalar_one_or_none()
    if row is None:
        raise field_error(field, f"kode tidak dikenal: {code}", where=where)
    return row


def _found(session: Session, model, code: str):
    row = session.execute(select(model).where(model.code == code)).scalar_one_or_none()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"kode tidak ditemukan: {code}")
    return row


def _commit(session: Session, what: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, f"{what} sudah ada atau masih dipakai") from None


def _in_use(session: Session, checks: list[tuple[Any, Any, str]]) -> None:
    used = [label for model, clause, label in checks
            if session.execute(select(func.count()).select_from(model).where(clause)).scalar_one()]
    if used:
        raise HTTPException(status.HTTP_409_CONFLICT, "masih dipakai oleh: " + ", ".join(used))


def _opd_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Opd.id, Opd.code)).all())


def _opd_out(opd: Opd, codes: dict[int, str]) -> dict[str, Any]:
    return {"id": opd.id, "code": opd.code, "name": opd.name, "kind": str(opd.kind),
            "parent_code": codes.get(opd.parent_id), "head_name": opd.head_name, "head_title": opd.head_title,
            "active": opd.active}


def _category_out(cat: Category, cat_codes: dict[int, str], opd_codes: dict[int, str]) -> dict[str, Any]:
    return {"id": cat.id, "code": cat.code, "name": cat.name, "parent_code": cat_codes.get(cat.parent_id),
            "default_opd_code": opd_codes.get(cat.default_opd_id), "sla_tier": cat.sla_tier}


# --- OPD ---------------------------------------------------------------------------------------

@router.get("/opd", response_model=list[OpdOut])
def list_opd(session: SessionDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    rows = session.execute(select(Opd).order_by(Opd.code)).scalars().all()
    codes = {o.id: o.code for o in rows}
    return [_opd_out(o, codes) for o in rows]


@router.post("/opd", response_model=OpdOut, status_code=201, responses=CREATES)
def create_opd(body: OpdIn, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    parent = _by_code(session, Opd, body.parent_code, "parent_code")
    opd = Opd(**body.model_dump(exclude={"parent_code"}), parent_id=parent.id if parent else None)
    session.add(opd)
    _commit(session, f"OPD {body.code}")
    return _opd_out(opd, _opd_codes(session))


@router.patch("/opd/{code}", response_model=OpdOut, responses=CHANGES)
def update_opd(code: str, body: OpdPatch, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    opd = _found(session, Opd, code)
    changes = body.model_dump(exclude_unset=True)
    if "parent_code" in changes:
        parent = _by_code(session, Opd, changes.pop("parent_code"), "parent_code")
        if parent is not None and _is_ancestor_or_self(session, Opd, opd.id, parent):
            raise field_error("parent_code", "induk tidak boleh OPD ini sendiri atau bawahannya", where="body")
        opd.parent_id = parent.id if parent else None
    for name, value in changes.items():
        setattr(opd, name, value)
    session.add(opd)
    _commit(session, f"OPD {code}")
    return _opd_out(opd, _opd_codes(session))


@router.delete("/opd/{code}", status_code=204, responses=CHANGES)
def delete_opd(code: str, session: SessionDep, _: AdminPrincipal) -> Response:
    """Only an unused OPD can be deleted; deactivate (`active=false`) one that has history."""
    opd = _found(session, Opd, code)
    _in_use(session, [(Complaint, Complaint.opd_id == opd.id, "pengaduan"),
                      (Opd, Opd.parent_id == opd.id, "OPD bawahan"),
                      (Category, Category.default_opd_id == opd.id, "kategori"),
                      (OpdAdmin, OpdAdmin.opd_id == opd.id, "admin OPD"),
                      (ApiKey, ApiKey.opd_id == opd.id, "API key"), (User, User.opd_id == opd.id, "user")])
    session.delete(opd)
    _commit(session, f"OPD {code}")
    return Response(status_code=204)


def _is_ancestor_or_self(session: Session, model, node_id: int, candidate) -> bool:
    """Would making `candidate` the parent of `node_id` create a cycle?"""
    seen, current = set(), candidate
    while current is not None and current.id not in seen:
        if current.id == node_id:
            return True
        seen.add(current.id)
        current = session.get(model, current.parent_id) if current.parent_id else None
    return False


# --- OPD admins (admin penghubung) ---------------------------------------------------------------

def _admin_out(admin: OpdAdmin, opd_code: str) -> dict[str, Any]:
    return {"id": admin.id, "opd_code": opd_code, "name": admin.name, "whatsapp": admin.whatsapp,
            "role": admin.role, "active": admin.active}


@router.get("/opd/{code}/admins", response_model=list[OpdAdminOut], responses={**FORBIDDEN, **NOT_FOUND})
def list_opd_admins(code: str, session: SessionDep, key: CurrentPrincipal) -> list[dict[str, Any]]:
    """WhatsApp numbers are personal data: admins, or the OPD's own admin key."""
    opd = _found(session, Opd, code)
    if key.role != Role.admin and not (key.role == Role.opd_admin and key.opd_id == opd.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "hanya admin atau admin OPD ini")
    rows = session.execute(select(OpdAdmin).where(OpdAdmin.opd_id == opd.id).order_by(OpdAdmin.id)).scalars()
    return [_admin_out(a, opd.code) for a in rows]


@router.post("/opd/{code}/admins", response_model=OpdAdminOut, status_code=201, responses=CHANGES)
def create_opd_admin(code: str, body: OpdAdminIn, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    opd = _found(session, Opd, code)
    admin = OpdAdmin(opd_id=opd.id, **body.model_dump())
    session.add(admin)
    _commit(session, "admin OPD")
    return _admin_out(admin, opd.code)


def _opd_admin(session: Session, admin_id: int) -> OpdAdmin:
    admin = session.get(OpdAdmin, admin_id)
    if admin is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "admin OPD tidak ditemukan")
    return admin


@router.patch("/opd-admins/{admin_id:int}", response_model=OpdAdminOut, responses=CHANGES)
def update_opd_admin(admin_id: DbId, body: OpdAdminPatch, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    admin = _opd_admin(session, admin_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(admin, name, value)
    session.add(admin)
    _commit(session, "admin OPD")
    return _admin_out(admin, session.get(Opd, admin.opd_id).code)


@router.delete("/opd-admins/{admin_id:int}", status_code=204, responses=CHANGES)
def delete_opd_admin(admin_id: DbId, session: SessionDep, _: AdminPrincipal) -> Response:
    session.delete(_opd_admin(session, admin_id))
    _commit(session, "admin OPD")
    return Response(status_code=204)


# --- categories ----------------------------------------------------------------------------------

def _category_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Category.id, Category.code)).all())


def _check_tier(session: Session, tier: str | None) -> None:
    _by_code(session, SlaTier, tier, "sla_tier")


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(session: SessionDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    rows = session.execute(select(Category).order_by(Category.code)).scalars().all()
    codes, opd = {c.id: c.code for c in rows}, _opd_codes(session)
    return [_category_out(c, codes, opd) for c in rows]


@router.post("/categories", response_model=CategoryOut, status_code=201, responses=CREATES)
def create_category(body: CategoryIn, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    parent = _by_code(session, Category, body.parent_code, "parent_code")
    opd = _by_code(session, Opd, body.default_opd_code, "default_opd_code")
    _check_tier(session, body.sla_tier)
    cat = Category(code=body.code, name=body.name, parent_id=parent.id if parent else None,
                   default_opd_id=opd.id if opd else None, sla_tier=body.sla_tier)
    session.add(cat)
    _commit(session, f"kategori {body.code}")
    return _category_out(cat, _category_codes(session), _opd_codes(session))


@router.patch("/categories/{code}", response_model=CategoryOut, responses=CHANGES)
def update_category(code: str, body: CategoryPatch, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    cat = _found(session, Category, code)
    changes = body.model_dump(exclude_unset=True)
    if "parent_code" in changes:
        parent = _by_code(session, Category, changes["parent_code"], "parent_code")
        if parent is not None and _is_ancestor_or_self(session, Category, cat.id, parent):
            raise field_error("parent_code", "induk tidak boleh kategori ini sendiri atau turunannya", where="body")
        cat.parent_id = parent.id if parent else None
    if "default_opd_code" in changes:
        opd = _by_code(session, Opd, changes["default_opd_code"], "default_opd_code")
        cat.default_opd_id = opd.id if opd else None
    if "sla_tier" in changes:
        _check_tier(session, changes["sla_tier"])
        cat.sla_tier = changes["sla_tier"]
    if "name" in changes:
        cat.name = changes["name"]
    session.add(cat)
    _commit(session, f"kategori {code}")
    return _category_out(cat, _category_codes(session), _opd_codes(session))


@router.delete("/categories/{code}", status_code=204, responses=CHANGES)
def delete_category(code: str, session: SessionDep, _: AdminPrincipal) -> Response:
    cat = _found(session, Category, code)
    _in_use(session, [(Complaint, Complaint.category_id == cat.id, "pengaduan"),
                      (Category, Category.parent_id == cat.id, "subkategori")])
    session.delete(cat)
    _commit(session, f"kategori {code}")
    return Response(status_code=204)


# --- SLA tiers -----------------------------------------------------------------------------------

def _tier_out(tier: SlaTier) -> dict[str, Any]:
    return {"code": tier.code, "name": tier.name, "resolution_days": tier.resolution_days}


@router.get("/sla-tiers", response_model=list[SlaTierOut])
def list_tiers(session: SessionDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    return [_tier_out(t) for t in session.execute(select(SlaTier).order_by(SlaTier.resolution_days)).scalars()]


@router.post("/sla-tiers", response_model=SlaTierOut, status_code=201, responses=CREATES)
def create_tier(body: SlaTierIn, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    tier = SlaTier(**body.model_dump())
    session.add(tier)
    _commit(session, f"tier {body.code}")
    return _tier_out(tier)


@router.patch("/sla-tiers/{code}", response_model=SlaTierOut, responses=CHANGES)
def update_tier(code: str, body: SlaTierPatch, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    """New deadlines apply to complaints received or recategorised afterwards."""
    tier = _found(session, SlaTier, code)
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(tier, name, value)
    session.add(tier)
    _commit(session, f"tier {code}")
    return _tier_out(tier)


@router.delete("/sla-tiers/{code}", status_code=204, responses=CHANGES)
def delete_tier(code: str, session: SessionDep, _: AdminPrincipal) -> Response:
    tier = _found(session, SlaTier, code)
    _in_use(session, [(Category, Category.sla_tier == code, "kategori"),
                      (Complaint, Complaint.sla_tier == code, "pengaduan")])
    session.delete(tier)
    _commit(session, f"tier {code}")
    return Response(status_code=204)


# --- channels and regions ------------------------------------------------------------------------

@router.get("/channels", response_model=list[ChannelOut])
def list_channels(session: SessionDep, _: CurrentPrincipal) -> list[dict[str, str]]:
    return known_channels(session)


@router.get("/statuses", response_model=list[StatusOut])
def list_statuses(_: CurrentPrincipal) -> list[StatusOut]:
    """Every workflow status in workflow order, with its label, rapor bucket and colour."""
    return [StatusOut(code=s, label=STATUS_LABEL_ID[s], bucket=RAPOR_BUCKET[s], tone=BUCKET_TONE[RAPOR_BUCKET[s]])
            for s in Status]


class RejectReasonOut(BaseModel):
    code: str
    label: str = Field(description="Indonesian label")


@router.get("/reference/reject-reasons", response_model=list[RejectReasonOut])
def list_reject_reasons(settings: SettingsDep, _: CurrentPrincipal) -> list[dict[str, str]]:
    """Reasons a complaint may be rejected for (`ADUAN_REJECT_REASONS`), for the `reason` of the reject action;
    "duplikat" is also what a merge records."""
    return [{"code": code, "label": label} for code, label in reject_reasons(settings).items()]


@router.get("/kecamatan", response_model=list[KecamatanOut])
def list_kecamatan(session: SessionDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    regions = session.execute(select(Region).order_by(Region.name)).scalars().all()
    desa: dict[int, list[str]] = {}
    for r in regions:
        if r.kind == "desa" and r.parent_id:
            desa.setdefault(r.parent_id, []).append(r.name)
    return [{"name": r.name, "lat": r.lat, "lon": r.lon, "desa": desa.get(r.id, [])}
            for r in regions if r.kind == "kecamatan"]

