"""Typed HTTP client for the Aduan Terpadu REST API: the dashboard's only way to data.

Every failure becomes an `ApiError` whose `message` is a short Indonesian sentence a user can read;
the technical cause stays in `detail` for logs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict
from urllib.parse import quote

import httpx

Params = Sequence[tuple[str, str]] | Mapping[str, Any] | None

NOT_AVAILABLE = "Data belum tersedia."


class ApiError(Exception):
    """The API did not give us what we asked for. `message` is for users, `detail` for operators."""

    def __init__(self, message: str, status: int | None = None, detail: str | None = None, payload: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail
        self.payload = payload  # the answer's JSON `detail` as sent (field errors, an upload's row report)

    @property
    def unavailable(self) -> bool:
        """The endpoint or the whole API is not there (yet): pages show 'Data belum tersedia'."""
        return self.status in (None, 404, 405, 501, 502, 503, 504)


class ApiUnavailable(ApiError):
    """The API could not be reached at all (down, refused, timed out)."""


# --- shapes of the answers: the API's response schemas as the dashboard reads them -----------------------
# tests/dashboard/test_client_contract.py checks every TypedDict here against the API's OpenAPI document.


class ChannelInfo(TypedDict):
    code: str
    label: str


class StatusInfo(TypedDict):
    code: str
    label: str
    bucket: str
    tone: str  # red | yellow | green | grey


class Summary(TypedDict):
    total: int
    open: int
    overdue: int
    by_status: dict[str, int]
    by_bucket: dict[str, int]
    completion_pct: float | None
    avg_followup_days: float | None
    days: str
    new_today: int
    new_this_week: int
    new_this_month: int
    latest_received_at: str | None
    generated_at: str
    merged_children: int  # duplicates merged into another complaint: left out, their group counted once


class GroupItem(TypedDict):
    key: str | None
    label: str | None
    total: int
    open: int
    resolved: int
    overdue: int
    completion_pct: float | None
    avg_followup_days: float | None


class KecamatanItem(GroupItem):
    lat: float | None
    lon: float | None


class TimePoint(TypedDict):
    period: str
    total: int
    resolved: int


class Satisfaction(TypedDict):
    asked: int
    sudah: int
    belum: int
    pct: float | None


class RaporRow(TypedDict):
    opd_code: str | None
    opd_name: str
    total: int
    resolved: int
    in_progress: int
    postponed: int
    not_followed_up: int
    unverified: int
    completion_pct: float | None
    avg_followup_days: float | None
    predikat: str | None
    reopened: int
    satisfaction: Satisfaction


class Rapor(TypedDict):
    period_start: str
    period_end: str
    days: str
    channel: str | None
    opd_scoped: bool
    generated_at: str
    rows: list[RaporRow]
    total: RaporRow
    merged_children: int  # duplicates merged into another complaint in the period: counted once, in their parent


class ChannelAge(TypedDict):
    channel: str
    label: str
    latest_received_at: str | None
    age_seconds: int | None
    stale_after_hours: float
    stale: bool


class Freshness(TypedDict):
    generated_at: str
    latest_received_at: str | None
    items: list[ChannelAge]


class ConnectorStatus(TypedDict):
    name: str
    kind: str
    channel: str
    pullable: bool
    enabled: bool
    schedule_seconds: int | None
    status: str
    last_run_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_counts: dict[str, Any] | None
    lag_seconds: float | None
    fetched_total: int
    new_total: int
    updated_total: int
    failed_total: int
    inbox_failed: int
    writeback_pending: int  # actions waiting to go out to the upstream (LAPOR!, Google)
    writeback_failed: list[dict[str, Any]]  # {complaint_id, tracking_code, action, error, at}


class HandbackPreview(TypedDict):
    rows: int  # what the LAPOR! hand-back download would return now
    batches: int
    already_handed_back: int  # matching complaints an earlier download handed back


class UserInfo(TypedDict):
    id: int
    username: str
    name: str
    role: str
    opd_code: str | None
    active: bool
    locked_until: str | None
    last_login_at: str | None
    created_at: str


class SimilarItem(TypedDict):
    """A possible duplicate of a complaint (GET /complaints/{id}/similar), best first."""

    id: int
    code: str  # tracking code
    channel: str
    score: float  # 0-1
    reasons: list[str]  # e.g. "teks mirip 0,82", "desa sama: Gogodeso", "jarak 120 m", "kategori sama: Jalan rusak"
    title: str
    status: str
    received_at: str


class PublicStep(TypedDict):
    """One step of a complaint's public timeline (GET /public/complaints/{code})."""

    at: str
    kind: str  # received | status | answer | verify | dispatch | respond | postpone | resolve | reject | merge | reopen
    label: str
    text: str | None
    by: str  # "OPD", "Admin", "Pelapor", "Sistem" or the channel: never a name


class PublicComplaint(TypedDict):
    """A complaint as anyone may see it: no reporter, no text while unverified/rejected/rahasia."""

    tracking_code: str
    status: str
    status_label: str
    channel_label: str
    opd_name: str | None
    category_name: str | None
    kecamatan: str | None
    received_at: str
    verified_at: str | None
    dispatched_at: str | None
    first_response_at: str | None
    resolved_at: str | None
    response_due_at: str | None
    resolution_due_at: str | None
    title: str | None
    body: str | None
    text_note: str | None
    reject_reason_label: str | None
    merged_into: str | None
    timeline: list[PublicStep]


class PublicMonth(TypedDict):
    month: str  # YYYY-MM
    period_start: str
    received: int
    counted: int  # rejected and archived left out, as in the rapor
    resolved: int
    completion_pct: float | None
    avg_followup_days: float | None


class PublicSummary(TypedDict):
    received: int
    open: int
    resolved: int
    completion_pct: float | None
    avg_followup_days: float | None
    merged_children: int


class PublicFigures(TypedDict):
    generated_at: str
    pemda_name: str
    months: int
    period_start: str
    period_end: str
    summary: PublicSummary
    by_month: list[PublicMonth]
    rapor: Rapor  # the last complete month's
    by_channel: list[GroupItem]
    by_kecamatan: list[KecamatanItem]


class TrendChannel(TypedDict):
    channel: str
    label: str
    count: int


class TopicExample(TypedDict):
    tracking_code: str
    text: str  # masked like everywhere else
    channel: str
    received_at: str


class TrendTopic(TypedDict):
    """One topic of a period's complaints (GET /trends/topics): its keywords, counts, places and daily series."""

    id: int
    label: str  # "banjir · saluran · kanigoro"
    keywords: list[str]
    count: int
    previous_count: int
    trend_ratio: float | None
    top_kecamatan: list[dict[str, Any]]  # {name, count}
    top_opd: list[dict[str, Any]]  # {code, name, count}
    channels: list[TrendChannel]
    examples: list[TopicExample]  # empty for viewers
    series: list[dict[str, Any]]  # {date, count}
    complaint_filter: dict[str, str]  # what Jelajah filters on for a click-through ({"q": …})


class TrendTopics(TypedDict):
    period: str
    start: str
    end: str
    computed_at: str | None
    method: str
    topics: list[TrendTopic]


class TrendSpike(TypedDict):
    """A count far above its own baseline (GET /trends/spikes), most unusual first."""

    id: int
    kind: str  # category_kecamatan | topic
    label: str  # "banjir di Kanigoro"
    category_code: str | None
    category_name: str | None
    kecamatan: str | None
    topic_id: int | None
    window: str  # day | week
    period_start: str
    period_end: str
    count: int
    expected: float
    ratio: float
    score: float
    channels: list[TrendChannel]
    first_seen_at: str
    notified_at: str | None


class TrendSpikes(TypedDict):
    computed_at: str | None
    method: str
    spikes: list[TrendSpike]


class TrendIssue(TypedDict):
    """A duplicate group across channels (GET /trends/issues): one line on the Isu page."""

    tracking_code: str
    title: str
    kecamatan: str | None
    count: int
    channels: list[TrendChannel]
    reporters: int
    status: str
    opd: str | None


@dataclass
class ComplaintPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


# --- the client -------------------------------------------------------------------------------------


def _status_message(status: int) -> str:
    if status == 401:
        return "Sesi Anda telah berakhir atau Anda belum masuk; silakan masuk kembali."
    if status == 403:
        return "Peran Anda tidak diizinkan melihat atau melakukan ini."
    if status in (404, 405, 501):
        return NOT_AVAILABLE
    if status == 409:
        return "Aksi ini tidak dapat dilakukan pada status aduan saat ini."
    if status == 422:
        return "Permintaan ditolak API: periksa kembali isian atau filter yang dipilih."
    if status == 429:
        return "API sedang sibuk; coba lagi sebentar lagi."
    return f"API mengalami galat (HTTP {status}); coba lagi nanti."


def _detail(response: httpx.Response) -> str:
    """The API's own sentence (its messages for people are in Bahasa Indonesia), not its JSON."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, dict) and "msg" in detail:
        detail = detail["msg"]
    elif isinstance(detail, list) and all(isinstance(d, dict) and "msg" in d for d in detail):
        detail = "; ".join(str(d["msg"]) for d in detail)
    return str(detail)[:300]


class Credentials(Protocol):
    """Whose request this is: a person's log-in (refreshable) or a wall TV's display token."""

    def headers(self, http: httpx.Client) -> dict[str, str]: ...

    def refresh(self, http: httpx.Client, rejected: dict[str, str]) -> bool:
        """The API refused `rejected` (401): get fresh headers, or say False when the log-in is over."""
        ...


class ApiClient:
    """Small synchronous client. One pooled connection set per dashboard process; `as_caller` gives a
    light copy that speaks for one browser session, so the API decides what that person may see."""

    def __init__(self, base_url: str, timeout: float = 15.0, transport: httpx.BaseTransport | None = None):
        headers = {"Accept": "application/json", "User-Agent": "aduan-dashboard"}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/api/v1", headers=headers, transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=3.0))
        self._credentials: Credentials | None = None

    def close(self) -> None:
        self._http.close()

    def as_caller(self, credentials: Credentials | None) -> ApiClient:
        twin = copy.copy(self)
        twin._credentials = credentials
        return twin

    # low level
    def _send(self, method: str, path: str, params: Params, json: Any, **extra: Any) -> httpx.Response:
        """`extra`: `files` (an upload) and `extra_headers` (e.g. Idempotency-Key) beside the log-in's own."""
        own = extra.pop("extra_headers", None) or {}
        headers = self._credentials.headers(self._http) if self._credentials else None
        response = self._http.request(method, path, params=_clean(params), json=json,
                                      headers={**(headers or {}), **own} or None, **extra)
        # Only a refused token says WWW-Authenticate; a wrong current password (401 too) must not be retried.
        refused_token = response.status_code == 401 and "www-authenticate" in response.headers
        if refused_token and self._credentials and self._credentials.refresh(self._http, headers):
            response = self._http.request(method, path, params=_clean(params), json=json,
                                          headers={**self._credentials.headers(self._http), **own}, **extra)
        return response

    def _request(self, method: str, path: str, params: Params = None, json: Any = None,
                 **extra: Any) -> httpx.Response:
        try:
            response = self._send(method, path, params, json, **extra)
        except httpx.TimeoutException as exc:
            raise ApiUnavailable("API tidak menjawab tepat waktu; data akan dicoba lagi.",
                                 detail=f"{exc.__class__.__name__} on {path}") from None
        except httpx.TransportError as exc:
            raise ApiUnavailable("API tidak dapat dihubungi. Periksa apakah layanan API berjalan.",
                                 detail=f"{exc.__class__.__name__} on {path}: {exc}") from None
        if response.status_code >= 400:
            raise ApiError(_status_message(response.status_code), response.status_code, _detail(response),
                           _payload(response))
        return response

    def get_json(self, path: str, params: Params = None) -> Any:
        response = self._request("GET", path, params)
        try:
            return response.json()
        except ValueError:
            raise ApiError("Jawaban API tidak dapat dibaca.", response.status_code, response.text[:200]) from None

    def get_bytes(self, path: str, params: Params = None) -> bytes:
        return self._request("GET", path, params).content

    # reference data
    def channels(self) -> list[ChannelInfo]:
        return self.get_json("/channels")

    def statuses(self) -> list[StatusInfo]:
        return self.get_json("/statuses")

    def opd(self) -> list[dict[str, Any]]:
        return self.get_json("/opd")

    def categories(self) -> list[dict[str, Any]]:
        return self.get_json("/categories")

    def kecamatan(self) -> list[dict[str, Any]]:
        return self.get_json("/kecamatan")

    # stats
    def summary(self, params: Params = None) -> Summary:
        return self.get_json("/stats/summary", params)

    def by_dimension(self, dimension: str, params: Params = None) -> list[GroupItem] | list[KecamatanItem]:
        """dimension: channel | opd | category | kecamatan (whose items carry the centroid)."""
        return self.get_json(f"/stats/by-{dimension}", params).get("items", [])

    def timeseries(self, bucket: str = "day", params: Params = None) -> list[TimePoint]:
        return self.get_json("/stats/timeseries", [*_pairs(params), ("bucket", bucket)]).get("items", [])

    def response_times(self, params: Params = None) -> dict[str, Any]:
        return self.get_json("/stats/response-times", params)

    def ratings(self, params: Params = None) -> dict[str, Any]:
        return self.get_json("/stats/ratings", params)

    def freshness(self) -> Freshness:
        """Newest complaint per channel, kabupaten-wide (not filtered, not OPD-scoped)."""
        return self.get_json("/stats/freshness")

    def calls(self, params: Params = None) -> dict[str, Any]:
        return self.get_json("/stats/calls", params)

    def call_handling_time(self, params: Params = None) -> dict[str, Any]:
        return self.get_json("/stats/calls/handling-time", params)

    # topics, spikes and issues (dashboard/pages/isu.py, the wall's spike line) and the weekly briefing
    def trend_topics(self, period: str = "week", end: str | None = None, params: Params = None) -> TrendTopics:
        query = [*_pairs(params), ("period", period)] + ([("end", end)] if end else [])
        return self.get_json("/trends/topics", query)

    def trend_spikes(self, window: str | None = None, limit: int | None = None, params: Params = None) -> TrendSpikes:
        """Spikes of the current day and week, most unusual first."""
        query = [*_pairs(params)] + ([("window", window)] if window else []) + ([("limit", str(limit))] if limit
                                                                                 else [])
        return self.get_json("/trends/spikes", query)

    def trend_issues(self, limit: int = 20, params: Params = None) -> list[TrendIssue]:
        return self.get_json("/trends/issues", [*_pairs(params), ("limit", str(limit))]).get("issues", [])

    def briefing_pdf(self, week: str | None = None) -> bytes:
        """The weekly briefing (analysts and admins); `week` like 2026-W49, default the last complete week."""
        return self.get_bytes("/briefing.pdf", {"week": week} if week else None)

    # complaints
    def complaints(self, params: Params = None, limit: int = 50, cursor: str | None = None,
                   sort: str = "-received_at") -> ComplaintPage:
        query = [*_pairs(params), ("limit", str(limit)), ("sort", sort)]
        if cursor:
            query.append(("cursor", cursor))
        body = self.get_json("/complaints", query)
        return ComplaintPage(items=body.get("items", []), next_cursor=body.get("next_cursor"))

    def complaint(self, complaint_id: int | str) -> dict[str, Any]:
        return self.get_json(f"/complaints/{complaint_id}")

    def similar(self, complaint_id: int | str, window_days: int | None = None, limit: int = 5) -> list[SimilarItem]:
        """Possible duplicates from any channel, each with its score and reasons."""
        query = {"limit": limit, "window_days": window_days}
        return self.get_json(f"/complaints/{complaint_id}/similar", query).get("items", [])

    def export(self, fmt: str, params: Params = None) -> bytes:
        return self.get_bytes(f"/export/complaints.{fmt}", params)

    # triage desk (dashboard/pages/verifikasi.py)
    def media(self, complaint_id: int | str, media_id: str) -> tuple[bytes, dict[str, str]]:
        """A reporter's photo/file: its bytes and the API's content headers (type, disposition, etag)."""
        response = self._request("GET", f"/complaints/{complaint_id}/media/{media_id}")
        keep = ("content-type", "content-disposition", "etag")
        return response.content, {k: response.headers[k] for k in keep if k in response.headers}

    # rapor and escalations
    def rapor(self, period_start: str, period_end: str, days: str = "working", channel: str | None = None) -> Rapor:
        return self.get_json("/rapor", _rapor_query(period_start, period_end, days, channel))

    def rapor_file(self, fmt: str, period_start: str, period_end: str, days: str = "working",
                   channel: str | None = None) -> bytes:
        return self.get_bytes(f"/rapor.{fmt}", _rapor_query(period_start, period_end, days, channel))

    def escalations(self, params: Params = None) -> list[dict[str, Any]]:
        return self.get_json("/escalations", params).get("items", [])

    def me(self) -> dict[str, Any]:
        """The dashboard key's own name, role and OPD (what it may do)."""
        return self.get_json("/me")

    # connectors
    def connectors(self) -> list[ConnectorStatus]:
        return self.get_json("/connectors")

    def sync_connector(self, name: str) -> dict[str, Any]:
        return self._request("POST", f"/connectors/{name}/sync").json()

    def audit(self, params: Params = None, limit: int = 500) -> dict[str, Any]:
        """Newest audit entries first (admins only): `items` and `next_before_id`."""
        return self.get_json("/audit", [*_pairs(params), ("limit", str(limit))])

    # public, no log-in (dashboard/pages/publik.py): called as an anonymous caller (state.public_client)
    def public_complaint(self, code: str) -> PublicComplaint:
        return self.get_json(f"/public/complaints/{quote(code, safe='')}")

    def public_figures(self, months: int = 12) -> PublicFigures:
        return self.get_json("/public/figures", {"months": months})

    # log-in: the dashboard's own session handling (dashboard/browser_session.py)
    def login(self, username: str, password: str) -> dict[str, Any]:
        return self._request("POST", "/auth/login", json={"username": username, "password": password}).json()

    def change_password(self, current_password: str, new_password: str) -> None:
        self._request("POST", "/auth/password", json={"current_password": current_password,
                                                      "new_password": new_password})

    def logout(self, refresh_token: str | None) -> None:
        self._request("POST", "/auth/logout", json={"refresh_token": refresh_token} if refresh_token else None)

    # workflow
    def act(self, complaint_id: int | str, action: str, note: str | None = None,
            opd: str | None = None, category: str | None = None, reason: str | None = None,
            into: int | str | None = None) -> dict[str, Any]:
        """Record a workflow action (tindak lanjut, selesai, kategori, tolak with a reason code, gabung `into`…);
        answers the complaint as it is now."""
        return self._request("POST", f"/complaints/{complaint_id}/actions",
                             json=_action_body(action, note, opd, category, reason, into)).json()

    def bulk_act(self, ids: list[int], action: str, note: str | None = None, opd: str | None = None,
                 category: str | None = None, reason: str | None = None,
                 into: int | str | None = None) -> list[dict[str, Any]]:
        """The same action on up to 200 complaints, all or nothing: [{id, status}]. A refusal raises ApiError
        whose `payload` is {"msg", "errors": [{"id", "msg"}]} (nothing was changed)."""
        body = {"ids": list(ids), **_action_body(action, note, opd, category, reason, into)}
        return self._request("POST", "/complaints/bulk-actions", json=body).json()["results"]

    def reject_reasons(self) -> list[dict[str, str]]:
        """[{code, label}] for the reject action's `reason`."""
        return self.get_json("/reference/reject-reasons")

    # daily work of the petugas desk and the Kominfo admin (dashboard/pages/aduan_baru, unggah, serah_lapor,
    # penghubung)
    def create_complaint(self, entry: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """One walk-in (POST /complaints); a repeated submit with the same key answers the first complaint."""
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._request("POST", "/complaints", json=entry, extra_headers=extra).json()

    def import_complaints(self, filename: str, content: bytes, partial: bool = False) -> dict[str, Any]:
        """The ≤ 100-row upload; a refused file or bad rows come back as ApiError whose `payload` is the report."""
        return self._request("POST", "/complaints/import", {"partial": partial} if partial else None,
                             files={"file": (filename, content, "application/octet-stream")}).json()

    def import_template(self) -> bytes:
        return self.get_bytes("/complaints/import/template.xlsx")

    def lapor_handback_preview(self, params: Params = None) -> HandbackPreview:
        """What the hand-back download would return with these filters (reads only, records nothing)."""
        return self.get_json("/lapor-manual/preview", params)

    def lapor_handback(self, params: Params = None) -> tuple[bytes, dict[str, str]]:
        """The LAPOR! hand-back workbook and its `X-…` count headers (lower-case names)."""
        response = self._request("GET", "/export/lapor-manual.xlsx", params)
        return response.content, {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-")}

    def users(self, role: str | None = None) -> list[UserInfo]:
        return self.get_json("/users", {"role": role} if role else None)

    def create_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Answers the user; with no password sent, also the generated `password` (shown once)."""
        return self._request("POST", "/users", json=user).json()

    def update_user(self, username: str, changes: dict[str, Any]) -> UserInfo:
        return self._request("PATCH", f"/users/{username}", json=changes).json()

    def reset_password(self, username: str, password: str | None = None) -> dict[str, Any]:
        """{"username", "generated", "password"}: `password` only when generated (shown once)."""
        body = {"password": password} if password else None
        return self._request("POST", f"/users/{username}/password", json=body).json()


def _payload(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("detail") if isinstance(body, dict) else body


def _action_body(action: str, note: str | None, opd: str | None, category: str | None, reason: str | None,
                 into: int | str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action, "note": note or None, "opd": opd or None}
    extra = {"category": category or None, "reason": reason or None, "into": int(into) if into else None}
    return {**body, **{name: value for name, value in extra.items() if value is not None}}


def _pairs(params: Params) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in params.items():
            values = value if isinstance(value, list | tuple) else [value]
            out.extend((key, _text(v)) for v in values if v is not None and v != "")
        return out
    return [(k, _text(v)) for k, v in params if v is not None and v != ""]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _clean(params: Params) -> list[tuple[str, str]] | None:
    pairs = _pairs(params)
    return pairs or None


def _rapor_query(period_start: str, period_end: str, days: str, channel: str | None) -> dict[str, str]:
    query = {"period_start": period_start, "period_end": period_end, "days": days}
    if channel:
        query["channel"] = channel
    return query
