"""Triage models: category/OPD suggesters learned from this kabupaten's own labelled complaints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class TriageModel(SQLModel, table=True):
    """One trained version; the newest is the one in use. `blob` is the serialised pipeline."""

    __tablename__ = "triage_model"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    trained_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    examples: int = 0
    # What it was trained on and how it scored (e.g. the time-split accuracies, library versions).
    info: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    blob: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
