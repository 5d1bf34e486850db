"""Triage suggestions: the top-3 categories and OPD for a complaint's text, learned from this kabupaten's own
labelled history (core.triage). A person decides; the scores say how sure the model is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session

from api.auth import require_roles
from api.deps import SessionDep, SettingsDep
from api.inputs import Input
from core.identity.access import Access
from core.identity.principal import Principal
from core.runtime.settings import Settings
from core.triage.suggest import suggest, suggest_for
from models import Role, Status

router = APIRouter(tags=["triage"])

# Who triages: the admin instansi, analysts, and the petugas at the front desk.
SUGGESTION_ROLES = (Role.analyst, Role.petugas)
TEXT_MAX = 10_000


class Suggestion(BaseModel):
    code: str
    name: str
    score: float = Field(description="Keyakinan model, 0–1")


class SuggestionModel(BaseModel):
    version: int
    trained_at: datetime
    examples: int = Field(description="Aduan berlabel yang dipelajari")


class Suggestions(BaseModel):
    categories: list[Suggestion] = Field(description="Paling banyak 3 kategori, yang paling mungkin dulu")
    opds: list[Suggestion] = Field(description="Paling banyak 3 OPD, yang paling mungkin dulu")
    model: SuggestionModel | None = Field(description="Versi model yang menyarankan; null bila belum ada")
    message: str | None = Field(description='null, atau "belum cukup data" (tidak ada saran)')


class SuggestIn(Input):
    text: str = Field(description="Judul dan isi aduan", examples=["Jalan berlubang di depan pasar, mohon diperbaiki"])
    kecamatan: str | None = Field(None, max_length=120)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("teks aduan wajib diisi")
        if len(value) > TEXT_MAX:
            raise ValueError(f"teks aduan terlalu panjang: paling banyak {TEXT_MAX:,} karakter".replace(",", "."))
        return value


@router.post("/triage/suggest", response_model=Suggestions)
def suggest_route(body: SuggestIn, session: SessionDep, settings: SettingsDep,
                  _: Annotated[Principal, Depends(require_roles(*SUGGESTION_ROLES))]) -> dict[str, Any]:
    """Kategori dan OPD yang disarankan untuk teks aduan, dengan skornya. Di bawah ADUAN_TRIAGE_MIN_EXAMPLES
    aduan berlabel: tidak ada saran dan `message` "belum cukup data"."""
    return suggest(session, settings, body.text, body.kecamatan)


def detail_suggestions(session: Session, settings: Settings, access: Access,
                       complaint: dict[str, Any]) -> dict[str, Any] | None:
    """`suggestions` of a complaint's detail: for an unverified complaint and a role that triages, else None."""
    if complaint.get("status") != Status.unverified:
        return None
    if access.role is not Role.admin and access.role not in SUGGESTION_ROLES:
        return None
    return suggest_for(session, settings, complaint.get("title"), complaint.get("body"), complaint.get("kecamatan"))
