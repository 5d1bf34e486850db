"""Request-side glue shared by the routes: the complaint filter, who is asking, field errors."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

from fastapi import Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.auth import CurrentPrincipal, require_roles
from api.deps import SessionDep, SettingsDep
from core.identity.access import Access, Reads
from core.identity.principal import Principal
from core.reporting.filters import ComplaintFilter, FilterError, ResolvedFilter, parse_moment, window_end, window_start
from models import Classification, Role, Status


def local_moment(value: str | None, field: str, tz: tzinfo, end: bool = False) -> datetime | None:
    """A query parameter as ISO date (the whole local day; `end` = up to its end) or datetime (naive = local
    time) → UTC, or a 422 naming the field."""
    try:
        moment = parse_moment(value)
    except ValueError as exc:
        raise field_error(field, f"{exc}: {value!r}") from None
    if moment is None:
        return None
    if end and not isinstance(moment, datetime):
        return window_end(moment, tz)
    return window_start(moment, tz)


def field_error(field: str, message: str, status_code: int = 422, where: str = "query") -> HTTPException:
    """A FastAPI-style error naming the offending field."""
    return HTTPException(status_code, detail=[{"loc": [where, field], "msg": message, "type": "value_error"}])


def complaint_filter(
    session: SessionDep,
    settings: SettingsDep,
    channel: Annotated[list[str] | None, Query(description="Kanal (boleh berulang)", max_length=32)] = None,
    opd: Annotated[list[str] | None, Query(description="Kode OPD (boleh berulang)")] = None,
    category: Annotated[list[str] | None, Query(description="Kode kategori, termasuk subkategori")] = None,
    status: Annotated[list[Status] | None, Query(description="Status (boleh berulang)")] = None,
    classification: Annotated[list[Classification] | None, Query()] = None,
    kecamatan: Annotated[list[str] | None, Query()] = None,
    desa: Annotated[list[str] | None, Query()] = None,
    q: Annotated[str | None, Query(description="Cari di judul dan isi, atau kode pelacakan", max_length=200)] = None,
    received_from: Annotated[str | None, Query(description="Tanggal/waktu ISO (waktu lokal bila tanpa zona)",
                                               examples=["2026-11-01"])] = None,
    received_to: Annotated[str | None, Query(description="Tanggal/waktu ISO; tanggal = sampai akhir hari",
                                             examples=["2026-11-30"])] = None,
    overdue: Annotated[bool | None, Query(description="Hanya yang melewati batas waktu")] = None,
    rating_max: Annotated[int | None, Query(ge=1, le=5, description="Rating bintang maksimal")] = None,
) -> ResolvedFilter:
    values = dict(channel=channel or [], opd=opd or [], category=category or [], status=status or [],
                  classification=classification or [], kecamatan=kecamatan or [], desa=desa or [], q=q,
                  received_from=received_from, received_to=received_to, overdue=overdue, rating_max=rating_max)
    try:
        spec = ComplaintFilter(**values)
    except ValidationError as exc:
        raise RequestValidationError([
            {"loc": ("query", *(err["loc"] or ("received_to",))), "msg": err["msg"].removeprefix("Value error, "),
             "type": err["type"], "input": err.get("input")}
            for err in exc.errors(include_url=False)
        ]) from None
    try:
        return spec.resolve(session, settings.tz)
    except FilterError as exc:
        raise field_error(exc.field, exc.message) from None


FilterDep = Annotated[ResolvedFilter, Depends(complaint_filter)]


def reading(reads: Reads):
    """Dependency factory: the caller's `Access`, refused with 403 when the policy gives its role no `reads`."""

    def dependency(principal: CurrentPrincipal) -> Access:
        access = Access.of(principal)
        if not access.may(reads):
            raise HTTPException(403, f"peran {principal.role} tidak boleh membaca data ini ({reads})")
        return access

    return dependency


def access_for(*roles: Role):
    """Like `require_roles`, but hands the route an `Access` (for writes: who may act)."""
    check = require_roles(*roles)

    def dependency(key: Principal = Depends(check)) -> Access:
        return Access.of(key)

    return dependency


# What the policy in core.identity.access allows each role to read; every route returning complaint data takes one.
AccessDep = Annotated[Access, Depends(reading(Reads.aggregates))]
RecordAccessDep = Annotated[Access, Depends(reading(Reads.records))]
CaseworkAccessDep = Annotated[Access, Depends(reading(Reads.casework))]
