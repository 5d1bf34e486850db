"""What a citizen told us about being contacted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow


class ContactOptout(SQLModel, table=True):
    """A number that said BERHENTI: no message of any kind goes to it while `active`."""

    __tablename__ = "contact_optout"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="whatsapp", max_length=16)
    address: str = Field(max_length=64)  # normalised msisdn / wa_id
    active: bool = True  # False once the person opted in again (e.g. "MULAI")
    opted_out_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=200)  # the upstream message that said it
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
