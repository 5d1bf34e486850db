"""The intake contract: what a connector declares and the data it returns. Nothing here touches a
database, settings or the network, so a connector that imports only this module cannot either.

A connector turns one landed upstream payload into data (`normalise` → `Result`s); core applies it:
- `ComplaintDraft`: a complaint as the upstream sees it (upserted by (channel, external id));
- `ThreadMessage`: a message that opens a complaint or joins its reporter's recent one;
- `DeliveryReceipt`: the provider's word on a message we sent (moves an outbox row forward);
- `CallTally`: one call counted per day and type, complaint or not;
- `Withdrawal`: its author deleted a comment or unsent a message core holds (never deleted here);
- `Skip`: landed but not a complaint.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from models.enums import Classification, EventKind, Status

# --- errors ---------------------------------------------------------------------------------------


class NormaliseError(ValueError):
    """The payload cannot become a complaint (until a mapping is fixed): it stays in the inbox."""


class ConnectorError(Exception):
    """Base of errors raised while talking to an upstream."""


class RetriableError(ConnectorError):
    """Timeouts, connection errors, 429, 5xx, a truncated body: retried with backoff."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """401/403/404, bad config, a repeated page token: the run stops and records why."""


class RefusedError(ConnectorError):
    """The upstream read a write-back and said no (a closed report, a transition it does not allow): the
    action is marked failed with the upstream's reason, never retried."""


class TooLargeError(FatalError):
    """A download is over the size it may have (declared or while reading); never retried."""


# --- what a connector returns ---------------------------------------------------------------------


class DraftEvent(BaseModel):
    """One entry of an upstream follow-up thread (agency reply, reporter reply, note)."""

    external_id: str
    at: datetime
    kind: EventKind = EventKind.message_out
    actor: str = "upstream"
    note: str | None = None
    is_opd_response: bool = False


class ComplaintDraft(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    body: str = ""
    received_at: datetime
    classification: Classification = Classification.pengaduan
    status: Status = Status.unverified
    category_code: str | None = None
    opd_code: str | None = None
    rahasia: bool = False
    anonim: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    location_text: str | None = None
    desa: str | None = None
    kecamatan: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    rating: int | None = Field(default=None, ge=1, le=5)
    source_channel: str | None = Field(default=None, max_length=32)  # how it reached the upstream (LAPOR!: sms…)
    sla_tier: str | None = None
    verified_at: datetime | None = None
    dispatched_at: datetime | None = None
    resolved_at: datetime | None = None
    events: list[DraftEvent] = Field(default_factory=list)
    # Kept once computed (a backfill computes it in its reader process, off the writer's path); setting a field
    # drops it. Core never changes a draft's events in place.
    _content_hash: str | None = PrivateAttr(default=None)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self._content_hash is not None and getattr(self, name) != value:
            self._content_hash = None
        super().__setattr__(name, value)

    def content_hash(self) -> str:
        if self._content_hash is None:
            blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
            self._content_hash = hashlib.sha256(blob.encode()).hexdigest()
        return self._content_hash


@dataclass
class ThreadMessage:
    """A message from `reporter` (a channel-scoped key: a wa_id, an e-mail thread's first Message-ID). Core files
    it as a new complaint or appends it to that reporter's complaint whose messages span to within the instance's
    window."""

    reporter: str
    message_id: str
    at: datetime
    text: str
    title: str
    placeholder: bool = False  # no words from the reporter (a bare photo or pin): title and body stay
    reporter_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_text: str | None = None
    media_id: str | None = None  # a photo/video/document the reporter sent: core stores a pending ComplaintMedia
    media_kind: str | None = None  # image | video | audio | document | sticker
    media_mime: str | None = None
    media_caption: str | None = None
    # The id of a reply button the person pressed (WhatsApp interactive/template quick reply), e.g. "beres:sudah".
    reply_id: str | None = None
    # Of the complaint the message opens: a social DM may or may not be a complaint (kandidat: triage decides).
    classification: Classification = Classification.pengaduan
    # How to reach the reporter when `reporter` is not it (an e-mail thread is keyed by its first Message-ID,
    # this is the sender's address): the complaint's reporter_contact. None = `reporter`.
    reporter_contact: str | None = None


@dataclass
class Withdrawal:
    """The author took back something core holds: a deleted comment (`external_id` = its draft's) or an unsent
    message of a thread (`external_id` = its ThreadMessage's message_id). Core never deletes: the complaint's
    history notes it once, and a complaint nobody has acted on yet (still unverified) of which nothing from its
    author is left is closed as withdrawn (status rejected, reject reason `dicabut`; staff may reopen it).
    Unknown to core: skipped."""

    external_id: str
    at: datetime
    note: str = "dihapus oleh pengirim"


@dataclass
class MediaFile:
    """A reporter's media as the upstream hands it over (`fetch_media`); core checks the hash and stores it."""

    content: bytes
    mime_type: str | None = None
    sha256: str | None = None  # as the upstream declares it (hex or base64); None = nothing to check against


@dataclass
class DeliveryReceipt:
    """The provider's status of a message we sent (`sent`, `delivered`, `read`, `failed`, …)."""

    provider_id: str
    status: str
    at: datetime | None = None
    error: str | None = None
    # What we attached to the message when sending it (WhatsApp `biz_opaque_callback_data`): names the outbox
    # attempt, so a send whose answer was lost (worker stopped) is recognised by its status callback.
    reference: str | None = None


@dataclass
class CallTally:
    """One call of a call centre, counted whatever its type. Core resolves the kecamatan from the
    text (a name of the kabupaten's regions) or else from the coordinates."""

    external_id: str
    call_type: str
    received_at: datetime
    kecamatan: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class Skip:
    """A payload that landed but is not a complaint (a prank call, a 5-star review...).

    `unless_known`: the draft to apply instead when the record is already a complaint (a review
    edited from one star to four stays a complaint and gets its new rating)."""

    reason: str
    data: dict[str, Any] = field(default_factory=dict)
    unless_known: ComplaintDraft | None = None


Result = ComplaintDraft | ThreadMessage | DeliveryReceipt | CallTally | Skip | Withdrawal
# One payload may give several: a 112 row is a tally and a complaint (or a skip).
Translation = Result | Sequence[Result]


# --- a channel's lifecycle and write-back ---------------------------------------------------------


@dataclass(frozen=True)
class Lifecycle:
    """How a channel's complaints live (docs/domain.md, "Each channel's own rules"); core applies it.

    - `status_owner`: "pemda" when the status is ours, else the upstream's name as users know it
      ("SP4N-LAPOR!", "CAD 112"): our actions on such complaints go out through the outbox
      (`write_back`) and an upstream update never silently reverts one that is pending or confirmed;
    - `first_response` / `closes`: what counts as the OPD's first response and what closes a complaint,
      in words for the docs and the complaint panel;
    - `ladder_exempt`: category codes (their children included; "*" = every category) that the upstream
      handles to the end: no deadlines here, never on the escalation ladder, open means in progress.
      `ADUAN_LADDER_EXEMPT` overrides it per channel;
    - `write_back`: workflow actions the upstream must hear of (`Connector.send` posts them);
    - `reply_max_chars`: the upstream's cap on a reply's length (a longer one is refused with 422);
    - `reply_carries_code`: a reply goes out in the citizen-message wording (core.casework.citizen), with the
      complaint's tracking code and public link, so its author can follow the complaint.
    """

    status_owner: str = "pemda"
    first_response: str = "tindak lanjut OPD"
    closes: str = "OPD menandai selesai"
    ladder_exempt: frozenset[str] = frozenset()
    write_back: frozenset[str] = frozenset()
    reply_max_chars: int | None = None
    reply_carries_code: bool = False

    @property
    def upstream_owned(self) -> bool:
        return self.status_owner != "pemda"


@dataclass(frozen=True)
class UpstreamAction:
    """One action taken here that the upstream must hear of, as the outbox hands it to `Connector.send`."""

    external_id: str  # the upstream record (LAPOR! tracking id, review name…)
    action: str  # the workflow action: respond, postpone, resolve, reject, verify, dispatch
    note: str | None = None  # the follow-up / reply / reason text
    opd_name: str | None = None  # dispatch: the OPD's name as the upstream knows agencies


@dataclass(frozen=True)
class UpstreamAck:
    """The upstream took the action. `event_external_id`: the id under which the posted reply or follow-up
    comes back on the next pull (as `DraftEvent.external_id`), so it is recognised, not added twice."""

    event_external_id: str | None = None
    detail: str | None = None


# --- how a pull connector talks to its upstream ---------------------------------------------------


class HttpPolicy(BaseModel):
    """Timeouts and retry bounds of one run; defaults come from settings, a config may override."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float = Field(30.0, gt=0)
    attempts: int = Field(6, ge=1, le=50, description="tries per request, first one included")
    backoff_seconds: float = Field(1.0, ge=0, description="base of the exponential backoff (full jitter)")
    backoff_max_seconds: float = Field(60.0, ge=0)
    retry_after_max_seconds: float = Field(300.0, ge=0, description="cap on an upstream's Retry-After")


@dataclass
class Page:
    """One page from upstream: payloads keyed by external id.

    The runner moves the bookmark of `partition` (a stream of its own, e.g. one Google location) to the
    highest `cursor_field` it has committed, once a page with `settles=True` is committed: a connector
    whose upstream pages newest first settles only when the walk of the partition is over."""

    records: list[tuple[str, Any]]
    partition: str = ""
    settles: bool = True
    expected: int | None = None  # records the whole walk will bring, when upstream says (progress bars)


Marks = Mapping[str, datetime | int]  # partition → highest cursor committed so far (a time, or an integer: a UID)


@dataclass(frozen=True)
class Context:
    """What core tells a connector when it builds it (from settings; an instance's config may override)."""

    tz: ZoneInfo = ZoneInfo("Asia/Jakarta")
    http: HttpPolicy = field(default_factory=HttpPolicy)


class Connector:
    """What core reads off a connector class (the declaration); connectors.base builds the kinds on it."""

    name: ClassVar[str]  # the kind, as registered in the `aduan.connectors` entry-point group
    channel: ClassVar[str]
    # How the channel is named on every page and export, and the prefix of its tracking codes (a plugin
    # declares them here, so adding a channel touches no core table).
    channel_label: ClassVar[str | None] = None
    code_prefix: ClassVar[str | None] = None
    kind: ClassVar[Literal["pull", "push", "file", "api"]]  # api: arrives through a route of our own
    Config: ClassVar[type[BaseModel]]
    secret_fields: ClassVar[tuple[str, ...]] = ()
    primary_key: ClassVar[str | None] = None  # payload path of the upstream id (pull)
    cursor_field: ClassVar[str | None] = None  # payload path of the replication key (pull)
    # Core keeps a complaint's local status once staff moved it past waiting (resolved, postponed…)
    # when the upstream edits the record, instead of taking the upstream's.
    keeps_handled_status: ClassVar[bool] = False
    # Core matches a draft's kecamatan against the kabupaten's regions, or takes the nearest to lat/lon.
    resolves_kecamatan: ClassVar[bool] = False
    # Titles of a thread opened without words; the reporter's first worded message replaces them.
    placeholder_titles: ClassVar[frozenset[str]] = frozenset()
    # The upstream knows only what its author wrote (social comments): an edit changes the words, and what staff
    # decided since (status, classification, category, OPD, place) stays as they left it.
    keeps_staff_decisions: ClassVar[bool] = False
    lifecycle: ClassVar[Lifecycle] = Lifecycle()

    def __init__(self, config: BaseModel | Mapping[str, Any], context: Context | None = None):
        self.config = config if isinstance(config, BaseModel) else self.Config.model_validate(config)
        self.context = context or Context()

    @classmethod
    def redact(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        return {k: ("***" if k in cls.secret_fields and v else v) for k, v in config.items()}

    def normalise(self, payload: Any) -> Translation:
        """Pure: turn one landed payload into data, or raise NormaliseError (it stays in the inbox)."""
        raise NotImplementedError

    def send(self, client: Any, action: UpstreamAction) -> UpstreamAck:
        """Post one of `lifecycle.write_back`'s actions upstream with `client` (an httpx.Client). Raise
        RefusedError when the upstream says no, RetriableError/FatalError as a pull does."""
        raise NotImplementedError(f"{self.name} tidak mengirim aksi ke hulu")

    def thread_window_minutes(self) -> int | None:
        """How far apart a reporter's messages may be and still be one complaint; None = core's default."""
        return getattr(self.config, "thread_window_minutes", None)


# --- small pure helpers every connector needs ----------------------------------------------------

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 / RFC 3339 with an offset or Z (nanoseconds allowed) → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"waktu tidak valid: {value!r}")
    parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    if parsed.tzinfo is None:
        raise ValueError(f"waktu tanpa zona waktu: {value!r}")
    return parsed.astimezone(UTC)


def dig(data: Any, path: str) -> Any:
    """`dig(body, "pagination.next_page_token")`: None when any step is missing."""
    for part in path.split("."):
        if type(data) is not dict and not isinstance(data, Mapping):  # decoded JSON skips the slow ABC check
            return None
        data = data.get(part)
    return data


def results(translation: Translation) -> list[Result]:
    return list(translation) if isinstance(translation, Sequence) else [translation]
