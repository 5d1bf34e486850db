"""The inbox (payloads as received) and connector configuration/state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import RawState
from models.types import JSONType, UTCDateTime, utcnow


class ConnectorInstance(SQLModel, table=True):
    __tablename__ = "connector_instance"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=64)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    enabled: bool = True
    schedule_seconds: int | None = Field(default=900, description="sync interval; None = manual only")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    id: int | None = Field(default=None, primary_key=True)
    connector_instance_id: int = Field(foreign_key="connector_instance.id", unique=True)
    bookmark: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    status: str = Field(default="never", max_length=16)  # never | running | ok | error
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_counts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    fetched_total: int = 0
    new_total: int = 0
    updated_total: int = 0
    failed_total: int = 0
    runs_total: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # finished runs, for /metrics
    run_errors_total: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RawRecord(SQLModel, table=True):
    __tablename__ = "raw_record"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", "payload_hash"),
        Index("ix_raw_record_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    connector_instance_id: int | None = Field(default=None, foreign_key="connector_instance.id", index=True)
    external_id: str = Field(max_length=200)
    payload: Any = Field(sa_column=Column(JSONType, nullable=False))
    payload_hash: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    state: RawState = Field(default=RawState.pending, sa_type=String(16))
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    normalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChannelCall(SQLModel, table=True):
    """Contacts that are counted per channel but are not complaints (112 ghost/prank calls...)."""

    __tablename__ = "channel_call"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=200)
    call_type: str = Field(max_length=32, index=True)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kecamatan: str | None = Field(default=None, max_length=120)
