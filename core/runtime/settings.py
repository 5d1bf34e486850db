"""Application settings, read only from `ADUAN_*` environment variables and `.env`."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class SettingsError(RuntimeError):
    """Settings are unusable; the message is a one-line explanation for the operator."""


# Hours of silence after which a channel's feed is suspect: LAPOR! and WhatsApp arrive every day, a 112 export
# at least every other day, reviews and walk-ins can be quiet for a week.
CHANNEL_STALE_HOURS: dict[str, float] = {"lapor": 24, "whatsapp": 24, "call112": 48, "open311": 72,
                                         "google_reviews": 168, "manual": 168, "*": 72}
# Why a complaint is rejected (reject action); merging a duplicate rejects it as "duplikat".
REJECT_REASONS: dict[str, str] = {"tidak_substantif": "Tidak substantif", "bukan_wewenang": "Bukan wewenang",
                                  "duplikat": "Duplikat", "spam": "Spam", "data_tidak_lengkap": "Data tidak lengkap"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADUAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./aduan.db",
        description="SQLAlchemy database URL: an embedded SQLite file by default; PostgreSQL as postgresql+psycopg://user:password@host:5432/db",
    )
    db_pool_size: int = Field(
        20, ge=1, le=500,
        description="Database connections each process keeps open (API threads hold one per request)",
    )
    db_max_overflow: int = Field(
        40, ge=0, le=1000,
        description="Extra connections opened under load; size + overflow must exceed the API's 40 worker threads",
    )
    db_pool_timeout_seconds: float = Field(
        10, gt=0, le=300,
        description="How long a request waits for a free connection before it is answered 503 (try again)",
    )
    # A streaming replica for the read-only routes (core/runtime/replica.py, docs/architecture.md "Read replica").
    read_database_url: str | None = Field(
        None,
        description="PostgreSQL hot standby (streaming replica of ADUAN_DATABASE_URL) that answers the read-only "
        "API routes: /stats, rapor, export, the complaint list and detail, the public pages, trends; writes, log-in "
        "and audit stay on the primary. Unset = every read on the primary",
    )
    read_replica_max_lag_seconds: float = Field(
        10.0, ge=0, le=86_400,
        description="Reads go back to the primary while the replica is more than this many seconds behind it, or "
        "cannot be reached, and return to the replica once it catches up",
    )
    read_replica_check_seconds: float = Field(
        2.0, gt=0, le=300,
        description="Seconds one measurement of the replica's lag is reused (per API process) before it is taken "
        "again",
    )
    timezone: str = Field(
        "Asia/Jakarta",
        description="IANA timezone of the pemda: working days, reminder hour, local dates in the UI and rapor",
    )
    regional_holidays: list[date] = Field(
        default_factory=list,
        description='Regional holidays on top of national ones and cuti bersama, a JSON list, e.g. ["2026-08-01"]',
    )
    pemda_name: str = Field("Pemerintah Kabupaten Blitar", description="Name of the pemda printed on letters and rapor")
    pemda_logo_path: str | None = Field(
        None, description="Path to a PNG logo for the letterhead (kop surat) of letters and rapor; unset = no logo"
    )
    sekda_opd_code: str = Field(
        "SETDA",
        description="OPD code of the Sekretariat Daerah, the top of the escalation ladder (copied on every escalation)",
    )

    api_host: str = Field("127.0.0.1", description="Address the API and the dashboard bind to (0.0.0.0 in a container)")
    api_port: int = Field(8000, description="TCP port of the REST API")
    api_workers: int = Field(
        1, ge=1, le=64,
        description="API processes `aduan serve` starts (uvicorn workers sharing one port; the dashboard stays one "
        "process); more than 1 needs PostgreSQL",
    )
    dashboard_port: int = Field(8050, description="TCP port of the dashboard")
    dashboard_api_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL at which the dashboard reaches the API"
    )
    dashboard_timeout_seconds: float = Field(30.0, gt=0, description="Seconds the dashboard waits for one API response")
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses or networks (JSON list, CIDR allowed) whose X-Forwarded-For the API believes: the "
        "dashboard's and a reverse proxy's. The dashboard forwards each person's address, so the audit log and "
        "the log-in throttle see the person, not the dashboard",
    )
    dashboard_secret: SecretStr | None = Field(
        None,
        description="Secret that signs the dashboard's session cookie (at least 32 characters); unset = a random "
        "one per process, so log-ins end when the dashboard restarts. Set it when several dashboard processes run",
    )
    dashboard_secure_cookies: bool = Field(
        False, description="Send the dashboard's session cookie over HTTPS only (set it behind a TLS proxy)"
    )
    # Public, no log-in: the /publik page and /api/v1/public/*.
    public_base_url: str | None = Field(
        None,
        description="Address at which citizens reach the dashboard, used in the public link of a complaint "
        "({base}/publik?kode=<code>) sent on WhatsApp; unset = the dashboard's own http://<host>:<port>",
    )
    public_rate_per_minute: int = Field(
        60, ge=1, le=100_000,
        description="Requests per minute one client address may make to the public, no-log-in API routes (the "
        "/publik page's data); more are answered 429 with Retry-After. Counted per API process",
    )
    public_figures_cache_seconds: int = Field(
        300, ge=0, le=86_400,
        description="Seconds the public figures (the /publik page's Angka) are kept and served again before they "
        "are counted anew, per API process; 0 = counted for every request",
    )

    # Log-in
    auth_secret: SecretStr | None = Field(
        None,
        description="Secret that signs log-in tokens (HS256, at least 32 characters); unset = a random secret kept "
        "in the database, shared by every API process",
    )
    access_token_minutes: int = Field(15, ge=1, le=1440, description="Minutes a log-in access token is valid")
    refresh_token_days: int = Field(
        7, ge=1, description="Days a log-in lasts without activity (its refresh token; every refresh extends it)"
    )
    login_max_failures: int = Field(
        5, ge=1, description="Wrong passwords in a row after which an account is locked for a while"
    )
    login_lockout_minutes: int = Field(15, ge=1, description="Minutes an account stays locked after too many failures")
    display_token_days: int = Field(
        365, ge=1, description="Days a read-only display token for a wall TV stays valid (`aduan users display-token`)"
    )
    refresh_seconds: int = Field(60, ge=5, description="Seconds between automatic refreshes of the wall display")
    stale_minutes: int = Field(
        120, ge=1, description="The wall display warns when the newest complaint is older than this many minutes"
    )
    channel_stale_hours: dict[str, float] = Field(
        default_factory=lambda: dict(CHANNEL_STALE_HOURS),
        description="Per channel, hours after its newest record at which its card and Konektor warn, as a JSON "
                    'object; "*" for channels not listed, e.g. {"lapor": 24, "call112": 48, "*": 72}',
    )

    response_days: int = Field(
        3, ge=1, description="Working days an OPD has for the first response / verification of a complaint"
    )
    sla_tiers: dict[str, int] = Field(
        default_factory=lambda: {"cepat": 5, "sedang": 14, "lama": 60},
        description='Completion deadline in working days per SLA tier, as a JSON object, e.g. {"cepat": 5}',
    )
    default_sla_tier: str = Field("sedang", description="SLA tier of complaints whose category has none")
    ladder_exempt: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Per channel, the category codes its upstream handles to the end (no deadlines, no '
                    'escalation ladder; children included, "*" = all), replacing what the connector declares, '
                    'as a JSON object, e.g. {"call112": ["KEBAKARAN", "BENCANA"], "whatsapp": []}',
    )
    reject_reasons: dict[str, str] = Field(
        default_factory=lambda: dict(REJECT_REASONS),
        description="Reasons a complaint may be rejected for, code to label, as a JSON object; must keep "
                    '"duplikat" (merging closes duplicates with it), e.g. {"duplikat": "Duplikat", "spam": "Spam"}',
    )
    predikat_thresholds: list[tuple[str, float, float]] = Field(
        default_factory=lambda: [
            ("Sangat Baik", 95.0, 5.0),
            ("Baik", 85.0, 20.0),
            ("Sedang", 70.0, 40.0),
        ],
        description="Rapor predikat as a JSON list of [predikat, min completion %, max average follow-up days], "
        "best first; an OPD meeting none is Kurang",
    )
    # Duplicate candidates (core/triage/similar.py).
    similar_window_days: int = Field(
        14, ge=1, le=90, description="Days before and after a complaint's receipt searched for possible duplicates"
    )
    similar_min_score: float = Field(
        0.45, ge=0, le=1, description="Lowest score (0-1: text, place and category) a possible duplicate must reach"
    )
    similar_distance_m: float = Field(
        1000.0, gt=0, description="Metres within which two complaints' coordinates count as the same place"
    )
    similar_max_candidates: int = Field(
        100, ge=10, le=5000,
        description="Most complaints (the likeliest by place, category and keywords) compared per request",
    )
    whatsapp_thread_window_minutes: int = Field(
        60, ge=0, description="WhatsApp messages from one number within this many minutes form one complaint thread"
    )
    sync_timeout_seconds: float = Field(30.0, gt=0, description="HTTP timeout in seconds of one connector request")
    sync_retry_attempts: int = Field(
        6, ge=1, description="Tries per upstream request (timeouts, 429, 5xx) before a connector run gives up"
    )
    sync_backoff_seconds: float = Field(
        1.0, ge=0, description="Base delay in seconds of the exponential retry backoff (full jitter)"
    )
    sync_backoff_max_seconds: float = Field(60.0, ge=0, description="Longest wait in seconds between two retries")
    sync_retry_after_max_seconds: float = Field(
        300.0, ge=0, description="Longest upstream Retry-After honoured, in seconds"
    )
    sync_lease_seconds: int = Field(
        900,
        ge=10,
        description="A connector run without a heartbeat for this many seconds is presumed dead; a new run may start",
    )
    sync_reader_process: Literal["backfill", "always", "never"] = Field(
        "backfill",
        description="Where a pull reads and translates its pages: in a child process beside the writer for a "
                    "backfill (no bookmark yet), for every run, or never (a thread of the sync's own process)",
    )
    manual_import_max_rows: int = Field(
        100, ge=1, description="Most complaints per bulk CSV/XLSX upload (the LAPOR! manual-book limit)"
    )
    # Hostile uploads: every CSV/XLSX (manual upload, 112 export) is checked against these before and while
    # it is read; an XLSX is parsed in a separate, killable process.
    upload_max_bytes: int = Field(
        5 * 2**20, ge=1024, description="Largest CSV/XLSX file a person may upload (bulk manual entry), in bytes"
    )
    upload_export_max_bytes: int = Field(
        50 * 2**20, ge=1024,
        description="Largest export file (112 CAD) imported from the command line, a watched folder or a URL, in "
        "bytes; a download stops reading beyond it",
    )
    upload_xlsx_max_members: int = Field(500, ge=10, description="Most files inside one XLSX (zip) archive")
    upload_xlsx_max_member_bytes: int = Field(
        50 * 2**20, ge=2**20, description="Largest uncompressed size of one file inside an XLSX archive, in bytes"
    )
    upload_xlsx_max_total_bytes: int = Field(
        100 * 2**20, ge=2**20,
        description="Largest uncompressed size of all files of an XLSX archive together, in bytes",
    )
    upload_xlsx_max_ratio: float = Field(
        100.0, ge=10,
        description="Highest compression ratio (uncompressed / compressed) of a file over 1 MB inside an XLSX; "
        "more is a decompression bomb",
    )
    upload_max_rows: int = Field(
        100_000, ge=1,
        description="Most data rows read from an export file (a manual upload stops at ADUAN_MANUAL_IMPORT_MAX_ROWS)",
    )
    upload_max_cells: int = Field(
        2_000_000, ge=1000, description="Most cells (empty ones included) read from one CSV/XLSX file"
    )
    upload_max_field_chars: int = Field(
        32_767, ge=1000, description="Longest CSV field in characters (Excel's own cell limit by default)"
    )
    upload_parse_seconds: float = Field(
        30.0, gt=0, description="Wall-clock seconds one XLSX may take to read; its worker process is then killed"
    )
    upload_parse_workers: int = Field(
        2, ge=1, description="XLSX files read at the same time per API process (each in its own worker process)"
    )
    upload_parse_memory_mb: int = Field(
        1024, ge=256, description="Address-space limit of one XLSX worker process, in MB"
    )
    body_max_bytes: int = Field(
        2**20, ge=1024,
        description="Largest request body of every route except the upload (JSON, forms, webhooks), in bytes; "
        "larger bodies get 413 before they are read (the upload route allows ADUAN_UPLOAD_MAX_BYTES plus "
        "multipart overhead)",
    )
    manual_entry_channels: list[str] = Field(
        default_factory=lambda: ["manual", "whatsapp", "call112"],
        description="Channels under which staff may type in a complaint, as a JSON list",
    )
    webhook_replay_grace_seconds: int = Field(
        60,
        ge=0,
        description="Webhook deliveries still pending after this many seconds are normalised again by the worker "
        "and `aduan replay-webhooks`",
    )
    sla_sweep_minutes: int = Field(
        15, ge=1, description="Minutes between two SLA sweeps of the worker (reminders, letters, escalations)"
    )
    reminder_hour: int = Field(
        7, ge=0, le=23, description="Local hour (0–23) from which the daily WhatsApp reminder goes out on working days"
    )
    outbox_poll_seconds: float = Field(
        10.0, gt=0, description="Seconds between two passes of the worker over the notification outbox"
    )
    sync_poll_seconds: float = Field(
        30.0, gt=0, description="Seconds between two checks of the worker for connector syncs that are due"
    )
    triage_min_examples: int = Field(
        50, ge=1,
        description="Labelled complaints (LAPOR! dispositions, categories and OPD set by staff) needed before "
        "category/OPD suggestions are trained and shown; below it suggestions say \"belum cukup data\"",
    )
    triage_retrain_hour: int = Field(
        2, ge=0, le=23,
        description="Local hour (0–23) from which the worker retrains the suggestions once a night, when there "
        "are new labels",
    )

    whatsapp_graph_base_url: str = Field(
        "https://graph.facebook.com", description="Base URL of the Meta Graph API that sends WhatsApp reminders"
    )
    whatsapp_graph_version: str = Field("v21.0", description="Graph API version used for sending, e.g. v21.0")
    whatsapp_phone_number_id: str | None = Field(
        None,
        description="WhatsApp Cloud API phone number id that sends reminders; unset = notifications wait in the outbox",
    )
    whatsapp_token: SecretStr | None = Field(
        None, description="System-user access token for sending; on an auth error sending stops until it changes"
    )
    whatsapp_template_language: str = Field("id", description="Language code of the approved message templates")
    whatsapp_timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout in seconds of one send")
    whatsapp_retry_base_seconds: float = Field(
        30.0, ge=0, description="First delay in seconds before resending a failed notification; doubles per attempt"
    )
    whatsapp_retry_max_seconds: float = Field(
        3600.0, ge=0, description="Longest delay in seconds between two attempts of one notification"
    )
    whatsapp_max_attempts: int = Field(8, ge=1, description="Attempts before a notification is marked failed")
    whatsapp_unsure_minutes: float = Field(
        30.0, ge=0,
        description="Minutes a message whose send may have reached Meta (the worker stopped between the request and "
        "recording the answer) waits for Meta's status callback before it is sent again",
    )
    # Messages to the reporter (core/casework/citizen.py, citizen_loop.py).
    citizen_notice_channels: list[str] = Field(
        default_factory=lambda: ["whatsapp", "manual"],
        description="Channels whose reporters, when their contact is a phone number, hear on WhatsApp of their "
        "complaint's tindak lanjut, postponement, completion or rejection (walk-ins consented at entry), as a "
        "JSON list",
    )
    citizen_ack_max_age_hours: float = Field(
        72.0, ge=0,
        description="A new WhatsApp complaint is acknowledged (tracking code, public link, response date) only "
        "when its first message is at most this many hours old (not for old deliveries replayed or imported)",
    )
    satisfaction_days: int = Field(
        7, ge=1, le=90,
        description="Days after completion during which the reporter's \"1 Sudah\" / \"2 Belum\" answers the "
        "\"sudah beres?\" question (a \"Belum\" reopens the complaint) instead of opening a new complaint",
    )
    media_max_bytes: int = Field(
        16 * 2**20, ge=1024,
        description="Largest reporter photo/video/document downloaded from WhatsApp, in bytes (WhatsApp itself caps "
        "images at 5 MB, audio and video at 16 MB); a larger one is marked failed",
    )
    media_max_attempts: int = Field(
        5, ge=1, description="Tries to download one reporter media file before it is marked failed with the reason"
    )
    media_retry_base_seconds: float = Field(
        60.0, ge=0, description="First wait in seconds before a failed media download is tried again; doubles per try"
    )

    # Topics and spikes (core/trends, docs/domain.md "Topics and spikes").
    trends_topics: int = Field(
        10, ge=2, le=50, description="Topics the nightly job looks for in a week's or a month's complaints (NMF "
        "components; fewer when there are few complaints)",
    )
    trends_min_topic_size: int = Field(
        3, ge=1, description="A topic holding fewer complaints of its period than this is not shown")
    trends_minutes: float = Field(
        60.0, gt=0, description="Minutes between two runs of the worker's trends job: the topics of the current week "
        "and month are refitted and the day's and the week's counts checked for spikes",
    )
    trends_baseline_weeks: int = Field(
        8, ge=2, le=52, description="Weeks of history of a spike's baseline: the mean of the same weekday (a day) or "
        "of the same part of the week (a week) over that many previous weeks",
    )
    trends_spike_p: float = Field(
        0.001, gt=0, lt=1, description="A count is a spike when the Poisson probability of at least that many, "
        "given its baseline, is below this",
    )
    trends_spike_min_count: int = Field(
        5, ge=1, description="Fewest complaints a day or a week needs before it can be called a spike")
    trends_min_expected: float = Field(
        0.3, gt=0, description="Floor of a baseline (complaints per day; seven times this per week), so that a "
        "kecamatan that never complained is not called a spike on its first two complaints",
    )
    trends_notify_opd_code: str = Field(
        "DISKOMINFO", description="OPD whose active WhatsApp admins hear of each new spike (template "
        "lonjakan_aduan), once per spike",
    )

    # The weekly briefing for the Bupati and the Sekda (core/reporting/briefing.py).
    briefing_recipients: list[str] = Field(
        default_factory=list,
        description="WhatsApp numbers that receive the weekly briefing PDF every Monday (Bupati, Sekda…), as a JSON "
        "list; empty = the briefing is made and stored but not sent",
    )
    briefing_template: str = Field(
        "ringkasan_mingguan", description="Approved WhatsApp template that carries the weekly briefing: a document "
        "header (the PDF) and four body parameters (the ISO week, its dates, the figures, the biggest spike)",
    )
    briefing_hour: int = Field(
        7, ge=0, le=23, description="Local hour (0–23) on Monday from which the worker makes and sends the briefing "
        "of the week that just ended",
    )

    # Monthly partitions on PostgreSQL (core/runtime/partitions.py, core/runtime/raw_archive.py).
    partition_months_ahead: int = Field(
        3, ge=1, le=36, description="PostgreSQL: the worker keeps monthly partitions of complaint_event, raw_record, "
        "audit_log and notification made this many months ahead of the current one (every 6 hours and at start)",
    )
    rollup_fold_seconds: float = Field(
        60.0, gt=0, description="Seconds between two folds of the complaint changes the triggers recorded into the "
        "daily rollup (reads are exact either way; a long backlog only makes them slower)",
    )
    rollup_reconcile_hour: int = Field(
        3, ge=0, le=23, description="Local hour (0–23) from which the worker checks the daily rollup against the "
        "complaints once a night and rebuilds any day that differs (reported in /metrics)",
    )
    raw_archive_after_months: int = Field(
        24, ge=1, le=600, description="PostgreSQL: `aduan db archive-raw` writes raw_record months older than this "
        "many whole months to ADUAN_RAW_ARCHIVE_DIR, checks the file, then drops the month's partition",
    )
    raw_archive_dir: str = Field(
        "./arsip-raw", description="Directory of `aduan db archive-raw`'s files, raw_record_YYYY_MM.jsonl.gz",
    )

    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines of `aduan serve` and `aduan worker`: one JSON object per line, or plain text"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest level logged")
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics (aggregates only)")
    metrics_token: SecretStr | None = Field(
        None, description="When set, /metrics requires `Authorization: Bearer <token>`; unset = open to anyone "
        "who can reach the API"
    )

    letter_number_format: str = Field(
        "800/{seq}/{opd_code}/{year}",
        description="Number of an escalation letter; placeholders {seq}, {opd_code}, {year}",
    )
    letter_place: str = Field("Blitar", description="Place printed before the date of a letter")
    pemda_address: str | None = Field(None, description="Address line of the letterhead (kop surat)")
    sekda_name: str | None = Field(None, description="Name of the Sekretaris Daerah who signs escalation letters")
    sekda_nip: str | None = Field(None, description="NIP of the Sekretaris Daerah printed under the signature")

    @field_validator("auth_secret", "dashboard_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters "
                             "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return value

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

    @field_validator("read_database_url")
    @classmethod
    def _read_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            url = make_url(value.strip())
        except ArgumentError as exc:
            raise ValueError(f"cannot parse database URL {value!r}") from exc
        if url.get_backend_name() != "postgresql":
            raise ValueError("a read replica must be PostgreSQL (postgresql+psycopg://…)")
        return value.strip()

    @model_validator(mode="after")
    def _replica_of_postgres(self) -> Settings:
        if self.read_database_url and make_url(self.database_url).get_backend_name() != "postgresql":
            raise ValueError("ADUAN_READ_DATABASE_URL needs ADUAN_DATABASE_URL on PostgreSQL (SQLite has no replica)")
        return self

    @field_validator("channel_stale_hours")
    @classmethod
    def _positive_hours(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [code for code, hours in value.items() if not hours > 0]
        if bad:
            raise ValueError(f"hours must be above 0 (channel {', '.join(bad)})")
        return value

    def channel_stale_after(self, channel: str | None) -> float:
        """Hours after a channel's newest record at which it counts as quiet for too long."""
        hours = self.channel_stale_hours
        return hours.get(channel or "", hours.get("*", CHANNEL_STALE_HOURS["*"]))

    @field_validator("reject_reasons")
    @classmethod
    def _reject_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [code for code, label in value.items()
               if not code or len(code) > 32 or code != code.strip() or not str(label).strip()]
        if bad:
            raise ValueError("codes must be 1-32 characters without spaces around, labels not empty "
                             f"({', '.join(bad)})")
        if "duplikat" not in value:
            raise ValueError('must include "duplikat" (merging a duplicate rejects it with that reason)')
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

    @field_validator("public_base_url")
    @classmethod
    def _public_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


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
