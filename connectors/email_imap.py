"""E-mail complaints read over IMAP (docs/wire-formats.md, "E-mail (IMAP)").

Citizens write to the pemda's complaint address (pengaduan@…); this connector reads one folder of that
mailbox with IMAPClient — TLS, STARTTLS, or plain IMAP on loopback only — and returns data, never touching a
database or settings.

- **Bookmark.** One partition per `<folder>#<UIDVALIDITY>`, whose cursor is the highest UID committed (an
  integer cursor). Each run reads the UIDs above it, a page at a time, oldest first. When the server renumbers
  the folder (a new UIDVALIDITY: a restored or migrated mailbox) the new partition starts at UID 1, so the
  whole folder is read again; core recognises every message by its Message-ID, so nothing is duplicated.
  The folder is opened read-only and fetched with BODY.PEEK: flags (\\Seen) are left as the staff have them.
- **Decoding** happens here, when a message is fetched (`parse_message`, pure): MIME structure, RFC 2047
  headers, RFC 2231 file names, charsets (utf-8, iso-8859-1 read as windows-1252, …), quoted-printable and
  base64. Plain text is preferred; HTML-only mail is reduced to text. A forwarded message (message/rfc822)
  adds its own text. The inbox keeps the decoded message as JSON, and each attachment as a record of its own
  right after it (metadata only; the bytes stay on the server until the media worker fetches them).
- **Threads.** A message becomes a `ThreadMessage` keyed by its thread's first Message-ID (References[0],
  else the root found by following In-Reply-To in the folder), so a reply joins the complaint its thread
  opened, whoever sends it, within `thread_window_days` of the thread's last message; reporter_contact is the
  From address. Mail from the pemda's own addresses (our replies) and automatic mail (auto-replies, bounces,
  mailing lists) is skipped. Quoted text is dropped from replies.
- **Attachments** become pending media (core.intake.media): the worker calls `fetch_media`, which finds the
  message again by its Message-ID (so a renumbered folder does not matter) and returns the part's bytes.
- **Caps.** A message over `max_message_bytes` is not downloaded whole: its headers and the text in its first
  256 KiB are kept, its attachments named as not stored. An attachment over `max_attachment_bytes` is named
  in the text, not stored. Text is cut at `max_text_chars`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import imaplib
import ipaddress
import logging
import re
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, ClassVar, Literal

import httpx
from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from pydantic import Field, field_validator, model_validator

from connectors.base import (
    FatalError,
    Marks,
    NormaliseError,
    Page,
    PullConfig,
    PullConnector,
    RetriableError,
    Skip,
    ThreadMessage,
    parse_timestamp,
)
from core.intake.contract import MediaFile, RefusedError, TooLargeError

log = logging.getLogger("aduan.connectors.email_imap")

CHANNEL = "email"
MiB = 2**20
PARTIAL_TEXT_BYTES = 256 * 1024  # of an oversize message: the text is nearly always in its first part
PARTIAL_TEXT = f"BODY.PEEK[TEXT]<0.{PARTIAL_TEXT_BYTES}>"
PAGE_BYTES = 32 * MiB  # bodies fetched per FETCH command
KEY_MAX = 95  # a Message-ID kept as a key; longer ones are hashed (external ids are capped at 200)
TITLE_MAX = 120
MAX_PARTS = 500  # MIME parts looked at in one message (a crafted message may have thousands)
MAX_FORWARD_DEPTH = 3
MIN_INLINE_IMAGE_BYTES = 4096  # smaller inline images are signature logos and icons, not evidence
ROOT_HOPS = 10  # In-Reply-To links followed to find a thread's first message
NO_SUBJECT_TITLE = "E-mail tanpa subjek"
ATTACHMENT_TITLE = "Lampiran e-mail"
SIGNATURE_TYPES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|bls|balas|balasan|tr|aw|wg|sv|antw|rif|ref)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                           re.IGNORECASE)
_C1 = re.compile(r"[\x80-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MEDIA_BY_ID = re.compile(r"^m(\d{1,3})-([A-Za-z0-9_-]+)$")
_MEDIA_BY_UID = re.compile(r"^u(\d{1,10})-(\d{1,10})-(\d{1,3})$")
# Errors of a connection that is gone or never came: the next try (a new connection) may well work.
_TRANSIENT = (OSError, imaplib.IMAP4.abort, EOFError)
# Words in a NO/BAD answer that mean "not now" (RFC 5530 response codes).
_TRANSIENT_CODES = ("UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT", "EXPUNGEISSUED", "TRYAGAIN")

POLICY = email_policy.default.clone(raise_on_defect=False)


# --- config --------------------------------------------------------------------------------------


class EmailImapConfig(PullConfig):
    host: str = Field(min_length=1, description="IMAP server, e.g. mail.blitarkab.go.id")
    port: int | None = Field(None, ge=1, le=65535, description="Default 993 (ssl) or 143 (starttls, none)")
    security: Literal["ssl", "starttls", "none"] = Field(
        "ssl", description="ssl: IMAPS; starttls: upgrade on 143; none: plain IMAP, loopback hosts only")
    verify_tls: bool = Field(True, description="Check the server's certificate")
    tls_ca_pem: str | None = Field(None, description="PEM of the CA (or self-signed certificate) to trust, for a "
                                                     "server whose certificate no public CA signed")
    username: str = Field(min_length=1, description="Mailbox login, usually the complaint address")
    password: str = Field(min_length=1, repr=False)
    folder: str = Field("INBOX", min_length=1, description="Folder the complaints arrive in")
    own_addresses: list[str] = Field(default_factory=list,
                                     description="The pemda's own addresses: their mail (our replies) is no complaint")
    page_size: int = Field(25, ge=1, le=500, description="Messages per page (one commit)")
    max_message_bytes: int = Field(25 * MiB, ge=64 * 1024, description="Larger messages keep only their text")
    max_attachment_bytes: int = Field(10 * MiB, ge=1, description="Larger attachments are named, not stored")
    max_text_chars: int = Field(20_000, ge=500, le=200_000, description="Text kept per message")
    thread_window_days: int = Field(60, ge=0, description="A reply later than this after its thread's last "
                                                          "message opens a new complaint")

    @field_validator("own_addresses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> EmailImapConfig:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError("security 'none' (sandi tanpa enkripsi) hanya untuk server di 127.0.0.1/localhost; "
                             "gunakan 'ssl' atau 'starttls'")
        return self

    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)

    def own(self) -> set[str]:
        mine = set(self.own_addresses)
        if "@" in self.username:
            mine.add(self.username.strip().lower())
        return mine


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- text helpers (pure) -------------------------------------------------------------------------


def clean(text: str | None) -> str:
    """Text that JSON and PostgreSQL can hold: raw 8-bit header bytes (surrogate-escaped by the parser)
    read as UTF-8, else windows-1252; control characters other than tab and newline dropped."""
    if not text:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", "replace")
    text = text.encode("utf-8", "replace").decode("utf-8")  # any other lone surrogate
    if _C1.search(text):  # windows-1252 bytes labelled iso-8859-1 (a dash, curly quotes): what the sender meant
        text = _C1.sub(lambda m: m.group().encode("latin-1").decode("cp1252", "replace"), text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """A text part's bytes in its declared charset. iso-8859-1 and us-ascii are read as windows-1252 (what
    senders mean by them, as browsers do); an unknown or wrong label falls back to UTF-8, then latin-1."""
    label = (charset or "").strip().strip('"').lower()
    if label in {"", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819"}:
        candidates = ["utf-8", "cp1252"] if label in {"", "us-ascii", "ascii"} else ["cp1252", "utf-8"]
    else:
        candidates = [label, "utf-8", "cp1252"]
    for codec in candidates:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


class _HtmlText(HTMLParser):
    """HTML to readable text: blocks and <br> become line breaks, scripts and styles go, entities are decoded."""

    SKIP = {"script", "style", "head", "title", "noscript", "template", "svg"}
    BLOCK = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
             "section", "article", "header", "footer", "pre", "hr", "address", "dd", "dt", "form"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in self.BLOCK:
            self._line()
            if tag == "li":
                self.out.append("• ")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in ("br", "hr"):
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self._line()

    def _line(self) -> None:
        """A line break unless the text already ends with one (nested blocks make no blank lines)."""
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # a badly broken document: whatever was read so far
        pass
    return tidy("".join(parser.out))


def tidy(text: str) -> str:
    """Spaces collapsed per line, at most one blank line in a row, no blank lines at either end."""
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|pesan asli|forwarded message|pesan yang diteruskan|pesan terusan)\s*-{2,}"
    r"|_{20,})\s*$", re.IGNORECASE)
_WROTE = re.compile(r"^\s*(?:on|pada|le|am)\b.{0,300}(?:wrote|menulis|a écrit|schrieb)\s*:\s*$",
                    re.IGNORECASE | re.DOTALL)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:from|dari)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(?:sent|date|dikirim|tanggal|to|kepada)\s*:", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """A reply without what it quotes: '>' lines, and everything from an attribution line ("On … wrote:",
    "Pada … menulis:", an Outlook "From:/Sent:" block or "-----Original Message-----") on."""
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _QUOTE_START.match(line) or _WROTE.match(line) or _WROTE.match(f"{line} {following}"):
            break
        if _OUTLOOK_FROM.match(line) and _OUTLOOK_NEXT.match(following):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return tidy("\n".join(kept))


def clean_subject(subject: str) -> str:
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split())


def title_of(subject: str, text: str) -> tuple[str, bool]:
    """(title, placeholder): the subject without Re:/Fwd:, else the text's first line, else a placeholder."""
    title = clean_subject(subject)
    if not title:
        title = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if not title:
        return NO_SUBJECT_TITLE, True
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return title, False


def size_text(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MB".replace(".", ",")
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} byte"


# --- MIME (pure) ---------------------------------------------------------------------------------


def message_key(message_id: str) -> str:
    """A Message-ID as a key of records, threads and complaints: as is when short, else a stable hash."""
    if len(message_id) <= KEY_MAX:
        return message_id
    return "sha256-" + hashlib.sha256(message_id.encode()).hexdigest()[:48]


def message_ids(value: str) -> list[str]:
    """Message-IDs in a header, without their angle brackets (a bare one when a client left them off)."""
    found = _MSG_ID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip() and "@" in value:
        found = [value.strip().strip("<>")]
    return found


def header_text(msg: Message, name: str) -> str:
    """A header decoded (RFC 2047, folded lines joined); '' when absent."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:  # the header parser trips on some malformed headers: decode the raw value ourselves
        raw = next((v for k, v in getattr(msg, "raw_items", lambda: [])() if k.lower() == name.lower()), None)
        if raw is None:
            return ""
        try:
            text = str(make_header(decode_header(str(raw))))
        except Exception:
            text = str(raw)
    return clean(" ".join(text.split()))


def addresses(msg: Message, name: str) -> list[dict[str, str]]:
    """[{name, address}] of an address header (display names decoded)."""
    pairs: list[tuple[str, str]] = []
    try:
        value = msg.get(name)
        if value is not None and hasattr(value, "addresses"):
            pairs = [(a.display_name, a.addr_spec) for a in value.addresses]
    except Exception:
        pairs = []
    if not pairs:
        raw = header_text(msg, name)
        pairs = getaddresses([raw]) if raw else []
    out = []
    for display, address in pairs:
        address = clean(address).strip().strip("<>").lower()
        if not address or address == "<>" or "@" not in address:
            continue
        out.append({"name": clean(display).strip().strip('"') or None, "address": address[:254]})
    return out


def automatic(msg: Message, sender: str | None) -> str | None:
    """Why a message was sent by a machine (auto-reply, bounce, mailing list), or None for a person."""
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if header_text(msg, name):
            return name
    precedence = header_text(msg, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    if msg.get_content_type() == "multipart/report":
        return "laporan pengiriman (bounce)"
    if header_text(msg, "List-Id") or header_text(msg, "List-Unsubscribe"):
        return "milis / buletin"
    local = (sender or "").split("@", 1)[0]
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}:
        return f"pengirim {local}"
    return None


def walk(msg: Message) -> list[tuple[Message, Message | None, int]]:
    """Every part in `Message.walk()` order (so an index names the same part again), with its parent and how
    many forwarded messages (message/rfc822) it sits in. At most MAX_PARTS parts."""
    out: list[tuple[Message, Message | None, int]] = []

    def visit(part: Message, parent: Message | None, forwarded: int) -> None:
        if len(out) >= MAX_PARTS:
            return
        out.append((part, parent, forwarded))
        if part.is_multipart():
            inner = forwarded + (part.get_content_type() == "message/rfc822")
            for sub in part.get_payload() or []:
                if isinstance(sub, Message):
                    visit(sub, part, inner)

    visit(msg, None, 0)
    return out


def part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    text = clean(decode_bytes(data, part.get_content_charset()))
    return html_to_text(text) if part.get_content_type() == "text/html" else tidy(text)


def is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def file_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if "=?" in name:  # an RFC 2047 word inside quotes (Outlook, old webmail): not standard, but common
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            pass
    name = clean(name).replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"lampiran-{index}.{subtype[:10]}"
    return name[:150]


def message_text(msg: Message, depth: int = 0) -> tuple[str, str | None]:
    """(text, source): the body in plain text ('plain' or 'html' as it came), then any other inline text parts
    of a mixed message, then the text of forwarded messages under a heading."""
    try:
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    except Exception:
        body = None
    pieces: list[str] = []
    source = None
    if body is not None:
        pieces.append(part_text(body))
        source = body.get_content_subtype()
    for part, parent, forwarded in walk(msg):
        if part is msg or part is body or forwarded:
            continue
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and depth < MAX_FORWARD_DEPTH:
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                text, _ = message_text(inner, depth + 1)
                who = header_text(inner, "From")
                about = header_text(inner, "Subject")
                heading = "---------- Pesan terusan ----------"
                meta = "\n".join(x for x in (f"Dari: {who}" if who else "", f"Subjek: {about}" if about else "") if x)
                pieces.append("\n\n".join(x for x in (heading + ("\n" + meta if meta else ""), text) if x))
        elif ctype == "text/plain" and source == "plain" and not is_attachment(part) \
                and (parent is None or parent.get_content_type() != "multipart/alternative"):
            pieces.append(part_text(part))
    return tidy("\n\n".join(p for p in pieces if p)), source


def media_kind(mime: str) -> str:
    main = mime.split("/", 1)[0]
    return main if main in {"image", "video", "audio"} else "document"


def attachments(msg: Message, body: Message | None, max_bytes: int) -> tuple[list[dict], list[dict]]:
    """(kept, dropped): attachments and inline media worth keeping, by walk index; over `max_bytes` dropped."""
    kept, dropped = [], []
    for index, (part, _parent, _forwarded) in enumerate(walk(msg)):
        if part.is_multipart() or part is body:
            continue
        ctype = part.get_content_type()
        if ctype.startswith("message/") or ctype in SIGNATURE_TYPES:
            continue
        if ctype in ("text/plain", "text/html") and not is_attachment(part):
            continue  # the body, its alternatives, inline text: already in the text
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        if ctype.startswith("image/") and part.get_content_disposition() != "attachment" \
                and len(data) < MIN_INLINE_IMAGE_BYTES:
            continue
        item = {"index": index, "filename": file_name(part, index), "mime": ctype[:100], "size": len(data)}
        (dropped if len(data) > max_bytes else kept).append(item)
    return kept, dropped


def parse_message(raw: bytes, *, max_text_chars: int = 20_000, max_attachment_bytes: int = 10 * MiB,
                  truncated: bool = False) -> dict[str, Any]:
    """One RFC 5322 message as the JSON the inbox keeps: decoded headers, text, attachment list."""
    msg = message_from_bytes(raw, policy=POLICY)
    sender = (addresses(msg, "From") or addresses(msg, "Sender") or [{"name": None, "address": ""}])[0]
    ids = message_ids(header_text(msg, "Message-ID"))
    message_id = ids[0] if ids else ""
    if not message_id:  # a stable stand-in, so a re-read recognises it
        basis = "|".join((sender["address"], header_text(msg, "Date"), header_text(msg, "Subject")))
        digest = hashlib.sha256(basis.encode() + raw[-4096:]).hexdigest()[:40]
        message_id = f"sha256-{digest}@tanpa-message-id"
    try:
        date = parsedate_to_datetime(header_text(msg, "Date"))
        date = (date if date.tzinfo else date.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        date = None
    text, source = message_text(msg)
    try:
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    except Exception:
        body = None
    kept, dropped = ([], []) if truncated else attachments(msg, body, max_attachment_bytes)
    return {
        "message_id": message_id,
        "generated_id": not ids,
        "in_reply_to": (message_ids(header_text(msg, "In-Reply-To")) or [None])[0],
        "references": message_ids(header_text(msg, "References"))[:50],
        "from": sender,
        "reply_to": addresses(msg, "Reply-To")[:5],
        "to": addresses(msg, "To")[:20],
        "cc": addresses(msg, "Cc")[:20],
        "subject": cut(header_text(msg, "Subject"), 500),
        "date": date,
        "automatic": automatic(msg, sender["address"]),
        "text": cut(text, max_text_chars),
        "text_source": source,
        "attachments": kept,
        "dropped_attachments": dropped,
    }


def part_at(raw: bytes, index: int) -> Message | None:
    """The part `index` of `walk` (as `parse_message` numbered it)."""
    parts = walk(message_from_bytes(raw, policy=POLICY))
    if not 0 <= index < len(parts) or parts[index][0].is_multipart():
        return None
    return parts[index][0]


def media_id_for(message_id: str, generated: bool, index: int, uidvalidity: int, uid: int) -> str:
    """`m<index>-<base64url Message-ID>` (found again by Message-ID, whatever the UIDs), or, for a long or
    made-up Message-ID, `u<UIDVALIDITY>-<UID>-<index>`. Both fit core's media id pattern."""
    if not generated:
        encoded = base64.urlsafe_b64encode(message_id.encode()).decode().rstrip("=")
        candidate = f"m{index}-{encoded}"
        if len(candidate) <= 200:
            return candidate
    return f"u{uidvalidity}-{uid}-{index}"


# --- the connector -------------------------------------------------------------------------------


class _Renumbered(Exception):
    """The folder's UIDVALIDITY changed while a run was reading it."""


class Mailbox:
    """One IMAP connection to the configured folder (read-only), reopened after a drop. `call(op)` runs
    `op(imap)` with the connector's bounded retries; connection trouble is a RetriableError."""

    def __init__(self, connector: EmailImapConnector, retry: bool = True):
        self.connector = connector
        self.config: EmailImapConfig = connector.config
        self.retry = retry
        self.imap: IMAPClient | None = None
        self.uidvalidity: int | None = None

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        imap, self.imap = self.imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except Exception:
            try:
                imap.shutdown()
            except Exception:
                pass

    def _where(self) -> str:
        return f"{self.config.host}:{self.config.effective_port()}"

    def _open(self) -> None:
        cfg = self.config
        seconds = self.connector.retrier.policy.timeout_seconds
        try:
            context = ssl.create_default_context(cadata=cfg.tls_ca_pem or None)
        except ssl.SSLError as exc:
            raise FatalError(f"tls_ca_pem tidak dapat dibaca sebagai sertifikat PEM: {exc}") from exc
        if not cfg.verify_tls:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            imap = IMAPClient(cfg.host, port=cfg.effective_port(), ssl=cfg.security == "ssl",
                              ssl_context=context if cfg.security == "ssl" else None,
                              timeout=seconds)
        except ssl.SSLCertVerificationError as exc:
            raise FatalError(f"sertifikat TLS server IMAP {self._where()} ditolak: {exc.verify_message}") from exc
        except _TRANSIENT as exc:
            raise RetriableError(f"gagal terhubung ke server IMAP {self._where()}: {exc.__class__.__name__} {exc}") \
                from exc
        try:
            imap.normalise_times = False  # INTERNALDATE with its offset
            if cfg.security == "starttls":
                imap.starttls(context)
            imap.login(cfg.username, cfg.password)
            info = imap.select_folder(cfg.folder, readonly=True)
        except ssl.SSLCertVerificationError as exc:
            self._drop(imap)
            raise FatalError(f"sertifikat TLS server IMAP {self._where()} ditolak: {exc.verify_message}") from exc
        except LoginError as exc:
            self._drop(imap)
            if any(code in str(exc).upper() for code in _TRANSIENT_CODES):
                raise RetriableError(f"server IMAP {self._where()} belum dapat melayani login: {exc}") from exc
            raise FatalError(f"login IMAP {cfg.username!r} di {self._where()} ditolak; periksa username/password "
                             "pada konfigurasi konektor") from exc
        except _TRANSIENT as exc:
            self._drop(imap)
            raise RetriableError(f"koneksi IMAP {self._where()} terputus: {exc.__class__.__name__} {exc}") from exc
        except imaplib.IMAP4.error as exc:
            self._drop(imap)
            if any(code in str(exc).upper() for code in _TRANSIENT_CODES):
                raise RetriableError(f"server IMAP {self._where()} sibuk: {exc}") from exc
            raise FatalError(f"folder {cfg.folder!r} tidak dapat dibuka di {self._where()}: {exc}") from exc
        uidvalidity = int(info[b"UIDVALIDITY"])
        if self.uidvalidity is not None and uidvalidity != self.uidvalidity:
            self._drop(imap)
            raise _Renumbered(uidvalidity)
        self.imap, self.uidvalidity = imap, uidvalidity

    @staticmethod
    def _drop(imap: IMAPClient) -> None:
        try:
            imap.shutdown()
        except Exception:
            pass

    def call(self, op: Callable[[IMAPClient], Any]) -> Any:
        def attempt() -> Any:
            if self.imap is None:
                self._open()
            try:
                return op(self.imap)
            except _TRANSIENT as exc:
                self.close()
                raise RetriableError(f"koneksi IMAP {self._where()} terputus: {exc.__class__.__name__} {exc}") \
                    from exc
            except imaplib.IMAP4.error as exc:
                if any(code in str(exc).upper() for code in _TRANSIENT_CODES):
                    self.close()
                    raise RetriableError(f"server IMAP {self._where()} sibuk: {exc}") from exc
                raise FatalError(f"server IMAP {self._where()} menolak perintah: {exc}") from exc

        return self.connector.retrier.call(attempt) if self.retry else attempt()

    def open(self) -> int:
        self.call(lambda imap: None)
        return self.uidvalidity  # type: ignore[return-value]


class EmailImapConnector(PullConnector):
    name: ClassVar[str] = "email_imap"
    channel: ClassVar[str] = CHANNEL
    channel_label: ClassVar[str | None] = "E-mail"
    code_prefix: ClassVar[str | None] = "EML"
    Config = EmailImapConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    primary_key: ClassVar[str] = "message_key"
    cursor_field: ClassVar[str] = "uid"  # an integer cursor per `<folder>#<UIDVALIDITY>` partition
    placeholder_titles: ClassVar[frozenset[str]] = frozenset({NO_SUBJECT_TITLE, ATTACHMENT_TITLE})

    config: EmailImapConfig

    def thread_window_minutes(self) -> int:
        return self.config.thread_window_days * 24 * 60

    # --- pull ----------------------------------------------------------------------------------
    def fetch_pages(self, client: httpx.Client | None, marks: Marks) -> Iterator[Page]:
        cfg = self.config
        with Mailbox(self) as box:
            uidvalidity = box.open()
            partition = f"{cfg.folder}#{uidvalidity}"
            after = marks.get(partition, 0)
            after = after if isinstance(after, int) else 0
            uids = sorted(u for u in box.call(lambda imap: imap.search(["UID", f"{after + 1}:*"])) if u > after)
            roots: dict[str, str] = {}
            try:
                for start in range(0, len(uids), cfg.page_size):
                    records = []
                    for fetched in self._fetch(box, uids[start:start + cfg.page_size]):
                        records += self._records(box, uidvalidity, roots, *fetched)
                    if records:
                        yield Page(records, partition=partition, expected=len(uids))
            except _Renumbered as exc:
                log.warning("email %s: UIDVALIDITY of %s changed to %s during the run; the next run re-reads it",
                            cfg.username, cfg.folder, exc.args[0])

    def _fetch(self, box: Mailbox, uids: list[int]) -> list[tuple[int, datetime, int, bytes, bool]]:
        """(uid, INTERNALDATE, size, raw, truncated) of the messages still there, in UID order."""
        cfg = self.config
        meta = box.call(lambda imap: imap.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"]))
        sizes = {uid: int(data.get(b"RFC822.SIZE") or 0) for uid, data in meta.items()}
        bodies: dict[int, tuple[bytes, bool]] = {}
        group: list[int] = []
        group_bytes = 0

        def fetch_group() -> None:
            found = box.call(lambda imap: imap.fetch(list(group), ["BODY.PEEK[]"]))
            for uid, data in found.items():
                if isinstance(data.get(b"BODY[]"), bytes):
                    bodies[uid] = (data[b"BODY[]"], False)

        for uid in uids:
            if uid not in sizes:
                continue  # expunged since the search
            size = sizes[uid]
            if size > cfg.max_message_bytes:
                found = box.call(lambda imap, uid=uid: imap.fetch([uid], ["BODY.PEEK[HEADER]", PARTIAL_TEXT]))
                data = found.get(uid) or {}
                header = data.get(b"BODY[HEADER]") or b""
                text = data.get(b"BODY[TEXT]<0>") or b""
                if header:
                    bodies[uid] = (header + text, True)
                continue
            if group and group_bytes + size > PAGE_BYTES:
                fetch_group()
                group, group_bytes = [], 0
            group.append(uid)
            group_bytes += size
        if group:
            fetch_group()
        out = []
        for uid in uids:
            if uid in bodies:
                arrived = meta[uid].get(b"INTERNALDATE")
                out.append((uid, arrived, sizes[uid], *bodies[uid]))
        return out

    def _records(self, box: Mailbox, uidvalidity: int, roots: dict[str, str], uid: int, arrived: datetime | None,
                 size: int, raw: bytes, truncated: bool) -> list[tuple[str, Any]]:
        cfg = self.config
        parsed = parse_message(raw, max_text_chars=cfg.max_text_chars, max_attachment_bytes=cfg.max_attachment_bytes,
                               truncated=truncated)
        received = arrived if isinstance(arrived, datetime) else None
        if received is not None and received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
        received_at = received.astimezone(UTC).isoformat() if received else (parsed["date"] or
                                                                               datetime.now(UTC).isoformat())
        root = self._root(box, parsed, roots)
        roots[parsed["message_id"]] = root
        key = message_key(parsed["message_id"])
        place = {"uid": uid, "uidvalidity": uidvalidity, "folder": cfg.folder, "received_at": received_at,
                 "thread_key": message_key(root)}
        message = {"type": "message", "message_key": key, **place, "size": size, "truncated": truncated, **parsed}
        records: list[tuple[str, Any]] = [(key, message)]
        head = {k: parsed[k] for k in ("message_id", "from", "subject", "automatic", "in_reply_to")}
        for item in parsed["attachments"]:
            media_id = media_id_for(parsed["message_id"], parsed["generated_id"], item["index"], uidvalidity, uid)
            records.append((f"{key}#{item['index']}", {
                "type": "attachment", "message_key": f"{key}#{item['index']}", **place, "message": head,
                "attachment": {**item, "media_id": media_id}}))
        return records

    def _root(self, box: Mailbox, parsed: dict[str, Any], roots: dict[str, str]) -> str:
        """The thread's first Message-ID: References[0]; else up the In-Reply-To chain as far as this folder
        holds it; a message that answers nothing is its own root."""
        if parsed["references"]:
            return parsed["references"][0]
        parent = parsed["in_reply_to"]
        if not parent:
            return parsed["message_id"]
        for _ in range(ROOT_HOPS):
            if parent in roots:
                return roots[parent]
            found = self._headers_of(box, parent)
            if found is None:
                return parent
            refs, grandparent = found
            if refs:
                return refs[0]
            if not grandparent or grandparent == parent:
                return parent
            parent = grandparent
        return parent

    def _headers_of(self, box: Mailbox, message_id: str) -> tuple[list[str], str | None] | None:
        """(References, In-Reply-To) of the message with this Message-ID in the folder, or None."""
        wanted = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES IN-REPLY-TO)]"

        def look(imap: IMAPClient) -> Any:
            uids = imap.search(["HEADER", "Message-ID", f"<{message_id}>"])
            return imap.fetch(uids[:5], [wanted]) if uids else {}

        for data in box.call(look).values():
            raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
            msg = message_from_bytes(raw or b"", policy=POLICY)
            if message_id in message_ids(header_text(msg, "Message-ID")):
                in_reply = message_ids(header_text(msg, "In-Reply-To"))
                return message_ids(header_text(msg, "References")), (in_reply[0] if in_reply else None)
        return None

    # --- normalisation -------------------------------------------------------------------------
    def normalise(self, payload: Any) -> ThreadMessage | Skip:
        if not isinstance(payload, dict) or payload.get("type") not in ("message", "attachment"):
            raise NormaliseError("bukan record e-mail (type harus 'message' atau 'attachment')")
        head = payload if payload["type"] == "message" else payload.get("message") or {}
        sender = head.get("from") or {}
        address = str(sender.get("address") or "").lower()
        if not address:
            return Skip("e-mail tanpa alamat pengirim")
        if address in self.config.own():
            return Skip("dikirim dari alamat pemda sendiri (balasan kita, bukan pengaduan)")
        if head.get("automatic"):
            return Skip(f"e-mail otomatis, bukan dari warga ({head['automatic']})")
        common = dict(reporter=str(payload["thread_key"]), at=parse_timestamp(payload["received_at"]),
                      reporter_name=(sender.get("name") or address)[:120], reporter_contact=address[:200])
        if payload["type"] == "attachment":
            item = payload["attachment"]
            label = {"image": "Foto", "video": "Video", "audio": "Rekaman suara"}.get(media_kind(item["mime"]),
                                                                                   "Dokumen")
            return ThreadMessage(message_id=str(payload["message_key"]), title=ATTACHMENT_TITLE, placeholder=True,
                                 text=f"[{label} terlampir: {item['filename']} ({size_text(int(item['size']))})]",
                                 media_id=item["media_id"], media_kind=media_kind(item["mime"]),
                                 media_mime=item["mime"], media_caption=item["filename"], **common)
        text = str(payload.get("text") or "")
        if payload.get("in_reply_to") or payload.get("references"):
            text = strip_quoted(text)
        title, placeholder = title_of(str(payload.get("subject") or ""), text)
        notes = []
        if payload.get("truncated"):
            notes.append(f"[E-mail {size_text(int(payload.get('size') or 0))} melebihi batas "
                         f"{size_text(self.config.max_message_bytes)}: hanya teks awalnya yang diambil, lampiran "
                         "tidak disimpan. Buka e-mail aslinya di kotak surat.]")
        for item in payload.get("dropped_attachments") or []:
            notes.append(f"[Lampiran tidak disimpan, melebihi batas {size_text(self.config.max_attachment_bytes)}: "
                         f"{item['filename']} ({size_text(int(item['size']))})]")
        if not text:
            text = clean_subject(str(payload.get("subject") or "")) or "(e-mail tanpa isi)"
        return ThreadMessage(message_id=str(payload["message_key"]), title=title, placeholder=placeholder,
                             text="\n\n".join([text, *notes]), **common)

    # --- media ---------------------------------------------------------------------------------
    def fetch_media(self, client: httpx.Client | None, media_id: str, max_bytes: int = 10 * MiB) -> MediaFile:
        """An attachment's bytes, from the message found again in the folder: by Message-ID (`m…` ids) or by
        UID when the folder was not renumbered since (`u…`). One try: the media worker retries later.
        RefusedError: the message or part is gone; TooLargeError: over `max_bytes`."""
        by_id, by_uid = _MEDIA_BY_ID.match(media_id or ""), _MEDIA_BY_UID.match(media_id or "")
        if by_id:
            index = int(by_id.group(1))
            try:
                encoded = by_id.group(2)
                message_id = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise RefusedError(f"id media e-mail tidak valid: {media_id[:60]!r}") from None
        elif by_uid:
            index, message_id = int(by_uid.group(3)), None
        else:
            raise RefusedError(f"id media e-mail tidak valid: {str(media_id)[:60]!r}")
        cap = min(max_bytes, self.config.max_attachment_bytes)
        too_large = f"lampiran melebihi batas {cap:,} byte".replace(",", ".")
        with Mailbox(self, retry=False) as box:
            uidvalidity = box.open()
            if message_id is not None:
                uids = box.call(lambda imap: imap.search(["HEADER", "Message-ID", f"<{message_id}>"]))
            elif int(by_uid.group(1)) == uidvalidity:
                uids = [int(by_uid.group(2))]
            else:
                raise RefusedError("kotak surat sudah dinomori ulang (UIDVALIDITY berubah); lampiran tanpa "
                                   "Message-ID tidak dapat ditemukan lagi")
            for uid in uids[:5]:
                meta = box.call(lambda imap, uid=uid: imap.fetch([uid], ["RFC822.SIZE"])).get(uid)
                if not meta:
                    continue
                if int(meta.get(b"RFC822.SIZE") or 0) > self.config.max_message_bytes:
                    raise TooLargeError(too_large + " (e-mailnya melebihi batas ukuran pesan)")
                raw = box.call(lambda imap, uid=uid: imap.fetch([uid], ["BODY.PEEK[]"])).get(uid, {}).get(b"BODY[]")
                if not isinstance(raw, bytes):
                    continue
                if message_id is not None and message_id not in message_ids(
                        header_text(message_from_bytes(raw, policy=POLICY), "Message-ID")):
                    continue  # SEARCH HEADER matches substrings
                part = part_at(raw, index)
                if part is None:
                    raise RefusedError(f"bagian {index} tidak ada di e-mail itu")
                content = part.get_payload(decode=True)
                if not isinstance(content, bytes):
                    raise RefusedError(f"bagian {index} e-mail itu bukan lampiran")
                if len(content) > cap:
                    raise TooLargeError(f"{too_large} ({len(content):,} byte)".replace(",", "."))
                return MediaFile(content=content, mime_type=part.get_content_type()[:100])
        raise RefusedError("e-mail lampiran ini sudah tidak ada di kotak surat")


__all__ = ["EmailImapConnector", "EmailImapConfig", "parse_message", "html_to_text", "strip_quoted",
           "decode_bytes", "message_key"]
