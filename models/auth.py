"""Who may use the system: API keys for machines, users for people, their log-in sessions, and the
append-only audit log. Secrets are stored only as hashes (SHA-256 for random keys, argon2 for passwords)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from models.enums import Role
from models.types import JSONType, UTCDateTime, utcnow


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
    # Display tokens for the wall TV expire; machine keys usually don't.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)




class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=String(16))
    opd_id: int | None = Field(default=None, foreign_key="opd.id", index=True)
    password_hash: str = Field(max_length=255)
    active: bool = True
    # Bumped on disable, role/OPD change and password change: access tokens issued before stop working.
    token_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Log-in failure counters that every API process shares (core.identity.throttle): `name:<username>` for a
    name no account has (it locks like an account), `ip:<address>` for failures from one address in a window.
    Changed only by single atomic statements (UPSERT … RETURNING), so concurrent attempts never lose a count."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)
    failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    window_start: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class LoginSession(SQLModel, table=True):
    """One log-in: its refresh token (hashed), rotated on every refresh, revoked on log-out."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    refresh_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class AuditEntry(SQLModel, table=True):
    """One write or log-in attempt. Rows are only ever inserted (database triggers refuse the rest)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=120, index=True)  # "user:12", "key:3", "cli:root", or a failed username
    actor_name: str | None = Field(default=None, max_length=120)
    role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64, index=True)  # e.g. complaint.transition, user.create, auth.login
    target: str | None = Field(default=None, max_length=120, index=True)  # e.g. complaint:42, user:7
    outcome: str = Field(default="ok", max_length=16)  # ok | denied | failed | error
    status_code: int | None = None
    method: str | None = Field(default=None, max_length=8)
    path: str | None = Field(default=None, max_length=255)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)
    request_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    message: str | None = Field(default=None, sa_type=Text)
