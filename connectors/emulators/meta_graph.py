"""Emulator of the WhatsApp Cloud API (Meta Graph): sending, and reporters' media, for tests and the demo.

`POST /{version}/{phone_number_id}/messages` with a bearer token accepts template (with a text or document header:
`{"type": "header", "parameters": [{"type": "document", "document": {"id" | "link", "filename"}}]}`, an `id` must be
one uploaded with `POST /{version}/{phone_number_id}/media`, multipart `file`, `type`, `messaging_product`, which
answers `{"id"}` like Meta; an unknown id is error 131053), text and interactive (reply-button) messages,
records them and answers like Meta (`{"messaging_product","contacts":[{"input","wa_id"}],
"messages":[{"id":"wamid…"}]}`); errors are Meta-shaped (`{"error":{"message","type","code",
"error_subcode","error_data","fbtrace_id"}}`) with the HTTP status Meta uses. `biz_opaque_callback_data` is kept
with the message (`state.by_reference(ref)`), as Meta echoes it in the message's status callbacks.

The 24-hour customer-service window: the emulator learns when each number last wrote (`state.inbound(...)`,
`POST /_emulator/inbound`; `meta_webhooks.deliver(..., graph=state)` tells it for every message it delivers), and
a text or interactive message to a number whose last message is older than 24 hours (or that never wrote) gets
error 131047, as Graph answers; templates always pass. `state.advance(hours=…)` / `POST /_emulator/clock
{"advance_hours"}` moves the emulator's clock, to play "25 hours later". Every message in and out is kept per
number: `GET /_emulator/conversations/{wa_id}` (JSON; `?format=text`: as the reporter's phone would show it).

Fault knobs (Python: `state.inject(...)`; HTTP: `POST /_emulator/faults`):
  code 130429 / 131056 / 131047 / 131026 / 100 / 190 / 131000 — that Graph error;
  code 500 / 503 — a server error; 502 — a proxy's HTML error page; "slow" — accept after `delay` s
  (a client that timed out has in fact sent it); "timeout" — hang `delay` s, then fail (not sent).
  `times=N` hits the next N requests, `every=N` every N-th request (by arrival order).
Control: `GET /_emulator/messages` (accepted sends, request count, rejections), `POST /_emulator/token`
`{"expired": true}`, `POST /_emulator/numbers` `{"invalid": [...], "outside_window": [...]}`,
`POST /_emulator/reset`.

Media (what a reporter sent, by the id in the webhook): `GET /{version}/{media-id}` with the bearer token
answers `{"messaging_product":"whatsapp","url","mime_type","sha256","file_size","id"}`; a GET of that `url`
with the same token gives the bytes. Every all-digit id (the webhook emulator's) is a small PNG drawn from
the id, the same bytes every time; other ids are unknown (404, Graph error 100) unless added with
`state.add_media(id, content, mime)`. Knobs: `state.media_gone` (ids answered 404), `state.media_bad_hash`
(ids whose declared sha256 does not match the bytes), `state.media_faults` (HTTP statuses, e.g. 503 or 429,
answered to the next metadata requests, one each); `POST /_emulator/media` `{"gone": [...], "bad_hash": [...],
"faults": [...]}`; `GET /_emulator/media` counts the downloads.

    python -m connectors.emulators.meta_graph --port 8901 --token dev-token
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

PHONE_NUMBER_ID = "106540352242922"
DEFAULT_TOKEN = "emulator-token"
WINDOW = timedelta(hours=24)
TEXT_MAX, INTERACTIVE_BODY_MAX, BUTTON_TITLE_MAX, BUTTON_ID_MAX = 4096, 1024, 20, 256
# What POST /{phone-number-id}/media takes (Meta's supported media types) and up to how many bytes.
UPLOAD_TYPES = {"application/pdf": 100 * 2**20, "text/plain": 100 * 2**20, "image/jpeg": 5 * 2**20,
                "image/png": 5 * 2**20}

# code → (HTTP status, type, message, details)
ERRORS: dict[int, tuple[int, str, str, str]] = {
    100: (400, "OAuthException", "(#100) Invalid parameter", "Parameter value is not valid"),
    104: (401, "OAuthException", "An access token is required to request this resource.", ""),
    190: (401, "OAuthException",
          "Error validating access token: Session has expired on Monday, 23-Nov-26 01:00:00 PST.",
          "The access token has expired"),
    130429: (400, "OAuthException", "(#130429) Rate limit hit",
             "Cloud API message throughput has been reached."),
    131000: (500, "OAuthException", "(#131000) Something went wrong", "Something went wrong"),
    131026: (400, "OAuthException", "(#131026) Message undeliverable",
             "Unable to deliver message: the recipient is not a valid WhatsApp user."),
    131047: (400, "OAuthException", "(#131047) Re-engagement message",
             "Message failed to send because more than 24 hours have passed since the customer last "
             "replied to this number."),
    131053: (400, "OAuthException", "(#131053) Media upload error",
             "Unable to send the message: the media id is unknown or has expired."),
    131056: (400, "OAuthException", "(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Too many messages sent from the sender phone number to the same recipient phone number "
             "in a short period of time."),
    1: (500, "OAuthException", "An unknown error occurred", ""),
    2: (503, "OAuthException", "Service temporarily unavailable", ""),
}
HTTP_FAULTS = {500: 1, 503: 2}  # an HTTP-level fault answered with this Graph code


@dataclass
class FaultRule:
    code: int | str
    times: int | None = None
    every: int | None = None
    delay: float = 0.0


class MetaGraphState:
    """What the emulator received and which faults it will inject; thread-safe."""

    def __init__(self, token: str = DEFAULT_TOKEN, phone_number_id: str = PHONE_NUMBER_ID):
        self.token = token
        self.phone_number_id = phone_number_id
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.token_expired = False
            self.messages: list[dict[str, Any]] = []
            self.rejected: list[dict[str, Any]] = []
            self.requests = 0
            self.rules: list[FaultRule] = []
            self.invalid_numbers: set[str] = set()
            self.outside_window: set[str] = set()
            self.media: dict[str, tuple[bytes, str]] = {}
            self.media_gone: set[str] = set()
            self.media_bad_hash: set[str] = set()
            self.media_faults: list[int] = []
            self.media_downloads = 0
            self.uploads: list[dict[str, Any]] = []  # files uploaded with POST /{phone-number-id}/media
            self.last_inbound: dict[str, datetime] = {}
            self.conversations: dict[str, list[dict[str, Any]]] = {}
            self.clock_offset = timedelta()
            self.enforce_window = True

    # --- the clock and the 24-hour window -----------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance(self, hours: float = 0.0, **delta: float) -> None:
        """Move the emulator's clock forward (windows close as they would)."""
        with self._lock:
            self.clock_offset += timedelta(hours=hours, **delta)

    def inbound(self, wa_id: str, at: datetime | None = None, text: str | None = None, wamid: str | None = None,
                kind: str = "text") -> None:
        """A message from `wa_id` reached the business (as a webhook delivery says): opens its window."""
        wa_id = wa_id.lstrip("+")
        at = (at or self.now()).astimezone(UTC)
        with self._lock:
            if wamid and any(e.get("id") == wamid for e in self.conversations.get(wa_id, [])):
                return  # Meta's redelivery of the same message
            if wa_id not in self.last_inbound or at > self.last_inbound[wa_id]:
                self.last_inbound[wa_id] = at
            self.conversations.setdefault(wa_id, []).append(
                {"direction": "in", "at": at.isoformat(), "id": wamid, "type": kind, "text": text})

    def in_window(self, wa_id: str) -> bool:
        with self._lock:
            last = self.last_inbound.get(wa_id)
        return last is not None and self.now() - last < WINDOW

    def conversation(self, wa_id: str) -> list[dict[str, Any]]:
        """Every message in and out with this number, in the order the emulator saw them (a message in is seen
        when its webhook is delivered; its `at` is the time the person wrote it, in whole seconds)."""
        with self._lock:
            return list(self.conversations.get(wa_id.lstrip("+"), []))

    def by_reference(self, reference: str) -> list[dict[str, Any]]:
        """Accepted messages that carried this `biz_opaque_callback_data`."""
        with self._lock:
            return [m for m in self.messages if m.get("biz_opaque_callback_data") == reference]

    def add_media(self, media_id: str, content: bytes, mime_type: str = "image/jpeg") -> None:
        with self._lock:
            self.media[media_id] = (content, mime_type)

    def media_for(self, media_id: str) -> tuple[bytes, str] | None:
        """The bytes and type of a media id, or None when Meta would not know it."""
        with self._lock:
            if media_id in self.media_gone:
                return None
            if media_id in self.media:
                return self.media[media_id]
        return (photo_png(media_id), "image/png") if media_id.isdigit() else None

    def _media_fault(self) -> int | None:
        with self._lock:
            return self.media_faults.pop(0) if self.media_faults else None

    def inject(self, code: int | str, times: int | None = 1, every: int | None = None, delay: float = 0.0) -> None:
        if code not in ("slow", "timeout", 502) and code not in ERRORS and code not in HTTP_FAULTS:
            raise ValueError(f"unknown fault code {code!r}")
        with self._lock:
            self.rules.append(FaultRule(code, times=None if every else times, every=every, delay=delay))

    def _next_fault(self) -> tuple[int, FaultRule | None]:
        with self._lock:
            self.requests += 1
            ordinal = self.requests
            for rule in self.rules:
                if rule.every and ordinal % rule.every == 0:
                    return ordinal, rule
                if rule.times:
                    rule.times -= 1
                    return ordinal, rule
            return ordinal, None

    def _accept(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(record)
            self.conversations.setdefault(record["to"], []).append({"direction": "out", **record})

    def _reject(self, code: int | str, to: str | None) -> None:
        with self._lock:
            self.rejected.append({"code": code, "to": to})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"messages": list(self.messages), "rejected": list(self.rejected), "requests": self.requests,
                    "uploads": list(self.uploads)}


def meta_error(code: int, subcode: int | None = None, message: str | None = None,
               status: int | None = None) -> JSONResponse:
    default_status, kind, default_message, details = ERRORS[code]
    status = status or default_status
    error: dict[str, Any] = {"message": message or default_message, "type": kind, "code": code,
                             "fbtrace_id": "A" + secrets.token_urlsafe(16)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    headers = {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


# --- a reporter's "photo": a small PNG drawn from the media id (road, sky, a pothole), no imaging library ---

PHOTO_W, PHOTO_H = 160, 120


def photo_png(media_id: str, width: int = PHOTO_W, height: int = PHOTO_H) -> bytes:
    """Deterministic per id: the same id always gives the same bytes (so its sha256 is stable)."""
    seed = hashlib.sha256(media_id.encode()).digest()
    sky = (120 + seed[0] % 80, 160 + seed[1] % 60, 200 + seed[2] % 55)
    ground = (70 + seed[3] % 60, 110 + seed[4] % 60, 50 + seed[5] % 40)
    road = (95 + seed[6] % 30,) * 3
    hole = (40 + seed[7] % 20, 35 + seed[8] % 20, 30 + seed[9] % 20)
    horizon = height * (35 + seed[10] % 15) // 100
    cx, cy = width * (30 + seed[11] % 40) // 100, horizon + (height - horizon) * (45 + seed[12] % 30) // 100
    rx, ry = 12 + seed[13] % 18, 5 + seed[14] % 8
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 (none)
        half_road = (y - horizon) * width // (2 * max(height - horizon, 1)) + 6 if y >= horizon else 0
        for x in range(width):
            if y < horizon:
                shade = y * 40 // max(horizon, 1)
                pixel = (max(sky[0] - shade, 0), max(sky[1] - shade, 0), sky[2])
            elif ((x - cx) * ry) ** 2 + ((y - cy) * rx) ** 2 <= (rx * ry) ** 2:
                pixel = hole
            elif abs(x - width // 2) <= half_road:
                stripe = abs(x - width // 2) <= 1 and (y // 6) % 2 == 0
                pixel = (235, 235, 225) if stripe else road
            else:
                pixel = ground
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _media_hash(media_id: str) -> str:
    return hmac.new(b"emulator-lookaside", media_id.encode(), hashlib.sha256).hexdigest()[:32]


def _wamid() -> str:
    return "wamid." + base64.b64encode(b"HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj" + secrets.token_bytes(12)).decode()


def _invalid(reason: str) -> JSONResponse:
    return meta_error(100, message=f"(#100) Invalid parameter: {reason}")


_BAD_PARAM = re.compile(r"[\n\t]| {5,}")


def _parse_message(body: Any) -> tuple[str, dict[str, Any]] | JSONResponse:
    """A send request's recipient and what the emulator records of it, or the error Graph would answer."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return _invalid("messaging_product must be 'whatsapp'")
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return _invalid("to must be a phone number")
    to = to.lstrip("+")
    kind = body.get("type", "text")
    reference = body.get("biz_opaque_callback_data")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 512):
        return _invalid("biz_opaque_callback_data must be a string of at most 512 characters")
    record: dict[str, Any] = {"to": to, "type": kind, "biz_opaque_callback_data": reference}
    if kind == "template":
        parsed = _parse_template(body.get("template"))
    elif kind == "text":
        parsed = _parse_text(body.get("text"))
    elif kind == "interactive":
        parsed = _parse_interactive(body.get("interactive"))
    else:
        return _invalid(f"message type {kind!r} is not emulated")
    if isinstance(parsed, JSONResponse):
        return parsed
    return to, {**record, **parsed}


def _parse_template(template: Any) -> dict[str, Any] | JSONResponse:
    if not isinstance(template, dict) or not template.get("name") or not (template.get("language") or {}).get("code"):
        return _invalid("template.name and template.language.code are required")
    params: list[str] = []
    buttons: list[str] = []
    header: dict[str, Any] | None = None
    for component in template.get("components") or []:
        if component.get("type") == "header":
            parsed = _parse_header(component.get("parameters") or [])
            if isinstance(parsed, JSONResponse):
                return parsed
            header = parsed
            continue
        if component.get("type") == "button":
            if component.get("sub_type") != "quick_reply":
                return _invalid("only quick_reply buttons are emulated")
            for param in component.get("parameters") or []:
                if param.get("type") != "payload" or not isinstance(param.get("payload"), str):
                    return _invalid("a quick_reply button parameter must be a payload")
                buttons.append(param["payload"])
            continue
        for param in component.get("parameters") or []:
            if param.get("type") != "text" or not isinstance(param.get("text"), str):
                return _invalid("template parameters must be text")
            if _BAD_PARAM.search(param["text"]):
                return _invalid("Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
            params.append(param["text"])
    return {"template": template["name"], "language": template["language"]["code"], "parameters": params,
            "buttons": buttons, **({"header": header} if header else {})}


def _parse_header(parameters: list[Any]) -> dict[str, Any] | JSONResponse:
    """A template header with one document (Meta: `{"type": "document", "document": {"id" | "link", "filename"}}`);
    text headers are taken as text. Other media headers are not emulated."""
    if len(parameters) != 1 or not isinstance(parameters[0], dict):
        return _invalid("a template header takes exactly one parameter")
    param = parameters[0]
    if param.get("type") == "text" and isinstance(param.get("text"), str):
        return {"type": "text", "text": param["text"]}
    document = param.get("document")
    if param.get("type") != "document" or not isinstance(document, dict):
        return _invalid("only document and text header parameters are emulated")
    media_id, link = document.get("id"), document.get("link")
    if bool(media_id) == bool(link) or not isinstance(media_id or link, str):
        return _invalid("a header document needs exactly one of id and link")
    if link and not str(link).startswith("https://"):
        return _invalid("a header document link must be an https URL")
    name = document.get("filename")
    if name is not None and (not isinstance(name, str) or len(name) > 240):
        return _invalid("document.filename must be a string of at most 240 characters")
    return {"type": "document", "id": media_id, "link": link, "filename": name}


def _parse_text(text: Any) -> dict[str, Any] | JSONResponse:
    if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"].strip():
        return _invalid("text.body is required")
    if len(text["body"]) > TEXT_MAX:
        return _invalid(f"text.body is longer than {TEXT_MAX} characters")
    return {"text": text["body"]}


def _parse_interactive(interactive: Any) -> dict[str, Any] | JSONResponse:
    if not isinstance(interactive, dict) or interactive.get("type") != "button":
        return _invalid("only interactive messages of type 'button' are emulated")
    body = (interactive.get("body") or {}).get("text")
    if not isinstance(body, str) or not body.strip() or len(body) > INTERACTIVE_BODY_MAX:
        return _invalid(f"interactive.body.text is required, at most {INTERACTIVE_BODY_MAX} characters")
    buttons = (interactive.get("action") or {}).get("buttons") or []
    if not 1 <= len(buttons) <= 3:
        return _invalid("interactive.action.buttons must hold 1 to 3 buttons")
    shown: list[dict[str, str]] = []
    for button in buttons:
        reply = button.get("reply") or {}
        if button.get("type") != "reply" or not isinstance(reply.get("id"), str) or not reply["id"] \
                or len(reply["id"]) > BUTTON_ID_MAX:
            return _invalid("each button needs type 'reply' and a reply.id of at most 256 characters")
        if not isinstance(reply.get("title"), str) or not reply["title"] or len(reply["title"]) > BUTTON_TITLE_MAX:
            return _invalid(f"a button title is required, at most {BUTTON_TITLE_MAX} characters")
        shown.append({"id": reply["id"], "title": reply["title"]})
    if len({b["id"] for b in shown}) != len(shown) or len({b["title"] for b in shown}) != len(shown):
        return _invalid("button ids and titles must be unique")
    return {"text": body, "buttons": shown}


ZONE = ZoneInfo("Asia/Jakarta")
DAYS = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")


def render_conversation(entries: list[dict[str, Any]], tz: ZoneInfo = ZONE) -> str:
    """A conversation as the reporter's phone shows it: one block per message, time in WIB."""
    blocks = []
    for entry in entries:
        at = datetime.fromisoformat(entry["at"]).astimezone(tz)
        stamp = f"[{DAYS[at.weekday()]} {at:%d-%m %H.%M}]"
        if entry["direction"] == "in":
            kind = {"text": "", "interactive": " (menekan tombol)", "button": " (menekan tombol)",
                    "location": " (lokasi)", "image": " (foto)", "video": " (video)", "audio": " (pesan suara)",
                    "document": " (dokumen)"}.get(entry.get("type"), f" ({entry.get('type')})")
            blocks.append(f"{stamp} Pelapor{kind}:\n{entry.get('text') or ''}")
        elif entry.get("type") == "template":
            params = " | ".join(entry.get("parameters") or [])
            buttons = "".join(f" [{b}]" for b in entry.get("buttons") or [])
            header = entry.get("header") or {}
            attached = f"[dokumen: {header.get('filename') or 'tanpa nama'}]\n" if header.get("type") == "document" \
                else ""
            blocks.append(f"{stamp} Pemda (template {entry['template']}):\n{attached}{params}{buttons}")
        else:
            buttons = "\n" + "  ".join(f"[{b['title']}]" for b in entry["buttons"]) if entry.get("buttons") else ""
            kind = " (pesan tombol)" if entry.get("type") == "interactive" else ""
            blocks.append(f"{stamp} Pemda{kind}:\n{entry.get('text') or ''}{buttons}")
    return "\n\n".join(blocks)


def create_app(state: MetaGraphState | None = None) -> FastAPI:
    state = state or MetaGraphState()
    app = FastAPI(title="Meta Graph emulator (WhatsApp send)")
    app.state.meta = state

    @app.post("/{version}/{phone_number_id}/messages")
    async def send(version: str, phone_number_id: str, request: Request):
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            state._reject(104, None)
            return meta_error(104)
        if auth.removeprefix("Bearer ") != state.token or state.token_expired:
            state._reject(190, None)
            return meta_error(190, subcode=463)
        if phone_number_id != state.phone_number_id:
            return meta_error(100, subcode=33, message=(
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist"))
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _invalid("request body is not JSON")
        parsed = _parse_message(body)
        if isinstance(parsed, JSONResponse):
            return parsed
        to, record = parsed
        _, rule = state._next_fault()
        if rule is not None:
            if rule.code in ("slow", "timeout"):
                await asyncio.sleep(rule.delay)
            if rule.code == "timeout":
                state._reject("timeout", to)
                return meta_error(2)
            if rule.code != "slow":
                state._reject(rule.code, to)
                if rule.code == 502:
                    return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=502)
                return meta_error(HTTP_FAULTS.get(rule.code, rule.code))
        header = record.get("header") or {}
        if header.get("type") == "document" and header.get("id") and header["id"] not in state.media:
            state._reject(131053, to)
            return meta_error(131053)
        if to in state.invalid_numbers:
            state._reject(131026, to)
            return meta_error(131026)
        free_form = record["type"] != "template"
        if to in state.outside_window or (free_form and state.enforce_window and not state.in_window(to)):
            state._reject(131047, to)
            return meta_error(131047)
        wamid = _wamid()
        state._accept({"id": wamid, **record, "at": state.now().isoformat()})
        return {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": to}],
                "messages": [{"id": wamid, "message_status": "accepted"}]}

    @app.post("/{version}/{phone_number_id}/media")
    async def upload(version: str, phone_number_id: str, request: Request):
        if (problem := refused(request)) is not None:
            return problem
        if phone_number_id != state.phone_number_id:
            return meta_error(100, subcode=33, message=(
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist"))
        try:
            form = await request.form()
        except Exception:  # not multipart
            return _invalid("the upload must be multipart/form-data")
        file = form.get("file")
        if form.get("messaging_product") != "whatsapp":
            return _invalid("messaging_product must be 'whatsapp'")
        if file is None or isinstance(file, str):
            return _invalid("file is required")
        mime = str(form.get("type") or "")
        if mime not in UPLOAD_TYPES:
            return _invalid(f"type {mime!r} is not a supported media type")
        content = await file.read()
        if not content or len(content) > UPLOAD_TYPES[mime]:
            return _invalid(f"the file must hold 1 to {UPLOAD_TYPES[mime]} bytes for {mime}")
        media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        with state._lock:
            state.media[media_id] = (content, mime)
            state.uploads.append({"id": media_id, "type": mime, "filename": file.filename, "size": len(content)})
        return {"id": media_id}

    @app.get("/_emulator/messages")
    def messages():
        return state.snapshot()

    @app.post("/_emulator/faults")
    async def faults(request: Request):
        spec = await request.json()
        try:
            state.inject(spec["code"], times=spec.get("times", 1), every=spec.get("every"),
                         delay=float(spec.get("delay", 0)))
        except (KeyError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return {"ok": True}

    @app.post("/_emulator/token")
    async def token(request: Request):
        spec = await request.json()
        state.token_expired = bool(spec.get("expired", False))
        if spec.get("token"):
            state.token = spec["token"]
        return {"ok": True}

    @app.post("/_emulator/numbers")
    async def numbers(request: Request):
        spec = await request.json()
        state.invalid_numbers = set(spec.get("invalid", []))
        state.outside_window = set(spec.get("outside_window", []))
        return {"ok": True}

    @app.get("/_emulator/conversations/{wa_id}")
    def conversation(wa_id: str, format: str = "json"):
        entries = state.conversation(wa_id)
        if format == "text":
            return PlainTextResponse(render_conversation(entries) + "\n")
        return {"wa_id": wa_id, "in_window": state.in_window(wa_id), "messages": entries}

    @app.post("/_emulator/inbound")
    async def inbound(request: Request):
        spec = await request.json()
        try:
            at = spec.get("at")
            moment = (datetime.fromtimestamp(int(at), UTC) if isinstance(at, int | float) or str(at).isdigit()
                      else datetime.fromisoformat(at)) if at else None
            state.inbound(str(spec["wa_id"]), moment, spec.get("text"), spec.get("id"), spec.get("type", "text"))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return {"ok": True}

    @app.post("/_emulator/clock")
    async def clock(request: Request):
        spec = await request.json()
        state.advance(hours=float(spec.get("advance_hours", 0)))
        return {"now": state.now().isoformat()}

    @app.post("/_emulator/reset")
    def reset():
        state.reset()
        return {"ok": True}

    @app.post("/_emulator/media")
    async def media_knobs(request: Request):
        spec = await request.json()
        with state._lock:
            state.media_gone = set(spec.get("gone", []))
            state.media_bad_hash = set(spec.get("bad_hash", []))
            state.media_faults = [int(code) for code in spec.get("faults", [])]
        return {"ok": True}

    @app.get("/_emulator/media")
    def media_counts():
        return {"downloads": state.media_downloads}

    def refused(request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return meta_error(104)
        if auth.removeprefix("Bearer ") != state.token or state.token_expired:
            return meta_error(190, subcode=463)
        return None

    # The download url (Meta's lookaside host); registered before the metadata route, whose pattern it fits.
    @app.get("/whatsapp_business/attachments/")
    def download(request: Request, mid: str = "", hash: str = ""):
        if (problem := refused(request)) is not None:
            return problem
        found = state.media_for(mid) if hmac.compare_digest(hash, _media_hash(mid)) else None
        if found is None:
            return Response(status_code=404)
        with state._lock:
            state.media_downloads += 1
        return Response(found[0], media_type=found[1])

    @app.get("/{version}/{media_id}")
    def media_url(version: str, media_id: str, request: Request):
        if not re.fullmatch(r"v\d+\.\d+", version):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if (problem := refused(request)) is not None:
            return problem
        fault = state._media_fault()
        if fault is not None:
            headers = {"Retry-After": "1"} if fault == 429 else None
            return JSONResponse({"error": {"message": "emulated fault", "code": 2}}, status_code=fault,
                                headers=headers)
        found = state.media_for(media_id)
        if found is None:
            return meta_error(100, subcode=33, message=(
                f"Unsupported get request. Object with ID '{media_id}' does not exist"), status=404)
        content, mime = found
        digest = hashlib.sha256(content + (b"x" if media_id in state.media_bad_hash else b"")).hexdigest()
        url = (f"{str(request.base_url).rstrip('/')}/whatsapp_business/attachments/?mid={media_id}"
               f"&ext={len(content)}&hash={_media_hash(media_id)}")
        return {"messaging_product": "whatsapp", "url": url, "mime_type": mime, "sha256": digest,
                "file_size": str(len(content)), "id": media_id}

    return app


def main() -> None:  # pragma: no cover - manual use
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--phone-number-id", default=PHONE_NUMBER_ID)
    args = parser.parse_args()
    uvicorn.run(create_app(MetaGraphState(args.token, args.phone_number_id)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
