"""API keys, stored as SHA-256 hashes only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.enums import Role
from models.types import UTCDateTime, utcnow


class ApiKeyBase(SQLModel):
    name: str = Field(max_length=100)
    role: Role = Field(sa_type=String(16))
    opd_id: int | None = Field(default=None, foreign_key="opd.id")


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    revoked: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyCreate(ApiKeyBase):
    pass


class ApiKeyPublic(ApiKeyBase):
    id: int
    prefix: str
    revoked: bool
    created_at: datetime
