"""Application settings, read only from `ADUAN_*` environment variables and `.env`."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class SettingsError(RuntimeError):
    """Settings are unusable; the message is a one-line explanation for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADUAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./aduan.db",
        description="SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user@host:5432/db",
    )
    timezone: str = Field("Asia/Jakarta", description="Timezone for working days and display")
    regional_holidays: list[date] = Field(
        default_factory=list, description="Extra non-working dates (regional holidays), JSON list"
    )
    pemda_name: str = Field("Pemerintah Kabupaten Blitar", description="Name printed on letters and rapor")
    pemda_logo_path: str | None = Field(None, description="PNG logo for the kop surat")
    sekda_opd_code: str = Field("SETDA", description="OPD code of the Sekretariat Daerah (top of escalation)")

    api_host: str = Field("127.0.0.1", description="Bind address of the API")
    api_port: int = Field(8000, description="Port of the API")
    dashboard_port: int = Field(8050, description="Port of the dashboard")
    dashboard_api_url: str = Field("http://127.0.0.1:8000", description="API base URL used by the dashboard")
    dashboard_api_key: str | None = Field(None, description="API key the dashboard uses")
    dashboard_timeout_seconds: float = Field(30.0, gt=0, description="How long the dashboard waits for the API")
    refresh_seconds: int = Field(60, ge=5, description="Wall display auto-refresh interval")
    stale_minutes: int = Field(120, ge=1, description="Data older than this shows a staleness warning")

    response_days: int = Field(3, ge=1, description="Working days to first response / verification")
    sla_tiers: dict[str, int] = Field(
        default_factory=lambda: {"cepat": 5, "sedang": 14, "lama": 60},
        description="Completion deadline in working days per SLA tier",
    )
    default_sla_tier: str = Field("sedang", description="Tier for complaints without a category tier")
    predikat_thresholds: list[tuple[str, float, float]] = Field(
        default_factory=lambda: [
            ("Sangat Baik", 95.0, 5.0),
            ("Baik", 85.0, 20.0),
            ("Sedang", 70.0, 40.0),
        ],
        description="(predikat, min completion %, max average follow-up days), best first; else Kurang",
    )
    whatsapp_thread_window_minutes: int = Field(
        60, ge=0, description="Messages from one number within this window form one complaint"
    )
    sync_timeout_seconds: float = Field(30.0, gt=0, description="HTTP timeout of connector requests")
    sync_retry_attempts: int = Field(6, ge=1, description="Tries per upstream request before a run gives up")
    sync_backoff_seconds: float = Field(1.0, ge=0, description="Base of the exponential retry backoff")
    sync_backoff_max_seconds: float = Field(60.0, ge=0, description="Longest wait between two retries")
    sync_retry_after_max_seconds: float = Field(300.0, ge=0, description="Cap on an upstream's Retry-After")
    sync_lease_seconds: int = Field(900, ge=10, description="A run silent this long is presumed dead")
    manual_import_max_rows: int = Field(100, ge=1, description="Most complaints per bulk upload (LAPOR! limit)")
    manual_entry_channels: list[str] = Field(
        default_factory=lambda: ["manual", "whatsapp", "call112"],
        description="Channels a petugas may record a typed-in complaint under",
    )
    webhook_replay_grace_seconds: int = Field(
        60, ge=0, description="Pending webhook records older than this are re-normalised by replay"
    )
    sla_sweep_minutes: int = Field(15, ge=1, description="Interval of the SLA sweep in the worker")
    reminder_hour: int = Field(7, ge=0, le=23, description="Local hour from which the daily reminder goes out")
    outbox_poll_seconds: float = Field(10.0, gt=0, description="How often the worker sends due notifications")
    sync_poll_seconds: float = Field(30.0, gt=0, description="How often the worker looks for due connector syncs")

    whatsapp_graph_base_url: str = Field("https://graph.facebook.com", description="Meta Graph API base URL")
    whatsapp_graph_version: str = Field("v21.0", description="Graph API version used for sending")
    whatsapp_phone_number_id: str | None = Field(None, description="Sending phone number id (Cloud API)")
    whatsapp_token: SecretStr | None = Field(None, description="System-user access token for sending")
    whatsapp_template_language: str = Field("id", description="Language code of the approved templates")
    whatsapp_timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout of one send")
    whatsapp_retry_base_seconds: float = Field(30.0, ge=0, description="First retry delay; doubles per attempt")
    whatsapp_retry_max_seconds: float = Field(3600.0, ge=0, description="Longest delay between two attempts")
    whatsapp_max_attempts: int = Field(8, ge=1, description="Attempts before a notification is marked failed")

    letter_number_format: str = Field("800/{seq}/{opd_code}/{year}", description="Number of escalation letters")
    letter_place: str = Field("Blitar", description="Place printed before the letter date")
    pemda_address: str | None = Field(None, description="Address line of the kop surat")
    sekda_name: str | None = Field(None, description="Name of the Sekretaris Daerah signing letters")
    sekda_nip: str | None = Field(None, description="NIP of the Sekretaris Daerah")

    @field_validator("database_url")
    @classmethod
    def _parse_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"cannot parse database URL {value!r}") from exc
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides) -> Settings:
    """Build settings, turning validation errors into a one-line `SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = "ADUAN_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            parts.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid settings: " + "; ".join(parts)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
