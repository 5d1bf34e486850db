"""SP4N-LAPOR! pull connector.

The integration API is issued to admin instansi on request and is not public, so everything that
depends on its field names lives in `FIELDS`, and the status/category/agency vocabularies are
default mappings that an instance's config can override without a code change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import httpx
from pydantic import AnyHttpUrl, Field, field_validator

from connectors.base import (
    ComplaintDraft,
    DraftEvent,
    FatalError,
    Lifecycle,
    Marks,
    NormaliseError,
    Page,
    PullConfig,
    PullConnector,
    TokenPaginator,
    UpstreamAck,
    UpstreamAction,
    dig,
    parse_timestamp,
    send_json_once,
)
from models.enums import Classification, EventKind, Status

# Our name → path in a LAPOR! report payload. The one place to touch when the API changes.
FIELDS = {
    "id": "tracking_id",
    "title": "title",
    "body": "content",
    "url": "url",
    "classification": "classification",
    "category": "category.name",
    "category_parent": "category.parent.name",
    "status": "status",
    "confidential": "is_confidential",
    "anonymous": "is_anonymous",
    "reporter_name": "reporter.name",
    "reporter_contact": "reporter.phone",
    "address": "location.address",
    "desa": "location.village",
    "kecamatan": "location.district",
    "lat": "location.latitude",
    "lon": "location.longitude",
    "created": "created_at",
    "updated": "updated_at",
    "verified": "verified_at",
    "closed": "closed_at",
    "dispositions": "dispositions",  # list; each item:
    "disposition_agency": "agency.name",
    "disposition_at": "at",
    "thread": "followups",  # list; each item:
    "thread_id": "id",
    "thread_author_type": "author_type",
    "thread_author": "author",
    "thread_text": "content",
    "thread_at": "created_at",
    "source": "source",  # how the report came in: web, sms (1708), aplikasi, media_sosial
}
REPORTS_PATH = "/api/v1/laporan"
# The write side: paths under a report and the names of the fields posted. The other place to touch.
WRITE = {
    "followup_path": "/api/v1/laporan/{id}/tindak-lanjut",
    "status_path": "/api/v1/laporan/{id}/status",
    "followup_text": "content",
    "status": "status",
    "status_note": "note",
    "status_agency": "agency",
    "followup_id": "data.id",  # in the answer to a follow-up
    "status_followup_id": "data.followup_id",  # in the answer to a status change with a note
    "message": "message",  # the reason of a refusal (409/422)
}
# Our workflow action → the LAPOR! status it sets (respond posts a follow-up instead).
ACTION_STATUS = {"verify": "terverifikasi", "dispatch": "didisposisikan", "postpone": "ditunda",
                 "resolve": "selesai", "reject": "bukan_kewenangan"}
SOURCES = {"web": "web", "website": "web", "sms": "sms", "sms_1708": "sms", "1708": "sms", "aplikasi": "aplikasi",
           "app": "aplikasi", "mobile": "aplikasi", "android": "aplikasi", "ios": "aplikasi",
           "media_sosial": "media_sosial", "medsos": "media_sosial", "twitter": "media_sosial",
           "facebook": "media_sosial", "instagram": "media_sosial", "social_media": "media_sosial"}
NEXT_TOKEN = "pagination.next_page_token"
AGENCY_REPLY_TYPES = {"instansi", "admin"}

DEFAULT_STATUS_MAP: dict[str, Status] = {
    "belum_terverifikasi": Status.unverified,
    "terverifikasi": Status.verified,
    "didisposisikan": Status.dispatched,
    "belum_ditindaklanjuti": Status.dispatched,
    "proses": Status.in_progress,
    "ditindaklanjuti": Status.in_progress,
    "ditunda": Status.postponed,
    "selesai": Status.resolved,
    "bukan_kewenangan": Status.rejected,
    "tidak_dapat_diproses": Status.rejected,
    "ditolak": Status.rejected,
    "diarsipkan": Status.archived,
}

# LAPOR! category ("Parent > Child" or "Parent") → our category code. Unlisted children fall back
# to their parent's mapping, then to `fallback_category`.
DEFAULT_CATEGORY_MAP: dict[str, str] = {
    "Infrastruktur": "INFRA",
    "Infrastruktur > Jalan": "INFRA-JALAN",
    "Infrastruktur > Jembatan": "INFRA-JEMBATAN",
    "Infrastruktur > Drainase dan Saluran Air": "INFRA-DRAINASE",
    "Infrastruktur > Penerangan Jalan Umum": "INFRA-PJU",
    "Kependudukan": "ADMINDUK",
    "Kependudukan > KTP Elektronik": "ADMINDUK-KTP",
    "Kependudukan > Kartu Keluarga dan Akta": "ADMINDUK-KK",
    "Pendidikan": "PENDIDIKAN",
    "Pendidikan > PPDB": "PENDIDIKAN-PPDB",
    "Kesehatan": "KESEHATAN",
    "Kesehatan > Rumah Sakit": "KESEHATAN-RS",
    "Kesehatan > Puskesmas": "KESEHATAN-PUSKESMAS",
    "Kesehatan > Jaminan Kesehatan": "KESEHATAN-BPJS",
    "Sosial": "BANSOS",
    "Sosial > Bantuan Sosial": "BANSOS-PKH",
    "Ketenteraman dan Ketertiban Umum": "TRANTIB",
    "Ketenteraman dan Ketertiban Umum > Pedagang Kaki Lima": "TRANTIB-PKL",
    "Perhubungan": "TRANSPORTASI",
    "Perhubungan > Parkir": "TRANSPORTASI-PARKIR",
    "Lingkungan Hidup dan Kehutanan": "LINGKUNGAN",
    "Lingkungan Hidup dan Kehutanan > Persampahan": "LINGKUNGAN-SAMPAH",
    "Lingkungan Hidup dan Kehutanan > Pencemaran": "LINGKUNGAN-POLUSI",
    "Air Minum": "AIR",
    "Ketenagakerjaan": "NAKER",
    "Kepegawaian": "KEPEGAWAIAN",
    "Perizinan": "PERIZINAN",
    "Pertanian": "PERTANIAN",
    "Penanggulangan Bencana": "BENCANA",
    "Pajak dan Retribusi": "PAJAK",
    "Pemerintahan Desa": "DESA",
}

CLASSIFICATIONS = {
    "pengaduan": Classification.pengaduan,
    "aspirasi": Classification.aspirasi,
    "permintaan_informasi": Classification.permintaan_informasi,
}


def _key(text: str) -> str:
    """Case-, space- and punctuation-insensitive key of an upstream label."""
    return "_".join(str(text).lower().replace(">", " > ").replace("-", " ").split()).replace("_>_", ">")


@cache
def _opd_names() -> dict[str, str]:
    """Our OPD names → codes (reference data), the default way to recognise a disposition agency."""
    rows = json.loads(files("core.reference.data").joinpath("opd.json").read_text(encoding="utf-8"))
    return {_key(name): code for code, name, *_rest in rows}


class LaporConfig(PullConfig):
    base_url: AnyHttpUrl = Field(description="Base URL of the LAPOR! integration API")
    token: str = Field(min_length=1, repr=False, description="API token issued to the admin instansi")
    token_header: str = Field("X-Lapor-Token", min_length=1)
    page_size: int = Field(100, ge=1, le=500)
    start_from: datetime | None = Field(None, description="First sync only asks for reports updated since")
    status_map: dict[str, Status] = Field(default_factory=dict, description="Overrides of DEFAULT_STATUS_MAP")
    category_map: dict[str, str] = Field(default_factory=dict, description="Overrides of DEFAULT_CATEGORY_MAP")
    fallback_category: str | None = Field("LAINNYA", description="Code for unmapped categories; null = fail")
    agency_map: dict[str, str] = Field(default_factory=dict, description="Agency name or id → OPD code")
    agency_suffix: str = Field(" Kabupaten Blitar", description="Stripped from agency names before matching")

    @field_validator("start_from")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("start_from harus memakai zona waktu, mis. 2026-01-01T00:00:00+07:00")
        return value


class LaporConnector(PullConnector):
    probe_path = REPORTS_PATH  # what `aduan doctor` asks for below base_url (401 without the token: reachable)
    name = "lapor"
    channel = "lapor"
    Config = LaporConfig
    secret_fields = ("token",)
    primary_key = FIELDS["id"]
    cursor_field = FIELDS["updated"]
    paginator = TokenPaginator(NEXT_TOKEN)
    lifecycle = Lifecycle(
        status_owner="SP4N-LAPOR!", first_response="balasan instansi di LAPOR!", closes="selesai di LAPOR!",
        write_back=frozenset({"verify", "dispatch", "respond", "postpone", "resolve", "reject"}))

    def __init__(self, config, policy=None):
        super().__init__(config, policy)
        cfg: LaporConfig = self.config
        self.status_map = {_key(k): v for k, v in {**DEFAULT_STATUS_MAP, **cfg.status_map}.items()}
        self.category_map = {_key(k): v for k, v in {**DEFAULT_CATEGORY_MAP, **cfg.category_map}.items()}
        self.agency_map = {**_opd_names(), **{_key(k): v for k, v in cfg.agency_map.items()}}

    # -- pull ---------------------------------------------------------------------------------------
    def fetch_pages(self, client: httpx.Client, marks: Marks) -> Iterator[Page]:
        cfg: LaporConfig = self.config
        url = str(cfg.base_url).rstrip("/") + REPORTS_PATH
        headers = {cfg.token_header: cfg.token}
        mark = marks.get("") or cfg.start_from
        # updated_since is inclusive: records sharing the mark come again, and land as unchanged.
        since = mark.isoformat() if mark else None

        def fetch(token: str | None) -> Any:
            params: dict[str, Any] = {"limit": cfg.page_size}
            if since:
                params["updated_since"] = since
            if token:
                params["page_token"] = token
            return self.get_json(client, url, params, headers)

        for body in self.paginator.pages(fetch):
            reports = dig(body, "data")
            if not isinstance(reports, list):
                raise FatalError("respons LAPOR! tanpa daftar 'data': format API berubah?")
            yield Page([(self.external_id(report), report) for report in reports],
                       expected=dig(body, "pagination.total"))

    # -- normalise ----------------------------------------------------------------------------------
    def normalise(self, payload: Any) -> ComplaintDraft:
        f = lambda name: dig(payload, FIELDS[name])  # noqa: E731
        status = self._status(f("status"))
        events = [self._event(item) for item in (f("thread") or [])]
        dispositions = f("dispositions") or []
        last_disposition = dispositions[-1] if dispositions else None
        dispatched = [parse_timestamp(dig(d, FIELDS["disposition_at"])) for d in dispositions]
        closed = f("closed")
        return ComplaintDraft(
            external_id=str(f("id")),
            title=(f("title") or "(tanpa judul)")[:300],
            body=f("body") or "",
            received_at=parse_timestamp(f("created")),
            classification=self._classification(f("classification")),
            status=status,
            category_code=self._category(f("category"), f("category_parent")),
            opd_code=self._agency(dig(last_disposition, FIELDS["disposition_agency"])) if last_disposition else None,
            rahasia=bool(f("confidential")),
            anonim=bool(f("anonymous")),
            reporter_name=f("reporter_name"),
            reporter_contact=f("reporter_contact"),
            location_text=f("address"),
            desa=f("desa"),
            kecamatan=f("kecamatan"),
            lat=f("lat"),
            lon=f("lon"),
            source_channel=self._source(f("source")),
            verified_at=parse_timestamp(f("verified")) if f("verified") else None,
            dispatched_at=min(dispatched) if dispatched else None,
            resolved_at=parse_timestamp(closed) if closed and status == Status.resolved else None,
            events=events,
        )

    # -- write back --------------------------------------------------------------------------------
    def send(self, client: httpx.Client, action: UpstreamAction) -> UpstreamAck:
        """One action to LAPOR!: a follow-up (respond) or a status change; 409/422 → RefusedError."""
        cfg: LaporConfig = self.config
        base = str(cfg.base_url).rstrip("/")
        headers = {cfg.token_header: cfg.token}
        # 404 here is about the report (unknown to LAPOR!), not the address: the action is refused too.
        refusal = {"message_path": WRITE["message"], "refuse": (404, 409, 422)}
        if action.action == "respond":
            url = base + WRITE["followup_path"].format(id=action.external_id)
            body = send_json_once(client, "POST", url, {WRITE["followup_text"]: action.note or ""}, headers,
                                  **refusal)
            posted = dig(body, WRITE["followup_id"])
            return UpstreamAck(event_external_id=f"lapor:{posted}" if posted else None)
        if action.action not in ACTION_STATUS:
            raise FatalError(f"aksi {action.action!r} tidak dikirim ke LAPOR!")
        payload: dict[str, Any] = {WRITE["status"]: ACTION_STATUS[action.action]}
        if action.action == "dispatch":
            if not action.opd_name:
                raise FatalError("disposisi tanpa nama OPD tujuan")
            payload[WRITE["status_agency"]] = self._agency_name(action.opd_name)
        elif action.note:
            payload[WRITE["status_note"]] = action.note
        url = base + WRITE["status_path"].format(id=action.external_id)
        body = send_json_once(client, "POST", url, payload, headers, **refusal)
        posted = dig(body, WRITE["status_followup_id"])
        return UpstreamAck(event_external_id=f"lapor:{posted}" if posted else None)

    def _agency_name(self, opd_name: str) -> str:
        """Our OPD name as LAPOR! knows the agency: a configured agency_map name, else name + suffix."""
        for upstream, code in self.config.agency_map.items():
            if self.agency_map.get(_key(opd_name)) == code:
                return upstream
        suffix = self.config.agency_suffix or ""
        return opd_name if opd_name.endswith(suffix) else opd_name + suffix

    def _source(self, value: Any) -> str | None:
        if not value:
            return None
        key = _key(value)
        return SOURCES.get(key, key[:32])

    def _status(self, value: Any) -> Status:
        try:
            return self.status_map[_key(value)]
        except KeyError:
            raise NormaliseError(f"status LAPOR! tidak dikenal: {value!r} (tambahkan ke status_map)") from None

    def _classification(self, value: Any) -> Classification:
        try:
            return CLASSIFICATIONS[_key(value or "pengaduan")]
        except KeyError:
            raise NormaliseError(f"klasifikasi LAPOR! tidak dikenal: {value!r}") from None

    def _category(self, name: str | None, parent: str | None) -> str | None:
        candidates = [f"{parent} > {name}", parent] if parent else [name]
        for candidate in candidates:
            if candidate and _key(candidate) in self.category_map:
                return self.category_map[_key(candidate)]
        if self.config.fallback_category is None:
            label = f"{parent} > {name}" if parent else name
            raise NormaliseError(f"kategori LAPOR! belum dipetakan: {label!r} (tambahkan ke category_map)")
        return self.config.fallback_category

    def _agency(self, name: str | None) -> str | None:
        if not name:
            return None
        suffix = self.config.agency_suffix
        stripped = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
        return self.agency_map.get(_key(name)) or self.agency_map.get(_key(stripped))

    def _event(self, item: dict[str, Any]) -> DraftEvent:
        author_type = _key(dig(item, FIELDS["thread_author_type"]) or "")
        from_agency = author_type in AGENCY_REPLY_TYPES
        return DraftEvent(
            external_id=f"lapor:{dig(item, FIELDS['thread_id'])}",
            at=parse_timestamp(dig(item, FIELDS["thread_at"])),
            kind=EventKind.message_out if from_agency else EventKind.message_in,
            actor=(dig(item, FIELDS["thread_author"]) or author_type or "LAPOR!")[:120],
            note=dig(item, FIELDS["thread_text"]),
            is_opd_response=author_type == "instansi",
        )
