"""Escalation ladder, the notification outbox and letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import NotificationStatus
from models.types import JSONType, UTCDateTime, utcnow


class EscalationStepBase(SQLModel):
    code: str = Field(max_length=32, unique=True)
    position: int = 0
    working_day: int = Field(ge=0, description="working day of handling on which the step fires")
    action: str = Field(max_length=32)  # whatsapp_reminder | letter | escalate
    recipients: str = Field(max_length=32)  # opd_admins | opd_head | parent_and_sekda
    template: str = Field(max_length=100)
    repeat_daily: bool = False
    enabled: bool = True


class EscalationStep(EscalationStepBase, table=True):
    __tablename__ = "escalation_step"
    id: int | None = Field(default=None, primary_key=True)



class EscalationRecord(SQLModel, table=True):
    """One firing of a ladder step for one complaint; the unique key makes firing idempotent."""

    __tablename__ = "escalation_record"
    __table_args__ = (UniqueConstraint("complaint_id", "step_code", "fire_key"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    step_code: str = Field(max_length=32)
    fire_key: str = Field(default="once", max_length=32)
    level: int = 0
    opd_id: int | None = Field(default=None, foreign_key="opd.id", index=True)
    target_opd_id: int | None = Field(default=None, foreign_key="opd.id")
    letter_id: int | None = Field(default=None, foreign_key="letter.id")
    fired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    recipient: str = Field(max_length=64)
    channel: str = Field(default="whatsapp", max_length=16)
    template: str = Field(max_length=100)
    params: dict[str, Any] | list[Any] | None = Field(default=None, sa_column=Column(JSONType))
    status: NotificationStatus = Field(default=NotificationStatus.pending, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    provider_id: str | None = Field(default=None, max_length=200, index=True)
    opd_id: int | None = Field(default=None, foreign_key="opd.id")
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Letter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=32)  # teguran_1 | teguran_2 | eskalasi
    opd_id: int = Field(foreign_key="opd.id", index=True)
    addressed_to_opd_id: int | None = Field(default=None, foreign_key="opd.id")
    complaint_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    subject: str = Field(default="", sa_type=Text)
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ServiceState(SQLModel, table=True):
    """Health of an internal service that is not a connector (e.g. the WhatsApp sender)."""

    __tablename__ = "service_state"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    status: str = Field(default="ok", max_length=16)  # ok | blocked
    detail: str | None = Field(default=None, sa_type=Text)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
