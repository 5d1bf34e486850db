"""Google Business Profile reviews pull connector (docs/wire-formats.md).

Reviews come newest-`updateTime` first with no "since" filter, so each location (a partition of the
bookmark) is read until the reviews get older than its mark minus `reply_lookback_days` (a reply does
not move a review's updateTime, so recent reviews are re-read to catch replies). A location's pages
settle only when its walk has finished, so the runner moves its mark then; pages in between are
committed and idempotent, so a crash costs at most a re-read.

Write-back (`send`): an OPD's reply goes out as `PUT /v4/{review name}/reply {"comment"}`; Google answers
with the ReviewReply, whose `updateTime` names the reply event the next pull brings (`gbp-reply:…`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from connectors.base import (
    ComplaintDraft,
    DraftEvent,
    Lifecycle,
    Marks,
    NormaliseError,
    Page,
    PullConfig,
    PullConnector,
    RefusedError,
    RetriableError,
    Skip,
    TokenPaginator,
    UpstreamAck,
    UpstreamAction,
    dig,
    parse_timestamp,
    send_json_once,
)
from models.enums import EventKind, Status

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
# Google's error status of a refused reply → the reason staff read on the complaint.
REFUSALS = {"NOT_FOUND": "ulasan sudah tidak ada di Google",
            "INVALID_ARGUMENT": "Google menolak balasan (maks. 4.096 karakter, tidak boleh kosong)"}
LOCATION_NAME = re.compile(r"^accounts/[^/]+/locations/[^/]+$")


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="accounts/{account}/locations/{location}")
    opd: str = Field(min_length=1, description="OPD code answering for this place")
    label: str | None = Field(None, description="Place name shown in complaint titles")
    category: str | None = Field(None, description="Category code of complaints about this place")
    kecamatan: str | None = None
    desa: str | None = None

    @field_validator("name")
    @classmethod
    def _shape(cls, value: str) -> str:
        if not LOCATION_NAME.match(value):
            raise ValueError("harus berbentuk accounts/{akun}/locations/{lokasi}")
        return value


class GoogleReviewsConfig(PullConfig):
    base_url: AnyHttpUrl = Field("https://mybusiness.googleapis.com", description="Server speaking GBP v4")
    access_token: str = Field(min_length=1, repr=False, description="OAuth 2 bearer token")
    locations: list[Location] = Field(min_length=1)
    page_size: int = Field(50, ge=1, le=50)
    complaint_max_rating: int = Field(2, ge=1, le=5, description="Reviews at or below this are complaints")
    include_empty_comments: bool = Field(False, description="Also treat rating-only reviews as complaints")
    reply_lookback_days: int = Field(14, ge=0, description="Re-read this far back to catch new replies")

    @field_validator("locations")
    @classmethod
    def _unique(cls, value: list[Location]) -> list[Location]:
        names = [loc.name for loc in value]
        if len(names) != len(set(names)):
            raise ValueError("lokasi yang sama tercantum lebih dari sekali")
        return value


class GoogleReviewsConnector(PullConnector):
    name = "google_reviews"
    channel = "google_reviews"
    Config = GoogleReviewsConfig
    secret_fields = ("access_token",)
    primary_key = "name"
    cursor_field = "updateTime"
    paginator = TokenPaginator("nextPageToken")
    # A review that is already a complaint keeps what staff recorded locally (resolved, postponed…).
    keeps_handled_status = True
    lifecycle = Lifecycle(first_response="balasan pada ulasan (publik)", closes="OPD menandai selesai",
                          write_back=frozenset({"respond"}), reply_max_chars=4096, reply_carries_code=True)

    def __init__(self, config, policy=None):
        super().__init__(config, policy)
        self.locations = {loc.name: loc for loc in self.config.locations}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.access_token}"}

    def fetch_pages(self, client: httpx.Client, marks: Marks) -> Iterator[Page]:
        cfg: GoogleReviewsConfig = self.config
        headers = self._headers()
        for location in cfg.locations:
            url = f"{str(cfg.base_url).rstrip('/')}/v4/{location.name}/reviews"
            mark = marks.get(location.name)
            cutoff = mark - timedelta(days=cfg.reply_lookback_days) if mark else None

            def fetch(token: str | None, url=url) -> Any:
                params = {"pageSize": cfg.page_size, "orderBy": "updateTime desc"}
                if token:
                    params["pageToken"] = token
                return self.get_json(client, url, params, headers)

            for body in self.paginator.pages(fetch):
                reviews = dig(body, "reviews") or []
                records = [(self.external_id(r), r) for r in reviews]
                times = [parse_timestamp(r[self.cursor_field]) for r in reviews]
                caught_up = cutoff is not None and bool(times) and min(times) < cutoff
                yield Page(records, partition=location.name, settles=caught_up or not dig(body, "nextPageToken"))
                if caught_up:
                    break

    def send(self, client: httpx.Client, action: UpstreamAction) -> UpstreamAck:
        """Post the OPD's reply to the review (replacing an earlier one, as Google does)."""
        if action.action != "respond":
            raise RefusedError(f"aksi '{action.action}' tidak dikirim ke Google; hanya balasan ulasan")
        comment = (action.note or "").strip()
        if not comment:
            raise RefusedError("balasan ulasan kosong")
        name = action.external_id
        if LOCATION_NAME.match(name.split("/reviews/")[0]) is None or "/reviews/" not in name:
            raise RefusedError(f"nama ulasan tidak dikenal: {name!r}")
        url = f"{str(self.config.base_url).rstrip('/')}/v4/{name}/reply"

        def put() -> str:
            try:
                body = send_json_once(client, "PUT", url, {"comment": comment}, self._headers(),
                                      refuse=(400, 404), message_path="error.status")
            except RefusedError as exc:
                raise RefusedError(REFUSALS.get(str(exc), "Google menolak balasan") + f" ({exc})") from exc
            stamp = dig(body, "updateTime")
            if not isinstance(stamp, str) or not stamp:  # a cut body: PUT is idempotent, so try again
                raise RetriableError(f"jawaban Google atas balasan tanpa updateTime (PUT {url})")
            return stamp

        stamp = self.retrier.call(put)
        return UpstreamAck(event_external_id=f"gbp-reply:{stamp}", detail="balasan tampil di Google Maps")

    def normalise(self, payload: Any) -> ComplaintDraft | Skip:
        cfg: GoogleReviewsConfig = self.config
        location = self._location(payload)
        rating = STARS.get(payload.get("starRating"))
        comment = (payload.get("comment") or "").strip()
        if rating is None:
            return Skip("ulasan tanpa rating")
        # A review that is already a complaint stays one: an edit to more stars updates its rating.
        if rating > cfg.complaint_max_rating:
            return Skip(f"rating {rating} di atas ambang keluhan {cfg.complaint_max_rating}", {"rating": rating},
                        unless_known=self._draft(payload, location, rating, comment))
        if not comment and not cfg.include_empty_comments:
            return Skip("ulasan tanpa komentar", {"rating": rating},
                        unless_known=self._draft(payload, location, rating, comment))
        return self._draft(payload, location, rating, comment)

    def _location(self, payload: Any):
        location_name = str(payload.get("name", "")).split("/reviews/")[0]
        location = self.locations.get(location_name)
        if location is None:
            raise NormaliseError(f"lokasi {location_name!r} tidak ada di konfigurasi konektor")
        return location

    def _draft(self, payload: Any, location, rating: int, comment: str) -> ComplaintDraft:
        reviewer = payload.get("reviewer") or {}
        anonymous = bool(reviewer.get("isAnonymous"))
        place = location.label or str(payload.get("name", "")).split("/reviews/")[0]
        snippet = comment.split("\n")[0][:120] if comment else "tanpa komentar"
        events = []
        reply = payload.get("reviewReply")
        if reply and reply.get("updateTime"):
            # An edited reply is a new message; its first version stays the first response.
            events.append(DraftEvent(external_id=f"gbp-reply:{reply['updateTime']}",
                                     at=parse_timestamp(reply["updateTime"]), kind=EventKind.message_out,
                                     actor=place[:120], note=reply.get("comment"), is_opd_response=True))
        received = parse_timestamp(payload["createTime"])
        return ComplaintDraft(
            external_id=payload["name"],
            title=f"Ulasan {rating}★ {place}: {snippet}"[:300],
            body=comment,
            received_at=received,
            status=Status.in_progress if events else Status.dispatched,
            category_code=location.category,
            opd_code=location.opd,
            anonim=anonymous,
            reporter_name=None if anonymous else reviewer.get("displayName"),
            location_text=place,
            kecamatan=location.kecamatan,
            desa=location.desa,
            rating=rating,
            dispatched_at=received,
            events=events,
        )
