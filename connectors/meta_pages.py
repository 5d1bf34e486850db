"""What the Instagram and Facebook Page connectors share (docs/wire-formats.md, "Instagram and Facebook Pages").

- **Webhook:** the same handshake (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`) and signature
  (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`) as WhatsApp. `split` keeps the
  entries of the configured account only and drops Meta's volatile envelope, so a redelivered change lands as
  the same payload (deduplicated by the inbox).
- **Comments** become `ComplaintDraft`s keyed by the comment id, classified `kandidat` (the triage desk
  decides), with `source_channel = "komentar"`. An edit is the same draft with new words; core keeps what staff
  decided since (`keeps_staff_decisions`). A removal is a `Withdrawal`: never deleted, closed as withdrawn while
  nobody has acted on it.
- **Direct messages** (`entry[].messaging[]`, Messenger-style) become `ThreadMessage`s keyed by the sender's
  page/Instagram-scoped id, so one account's messages within the window are one complaint (`kandidat` too).
  `message_edit` joins the thread as "(diedit) …"; an unsent message (`message.is_deleted`) is a `Withdrawal`.
  Echoes of what the account itself sent are skipped.
- **Replies (write-back, `send`):** the OPD's `respond` goes to a DM thread through the Send API
  (`POST /{version}/{account-id}/messages` with `recipient.id`, `messaging_type: RESPONSE`, `message.text`),
  which Meta takes only within 24 hours of the person's last message (error 10/2018278 outside: refused with that
  reason); to a comment as a public reply under it (Instagram `POST /{comment-id}/replies`, Facebook
  `POST /{comment-id}/comments`, `{"message"}`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, Field

from connectors.base import ComplaintDraft, NormaliseError, PushConnector, Skip, ThreadMessage, parse_json
from connectors.meta_signing import MetaWebhookSigning
from core.intake.contract import (
    FatalError,
    Lifecycle,
    RefusedError,
    RetriableError,
    UpstreamAck,
    UpstreamAction,
    Withdrawal,
)
from models.enums import Classification

TITLE_MAX = 120
ATTACHMENT_LABELS = {"image": "Foto", "video": "Video", "audio": "Pesan suara", "file": "Berkas",
                     "story_mention": "Sebutan di story", "share": "Tautan", "ig_reel": "Reel", "reel": "Reel"}
# Graph error (code, subcode) → why a reply cannot go out (never retried).
OUTSIDE_WINDOW = ("di luar jendela 24 jam: pesan terakhir warga sudah lebih dari 24 jam lalu dan Meta hanya "
                  "menerima balasan dalam 24 jam sejak pesan terakhirnya; balas setelah warga menulis lagi, "
                  "atau hubungi lewat kanal lain")
REFUSALS: dict[tuple[int, int | None], str] = {
    (10, 2018278): OUTSIDE_WINDOW,
    (10, 2534022): OUTSIDE_WINDOW,  # Instagram's subcode for the same rule
    (551, None): "penerima tidak dapat dihubungi saat ini (memblokir akun atau akunnya nonaktif)",
    (200, 1545041): "penerima tidak dapat dihubungi saat ini (memblokir akun atau akunnya nonaktif)",
    (100, 2018001): "penerima tidak dikenal Meta (akun sudah tidak ada)",
    (100, 33): "komentar atau pesan sudah tidak ada (dihapus pengirimnya)",
}
RETRIABLE_CODES = {1, 2, 4, 17, 32, 341, 613, 80006}  # unknown/temporary errors and rate limits


def epoch(value: Any) -> datetime:
    """Meta's times: unix seconds or milliseconds (number or digits), or ISO 8601 → aware UTC."""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("+0000", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(f"waktu tanpa zona waktu: {value!r}")
        return parsed.astimezone(UTC)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"waktu tidak valid: {value!r}")
    number = int(value)
    return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)


def title_of(text: str) -> str:
    first_line = text.strip().splitlines()[0].strip()
    if len(first_line) <= TITLE_MAX:
        return first_line
    return first_line[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


class MetaSocialConfig(BaseModel):
    verify_token: str = Field(min_length=1, description="Token typed into the Meta app's webhook settings")
    app_secret: str = Field(min_length=1, description="Meta app secret (signs every delivery)")
    access_token: str | None = Field(None, description="Page access token that may reply (Send API, comment "
                                                       "replies); without it replies fail with a clear reason")
    graph_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$", description="Graph API version of replies")
    thread_window_minutes: int | None = Field(
        None, ge=0, description="Direct messages from one account within this window are one complaint "
                                "(default: ADUAN_WHATSAPP_THREAD_WINDOW_MINUTES)")
    classification: Classification = Field(
        Classification.kandidat, description="Classification of new comments and message threads "
                                             "(kandidat: the triage desk decides whether it is a complaint)")


class MetaSocialConnector(MetaWebhookSigning, PushConnector):
    """Base of the Instagram and Facebook Page connectors; a subclass names its `meta_object`, how comments
    arrive (`split_change`, `normalise_change`) and where a comment reply goes (`reply_path`)."""

    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "access_token")
    keeps_staff_decisions: ClassVar[bool] = True
    meta_object: ClassVar[str]
    label: ClassVar[str]  # the platform's name in words
    reply_path: ClassVar[str]  # "{comment_id}/replies" or "{comment_id}/comments"
    default_graph_base_url: ClassVar[str] = "https://graph.facebook.com"

    # --- webhook -------------------------------------------------------------------------------
    @property
    def account(self) -> str:
        raise NotImplementedError

    def graph_base_url(self) -> str:
        return (getattr(self.config, "graph_base_url", None) or self.default_graph_base_url).rstrip("/")

    def split(self, body: bytes) -> Iterable[tuple[str, Any]]:
        delivery = parse_json(body)
        if not isinstance(delivery, dict) or delivery.get("object") != self.meta_object:
            raise ValueError(f"bukan kiriman object {self.meta_object!r}")
        pairs: list[tuple[str, Any]] = []
        for entry in delivery.get("entry") or []:
            if not isinstance(entry, dict) or str(entry.get("id")) != self.account:
                continue  # another account of the same Meta app
            for change in entry.get("changes") or []:
                if isinstance(change, dict) and isinstance(change.get("value"), dict):
                    pair = self.split_change(entry, change)
                    if pair is not None:
                        pairs.append(pair)
            for event in entry.get("messaging") or []:
                if isinstance(event, dict):
                    pair = self._split_messaging(event)
                    if pair is not None:
                        pairs.append(pair)
        return pairs

    def split_change(self, entry: dict, change: dict) -> tuple[str, Any] | None:
        raise NotImplementedError

    def _split_messaging(self, event: dict) -> tuple[str, Any] | None:
        payload = {"kind": "message", "account": self.account, "event": event}
        if isinstance(event.get("message"), dict):
            message = event["message"]
            mid = str(message["mid"])
            if message.get("is_deleted"):
                return f"{mid}#deleted", {**payload, "kind": "unsend"}
            return mid, payload
        if isinstance(event.get("message_edit"), dict):
            edit = event["message_edit"]
            return f"{edit['mid']}#edit{edit.get('num_edit', '')}", {**payload, "kind": "edit"}
        return None  # read receipts, reactions, postbacks, referrals: nothing to file

    # --- normalisation -------------------------------------------------------------------------
    def normalise(self, payload: Any):
        try:
            if payload.get("kind") in ("message", "edit", "unsend"):
                return self._normalise_messaging(payload)
            return self.normalise_change(payload)
        except AttributeError as exc:  # an object where Meta documents another shape: keep it in the inbox
            raise NormaliseError(f"bentuk kiriman {self.label} tidak dikenal: {exc}") from exc

    def normalise_change(self, payload: dict):
        raise NotImplementedError

    def comment_draft(self, comment_id: str, text: str, at: datetime, author: str | None) -> ComplaintDraft:
        return ComplaintDraft(external_id=comment_id, title=title_of(text), body=text, received_at=at,
                              classification=self.config.classification, reporter_name=author,
                              anonim=author is None, source_channel="komentar")

    def _normalise_messaging(self, payload: dict):
        event = payload["event"]
        sender = str((event.get("sender") or {}).get("id") or "")
        if not sender:
            raise NormaliseError("pesan tanpa sender.id")
        at = epoch(event["timestamp"])
        message = event.get("message") or {}
        if sender == payload["account"] or message.get("is_echo"):
            return Skip("pesan dari akun pemda sendiri (echo)")
        classification = self.config.classification
        if payload["kind"] == "unsend":
            return Withdrawal(external_id=str(message["mid"]), at=at, note="pesan ditarik pengirim")
        if payload["kind"] == "edit":
            edit = event["message_edit"]
            text = (edit.get("text") or "").strip()
            if not text:
                return Skip("suntingan pesan tanpa teks")
            return ThreadMessage(reporter=sender, message_id=f"{edit['mid']}#edit{edit.get('num_edit', '')}", at=at,
                                 text=f"(diedit) {text}", title=title_of(text), classification=classification)
        text = (message.get("text") or "").strip()
        attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
        notes = [self._attachment_note(a) for a in attachments]
        if not text and not notes:
            return Skip("pesan tanpa teks atau lampiran")
        if not text:
            first = str(attachments[0].get("type") or "file")
            return ThreadMessage(reporter=sender, message_id=str(message["mid"]), at=at, text="\n".join(notes),
                                 title=f"{ATTACHMENT_LABELS.get(first, 'Lampiran')} dari {self.label}",
                                 placeholder=True, classification=classification)
        return ThreadMessage(reporter=sender, message_id=str(message["mid"]), at=at,
                             text="\n".join([text, *notes]), title=title_of(text), classification=classification)

    @staticmethod
    def _attachment_note(attachment: dict) -> str:
        label = ATTACHMENT_LABELS.get(attachment.get("type") or "", "Lampiran")
        url = str((attachment.get("payload") or {}).get("url") or "")
        return f"[{label}: {url}]" if url.startswith("https://") and len(url) <= 500 else f"[{label} dilampirkan]"

    @classmethod
    def placeholder_set(cls, label: str) -> frozenset[str]:
        return frozenset(f"{name} dari {label}" for name in {*ATTACHMENT_LABELS.values(), "Lampiran"})

    # --- write-back ----------------------------------------------------------------------------
    def send(self, client: httpx.Client, action: UpstreamAction) -> UpstreamAck:
        """The OPD's reply: a DM thread (`<sender id>:<message id>`) through the Send API within Meta's 24-hour
        window; a comment as a public reply under it."""
        if action.action != "respond":
            raise RefusedError(f"aksi '{action.action}' tidak dikirim ke {self.label}; hanya balasan tindak lanjut")
        text = (action.note or "").strip()
        if not text:
            raise RefusedError("balasan kosong")
        token = self.config.access_token
        if not token:
            raise FatalError(f"access_token halaman belum diatur pada konektor {self.label}; balasan belum dapat "
                             "dikirim")
        base = f"{self.graph_base_url()}/{self.config.graph_version}"
        reporter, sep, _ = action.external_id.partition(":")
        if sep and reporter.isdigit():
            body = {"recipient": {"id": reporter}, "messaging_type": "RESPONSE", "message": {"text": text}}
            answer = _post(client, f"{base}/{self.account}/messages", body, token)
            return UpstreamAck(event_external_id=_answer_id(answer, "message_id"),
                               detail=f"terkirim sebagai pesan langsung {self.label}")
        comment_id = action.external_id
        if not comment_id.replace("_", "").isdigit():
            raise RefusedError(f"id komentar tidak dikenal: {comment_id[:60]!r}")
        answer = _post(client, f"{base}/{self.reply_path.format(comment_id=comment_id)}", {"message": text}, token)
        return UpstreamAck(event_external_id=_answer_id(answer, "id"),
                           detail=f"balasan tampil di bawah komentar {self.label} (publik)")


def social_lifecycle(reply_max_chars: int) -> Lifecycle:
    return Lifecycle(first_response="balasan OPD di bawah komentar (publik) atau lewat pesan langsung "
                                    "(dalam 24 jam sejak pesan terakhir warga)",
                     closes="OPD menandai selesai", write_back=frozenset({"respond"}),
                     reply_max_chars=reply_max_chars)


def _answer_id(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:  # Meta took it (200) but the body was cut: say so, do not resend
        return ""
    return value[:200]


def _post(client: httpx.Client, url: str, body: dict, token: str) -> Any:
    """One Graph POST; Meta's errors become RefusedError (this reply cannot go out), RetriableError (later) or
    FatalError (token, permissions: an operator must act)."""
    where = f"POST {url}"
    try:
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    except httpx.TimeoutException as exc:
        raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada {where}") from exc
    except httpx.TransportError as exc:
        raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada {where}: {exc}") from exc
    if response.status_code < 300:
        try:
            return parse_json(response.content) if response.content else None
        except ValueError:
            return None
    try:
        error = parse_json(response.content).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code, subcode = error.get("code"), error.get("error_subcode")
    message = str(error.get("message") or response.text[:200] or f"HTTP {response.status_code}")
    retry_after = response.headers.get("Retry-After")
    wait = float(retry_after) if retry_after and retry_after.isdigit() else None
    if response.status_code == 429 or response.status_code >= 500 or code in RETRIABLE_CODES:
        raise RetriableError(f"Meta sedang sibuk atau membatasi ({message}; {where})", retry_after=wait)
    reason = REFUSALS.get((code, subcode)) or REFUSALS.get((code, None))
    if reason:
        raise RefusedError(f"{reason} (Meta #{code}/{subcode}: {message})" if subcode else
                           f"{reason} (Meta #{code}: {message})")
    if code in (102, 104, 190) or response.status_code in (401, 403) or code == 10 or code == 200:
        raise FatalError(f"token atau izin halaman ditolak Meta ({message}); periksa access_token konektor")
    if code == 100:
        raise RefusedError(f"Meta menolak balasan: {message}")
    raise FatalError(f"Meta menolak permintaan ({message}; {where})")
