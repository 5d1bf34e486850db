"""YouTube comments pull connector (YouTube Data API v3, docs/wire-formats.md "YouTube Data API v3").

`GET {base_url}/youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=<channel>&order=time
&maxResults=≤100&textFormat=plainText&pageToken=…&key=<API key>` → `{"items": [commentThread…], "nextPageToken"}`;
a thread is `{"id", "snippet": {"channelId", "videoId", "topLevelComment": comment, "totalReplyCount", …},
"replies": {"comments": [comment…]}}` and a comment `{"id", "snippet": {"textDisplay", "textOriginal",
"authorDisplayName", "authorChannelId": {"value"}, "parentId"?, "publishedAt", "updatedAt", "likeCount", …}}`.

- **What becomes what.** A thread is one `ComplaintDraft` keyed by its id (= its top-level comment's id), classified
  `kandidat`: most comments under a pemda's videos are praise, questions or noise, and the triage desk decides
  (core ranks the candidates by how likely each is a complaint). Replies are the thread's messages (`DraftEvent`s):
  the channel's own replies are the pemda's public answer (`message_out`, its first response), everybody else's —
  the author adding detail, neighbours saying "di desa saya juga" — come in (`message_in`). An edit moves the
  comment's `updatedAt`: the same draft with new words (core keeps what staff decided since,
  `keeps_staff_decisions`); an edited reply is a new message "(diedit) …".
- **Paging.** `order=time` pages threads newest first (by the top-level comment's `publishedAt`, the cursor) with no
  "since" filter, so each configured channel (a partition of the bookmark) is read until its threads get older than
  its mark minus `lookback_days` (an edit or a new reply does not move a thread up, so recent threads are re-read to
  catch them). A channel's pages settle only when its walk is over; pages in between are committed and idempotent,
  so a crash costs at most a re-read. `commentThreads` carries at most a few replies per thread: when
  `totalReplyCount` says there are more, `comments.list?parentId=` fetches them all into the landed thread.
- **Quota.** Every list call costs quota units out of the project's daily allowance. When it is spent YouTube
  answers 403 `quotaExceeded` (or `dailyLimitExceeded`) until its daily reset at midnight Pacific time: that is not
  a broken config but a wait, so the run stops at once with a `RetriableError` whose `retry_after` runs to the reset
  (never retried inside the run) and, the walk not having settled, the bookmark stays where it was. 429, 5xx,
  403 `rateLimitExceeded`, timeouts and truncated bodies are retried with backoff as every pull connector does; a
  bad key (400 `keyInvalid`), an unknown channel (404) or a repeated page token stop the run (`FatalError`).
- **Landed payload.** Counters that change without anybody writing (`likeCount`, `etag`, `viewerRating`, `canRate`,
  `canReply`) are dropped before landing, so a liked comment does not land again.
- **Not here.** Replying on YouTube (`comments.insert`) needs the channel owner's OAuth, not an API key: the OPD
  answers through the other channels. A deleted comment simply stops appearing; nothing is withdrawn.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

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
    RetriableError,
    Skip,
    TokenPaginator,
    dig,
    parse_json,
    parse_timestamp,
)
from core.intake.http import parse_retry_after
from models.enums import Classification, EventKind

API_PATH = "/youtube/v3"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_TZ = ZoneInfo("America/Los_Angeles")  # YouTube resets the daily quota at midnight Pacific time
QUOTA_MARGIN = timedelta(minutes=5)
VOLATILE = ("etag", "likeCount", "viewerRating", "canRate", "canReply")
TITLE_MAX = 120
CHANNEL_ID = r"^UC[0-9A-Za-z_-]{22}$"


class QuotaExceeded(RetriableError):
    """YouTube's daily quota is spent: try again after `retry_after` seconds (its reset), not within this run."""


class _QuotaHit(Exception):
    """Raised inside a retried call so the retrier lets it through (a RetriableError would be retried)."""

    def __init__(self, message: str):
        super().__init__(message)


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time after `now` (aware), as an aware UTC datetime."""
    local = now.astimezone(QUOTA_TZ)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=QUOTA_TZ)
    return midnight.astimezone(UTC)


def error_of(response: httpx.Response) -> tuple[str | None, str]:
    """(first reason, message) of a Google API error body `{"error": {"code", "message", "errors": [{"reason"}]}}`."""
    try:
        body = parse_json(response.content)
    except ValueError:
        return None, response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, response.text[:200]
    errors = error.get("errors") if isinstance(error.get("errors"), list) else []
    reason = next((e.get("reason") for e in errors if isinstance(e, dict) and e.get("reason")), None)
    return reason, str(error.get("message") or "")[:300]


def strip_volatile(data: Any) -> Any:
    """The thread without the counters that move by themselves (see the module doc)."""
    if isinstance(data, dict):
        return {k: strip_volatile(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [strip_volatile(v) for v in data]
    return data


def title_of(text: str) -> str:
    first = text.strip().splitlines()[0].strip()
    if len(first) <= TITLE_MAX:
        return first
    return first[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


def comment_text(snippet: Mapping[str, Any]) -> str:
    """The comment's words: `textOriginal` when YouTube gives it, else `textDisplay` (plain text asked for; any
    HTML left is unescaped and its line breaks kept)."""
    original = snippet.get("textOriginal")
    if isinstance(original, str) and original.strip():
        return original.strip()
    shown = snippet.get("textDisplay") or ""
    shown = shown.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n")
    return html.unescape(shown).strip()


class YouTubeChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=CHANNEL_ID, description="The pemda's channel id (UC…, 24 characters)")
    label: str | None = Field(None, max_length=120, description="Name shown as the author of the channel's replies")


class YouTubeConfig(PullConfig):
    base_url: AnyHttpUrl = Field("https://www.googleapis.com", description="Server speaking YouTube Data API v3")
    api_key: str = Field(min_length=1, repr=False, description="API key of a Google Cloud project with the "
                                                               "YouTube Data API v3 enabled")
    channels: list[YouTubeChannel] = Field(min_length=1, description="Channels whose videos' comments are read")
    page_size: int = Field(100, ge=1, le=100, description="maxResults of commentThreads.list")
    lookback_days: int = Field(14, ge=0, description="Re-read this far back to catch edits and new replies")
    fetch_all_replies: bool = Field(True, description="Fetch every reply (comments.list) when a thread has more "
                                                      "than commentThreads carries; one quota unit a call")
    classification: Classification = Field(
        Classification.kandidat, description="Classification of new comments (kandidat: the triage desk decides)")

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[YouTubeChannel]) -> list[YouTubeChannel]:
        ids = [c.id for c in value]
        if len(ids) != len(set(ids)):
            raise ValueError("kanal yang sama tercantum lebih dari sekali")
        return value


class YouTubeConnector(PullConnector):
    name = "youtube"
    channel = "youtube"
    channel_label = "YouTube"
    code_prefix = "YT"
    Config = YouTubeConfig
    secret_fields = ("api_key",)
    primary_key = "id"
    cursor_field = "snippet.topLevelComment.snippet.publishedAt"
    paginator = TokenPaginator("nextPageToken")
    keeps_staff_decisions = True
    lifecycle = Lifecycle(first_response="balasan kanal pemda di bawah komentar YouTube, atau tindak lanjut OPD",
                          closes="OPD menandai selesai")

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self.channels = {c.id: c for c in self.config.channels}

    # --- fetching --------------------------------------------------------------------------------
    def _url(self, resource: str) -> str:
        return f"{str(self.config.base_url).rstrip('/')}{API_PATH}/{resource}"

    def fetch_pages(self, client: httpx.Client, marks: Marks) -> Iterator[Page]:
        cfg: YouTubeConfig = self.config
        url = self._url("commentThreads")
        for channel in cfg.channels:
            mark = marks.get(channel.id)
            cutoff = mark - timedelta(days=cfg.lookback_days) if isinstance(mark, datetime) else None

            def fetch(token: str | None, channel_id=channel.id) -> Any:
                params = {"part": "snippet,replies", "allThreadsRelatedToChannelId": channel_id, "order": "time",
                          "maxResults": cfg.page_size, "textFormat": "plainText"}
                if token:
                    params["pageToken"] = token
                return self.get_youtube(client, url, params)

            for body in self.paginator.pages(fetch):
                items = body.get("items") if isinstance(body, dict) else None
                if not isinstance(items, list):
                    raise RetriableError(f"jawaban commentThreads tanpa daftar items (GET {url})")
                threads = [self._complete(client, strip_volatile(t)) for t in items if isinstance(t, dict)]
                records = [(self.external_id(t), t) for t in threads]
                times = [parse_timestamp(dig(t, self.cursor_field)) for t in threads if dig(t, self.cursor_field)]
                caught_up = cutoff is not None and bool(times) and min(times) < cutoff
                yield Page(records, partition=channel.id, settles=caught_up or not body.get("nextPageToken"))
                if caught_up:
                    break

    def _complete(self, client: httpx.Client, thread: dict) -> dict:
        """The thread with every reply, fetched with comments.list when commentThreads carried only some."""
        total = dig(thread, "snippet.totalReplyCount") or 0
        carried = dig(thread, "replies.comments") or []
        if not self.config.fetch_all_replies or not isinstance(total, int) or total <= len(carried):
            return thread
        url = self._url("comments")

        def fetch(token: str | None) -> Any:
            params = {"part": "snippet", "parentId": thread["id"], "maxResults": 100, "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            return self.get_youtube(client, url, params)

        replies: list[dict] = []
        for body in self.paginator.pages(fetch):
            replies += [strip_volatile(c) for c in (body.get("items") or []) if isinstance(c, dict)]
        return {**thread, "replies": {"comments": replies}}

    def get_youtube(self, client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
        """One GET with the API key, retried on what passes; a spent daily quota stops the run at once."""
        try:
            return self.retrier.call(lambda: self._get_once(client, url, params))
        except _QuotaHit as hit:
            reset = next_quota_reset(datetime.now(UTC)) + QUOTA_MARGIN
            wait = max(60.0, (reset - datetime.now(UTC)).total_seconds())
            local = reset.astimezone(self.context.tz)
            raise QuotaExceeded(f"kuota harian YouTube Data API habis ({hit}); bukan kesalahan konfigurasi: "
                                f"dicoba lagi setelah kuota direset tengah malam waktu Pasifik (sekitar "
                                f"{local:%d-%m-%Y %H.%M} waktu lokal); bookmark tetap", retry_after=wait) from None

    def _get_once(self, client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
        where = f"GET {url}"
        try:
            response = client.get(url, params={**params, "key": self.config.api_key})
        except httpx.TimeoutException as exc:
            raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada {where}") from exc
        except httpx.TransportError as exc:
            raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada {where}: {exc}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            reason, message = error_of(response)
            raise RetriableError(f"{'dibatasi' if status == 429 else 'gangguan'} YouTube (HTTP {status} "
                                 f"{reason or ''} dari {where}: {message})",
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if status >= 400:
            reason, message = error_of(response)
            if status == 403 and reason in QUOTA_REASONS:
                raise _QuotaHit(f"HTTP 403 {reason}")
            if status == 403 and reason in RATE_REASONS:
                raise RetriableError(f"dibatasi YouTube (HTTP 403 {reason} dari {where})",
                                     retry_after=parse_retry_after(response.headers.get("Retry-After")))
            if status in (400, 401, 403) and (reason in ("keyInvalid", "keyExpired", "forbidden")
                                               or "API key" in message):
                raise FatalError(f"kunci API ditolak YouTube (HTTP {status} {reason or ''}: {message}); periksa "
                                 "api_key dan apakah YouTube Data API v3 aktif pada proyeknya")
            if status == 404:
                raise FatalError(f"tidak ditemukan di YouTube (HTTP 404 {reason or ''}: {message}); periksa id "
                                 "kanal pada konfigurasi konektor")
            raise FatalError(f"permintaan ditolak YouTube (HTTP {status} {reason or ''} dari {where}: {message})")
        try:
            return parse_json(response.content)
        except ValueError as exc:  # a cut body: the next try usually gets it whole
            raise RetriableError(f"JSON tidak utuh/tidak valid dari {where} ({len(response.content)} byte)") from exc

    # --- normalising -----------------------------------------------------------------------------
    def normalise(self, payload: Any) -> ComplaintDraft | Skip:
        if not isinstance(payload, dict) or not payload.get("id"):
            raise NormaliseError("thread komentar tanpa id")
        snippet = payload.get("snippet") or {}
        top = snippet.get("topLevelComment") or {}
        comment = top.get("snippet") or {}
        channel_id = snippet.get("channelId") or comment.get("channelId")
        channel = self.channels.get(channel_id)
        if channel is None:
            raise NormaliseError(f"kanal {channel_id!r} tidak ada di konfigurasi konektor")
        author_id = dig(comment, "authorChannelId.value")
        if author_id == channel.id:
            return Skip("komentar kanal pemda sendiri")
        text = comment_text(comment)
        try:
            published = parse_timestamp(comment["publishedAt"])
        except (KeyError, ValueError) as exc:
            raise NormaliseError(f"komentar tanpa publishedAt yang valid: {exc}") from None
        if not text:
            return Skip("komentar tanpa teks")
        author = (comment.get("authorDisplayName") or "").strip() or None
        events = [self._video_note(payload["id"], snippet.get("videoId"), published)]
        events += [e for e in (self._reply(reply, channel) for reply in dig(payload, "replies.comments") or [])
                   if e is not None]
        return ComplaintDraft(external_id=payload["id"], title=title_of(text), body=text, received_at=published,
                              classification=self.config.classification, reporter_name=author, anonim=author is None,
                              source_channel="komentar", events=events)

    @staticmethod
    def _video_note(thread_id: str, video_id: str | None, at: datetime) -> DraftEvent:
        where = (f"https://www.youtube.com/watch?v={video_id}&lc={thread_id}" if video_id
                 else "komentar pada kanal (bukan pada video)")
        return DraftEvent(external_id=f"yt-video:{thread_id}"[:200], at=at, kind=EventKind.note, actor="YouTube",
                          note=f"Komentar YouTube: {where}")

    def _reply(self, reply: Any, channel: YouTubeChannel) -> DraftEvent | None:
        if not isinstance(reply, dict) or not reply.get("id"):
            return None
        snippet = reply.get("snippet") or {}
        text = comment_text(snippet)
        if not text or not snippet.get("publishedAt"):
            return None
        published, updated = snippet["publishedAt"], snippet.get("updatedAt") or snippet["publishedAt"]
        edited = updated != published
        own = dig(snippet, "authorChannelId.value") == channel.id
        name = (channel.label or snippet.get("authorDisplayName") or "Kanal pemda") if own else \
            (snippet.get("authorDisplayName") or "Pengguna YouTube")
        key = f"yt-reply:{reply['id']}" + (f"@{updated}" if edited else "")
        return DraftEvent(external_id=key[:200], at=parse_timestamp(updated if edited else published),
                          kind=EventKind.message_out if own else EventKind.message_in, actor=name.strip()[:120],
                          note=("(diedit) " if edited else "") + text, is_opd_response=own and not edited)
