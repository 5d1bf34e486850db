"""Reference data: OPD and their admins, the category tree, SLA tiers, kecamatan/desa."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.enums import OpdKind
from models.types import UTCDateTime, utcnow


class OpdBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: OpdKind = Field(default=OpdKind.dinas, sa_type=String(16))
    parent_id: int | None = Field(default=None, foreign_key="opd.id")
    head_name: str | None = Field(default=None, max_length=200)
    head_title: str | None = Field(default=None, max_length=200)
    active: bool = True


class Opd(OpdBase, table=True):
    id: int | None = Field(default=None, primary_key=True)




class OpdAdminBase(SQLModel):
    opd_id: int = Field(foreign_key="opd.id", index=True)
    name: str = Field(max_length=200)
    whatsapp: str = Field(max_length=32)
    role: str = Field(default="admin_penghubung", max_length=32)
    active: bool = True


class OpdAdmin(OpdAdminBase, table=True):
    __tablename__ = "opd_admin"
    id: int | None = Field(default=None, primary_key=True)




class SlaTierBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    resolution_days: int = Field(ge=1)


class SlaTier(SlaTierBase, table=True):
    __tablename__ = "sla_tier"
    id: int | None = Field(default=None, primary_key=True)




class CategoryBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    default_opd_id: int | None = Field(default=None, foreign_key="opd.id")
    sla_tier: str | None = Field(default=None, max_length=32)


class Category(CategoryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)




class Region(SQLModel, table=True):
    """A kecamatan (parent_id None) or a desa/kelurahan, with a centroid for the map."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # kecamatan | desa
    name: str = Field(max_length=120, index=True)
    parent_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    lat: float | None = None
    lon: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
