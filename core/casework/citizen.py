"""What the reporter reads: every message to a citizen, in Bahasa Indonesia, in one place.

Pure functions (no database): the acknowledgement of a new complaint (tracking code, public link, response date in
working days), the status notices (tindak lanjut, tunda, selesai, ditolak with the reason), the "sudah beres?"
question with its reply buttons, the answers to the reporter's own replies, and the opt-out confirmations. Each
message has a free-form session form (WhatsApp, inside the 24-hour customer-service window) and, where Meta needs
one outside the window, an approved template with parameters (`TEMPLATES`). The public reply to a Google review
uses the same wording (`public_reply`), so the reviewer sees the tracking code too.

Reading the reporter's replies is here as well: "BERHENTI" / "MULAI" and the answers to "sudah beres?"
("1", "sudah", the button…; "2", "belum"…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from core.runtime.settings import Settings

# WhatsApp's own limits (Cloud API reference): a text body, an interactive body, a reply button's title.
TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
PARAM_MAX = 200  # our cap on one template parameter (Meta refuses newlines, tabs and runs of 5+ spaces in them)

# Approved templates (their names and parameters, as submitted to Meta for approval):
#   status_aduan       [kode, status, catatan]   "Aduan {{1}}: {{2}}. {{3}}"
#   aduan_selesai      [kode, tautan]            "Aduan {{1}} telah selesai ditangani. Lihat rinciannya di {{2}}"
#   aduan_sudah_beres  [kode] + quick replies "1 Sudah" / "2 Belum"
#                                                "Apakah masalah pada aduan {{1}} sudah beres? …"
STATUS_TEMPLATE = "status_aduan"
RESOLVED_TEMPLATE = "aduan_selesai"
QUESTION_TEMPLATE = "aduan_sudah_beres"
TEMPLATES = (STATUS_TEMPLATE, RESOLVED_TEMPLATE, QUESTION_TEMPLATE)

SUDAH, BELUM = "sudah", "belum"
Answer = Literal["sudah", "belum"]
BUTTON_PREFIX = "beres:"  # reply-button ids: "beres:<code>:sudah" | "beres:<code>:belum"
BUTTONS = ((SUDAH, "1 Sudah"), (BELUM, "2 Belum"))
QUESTION = "Apakah masalah Anda sudah beres? Balas 1 Sudah atau 2 Belum"
STOP_WORDS = frozenset({"berhenti", "stop", "unsubscribe"})
START_WORDS = frozenset({"mulai", "start"})
_ANSWERS = {
    SUDAH: {"1", "1 sudah", "sudah", "sdh", "udah", "sudah beres", "beres", "sudah selesai", "1 sudah beres"},
    BELUM: {"2", "2 belum", "belum", "blm", "belum beres", "belum selesai", "2 belum beres"},
}

DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")
ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT", "Asia/Pontianak": "WIB"}

# What each status notice is about (workflow actions that reach the reporter).
NOTICE_ACTIONS = ("respond", "postpone", "resolve", "reject")
STATUS_WORDS = {"respond": "Ditindaklanjuti", "postpone": "Ditunda", "resolve": "Selesai", "reject": "Ditolak"}


@dataclass(frozen=True)
class Message:
    """One message to a reporter: the session form (free text or interactive buttons) and the approved template
    that replaces it outside the 24-hour window (None: session only, e.g. an answer to what they just wrote)."""

    text: str
    template: str | None = None
    params: list[str] = field(default_factory=list)
    buttons: tuple[tuple[str, str], ...] = ()  # (id, title) reply buttons: an interactive message
    template_buttons: tuple[str, ...] = ()  # quick-reply payloads of the template's buttons, in order

    def session(self) -> dict[str, Any]:
        """The Graph message body part: {"type": "text", "text": {...}} or {"type": "interactive", ...}."""
        if self.buttons:
            return {"type": "interactive", "interactive": {
                "type": "button", "body": {"text": self.text[:INTERACTIVE_BODY_MAX]},
                "action": {"buttons": [{"type": "reply", "reply": {"id": bid, "title": title[:BUTTON_TITLE_MAX]}}
                                       for bid, title in self.buttons]}}}
        return {"type": "text", "text": {"preview_url": True, "body": self.text[:TEXT_MAX]}}


# --- links and dates -----------------------------------------------------------------------------

_WILDCARD_HOSTS = {"0.0.0.0", "::", "", "[::]"}


def public_link(settings: Settings, code: str) -> str:
    """The public page of one complaint, {ADUAN_PUBLIC_BASE_URL}/publik?kode=<code> (else the dashboard's own
    address). The same rule as core.reporting.public.public_url, which this layer may not import
    (tests/core/test_citizen_loop.py keeps the two equal)."""
    base = getattr(settings, "public_base_url", None)
    if base:
        base = base.rstrip("/")
    else:
        host = settings.api_host
        if host in _WILDCARD_HOSTS:
            host = "127.0.0.1"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        base = f"http://{host}:{settings.dashboard_port}"
    return f"{base}/publik?kode={quote(code, safe='')}"


def local_moment(moment: datetime, settings: Settings) -> str:
    """`Rabu, 10 Desember 2026 pukul 09.15 WIB` (the pemda's zone)."""
    local = moment.astimezone(settings.tz)
    zone = ZONES.get(settings.timezone, local.tzname() or "")
    return (f"{DAYS_ID[local.weekday()]}, {local.day} {MONTHS_ID[local.month - 1]} {local.year} "
            f"pukul {local:%H.%M} {zone}").rstrip()


def excerpt(text: str | None, limit: int = PARAM_MAX) -> str:
    """One line, at most `limit` characters (a template parameter may hold no newline or tab)."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# --- messages ------------------------------------------------------------------------------------

def acknowledgement(settings: Settings, code: str, link: str, response_due_at: datetime | None) -> Message:
    """A new complaint: its tracking code, the public link and by when the OPD answers (working days)."""
    days = settings.response_days
    when = (f"paling lambat {local_moment(response_due_at, settings)} ({days} hari kerja)"
            if response_due_at is not None else f"dalam {days} hari kerja")
    text = (f"Terima kasih, aduan Anda sudah kami terima.\n"
            f"Kode aduan: *{code}*\n"
            f"Tanggapan dari perangkat daerah {when}.\n"
            f"Pantau perkembangannya di {link}\n\n"
            f"Balas BERHENTI bila tidak ingin menerima pesan lagi.")
    due = local_moment(response_due_at, settings) if response_due_at is not None else f"{days} hari kerja"
    return Message(text, STATUS_TEMPLATE,
                   [code, "Diterima", excerpt(f"Tanggapan paling lambat {due}. Pantau di {link}")])


def status_notice(action: str, code: str, link: str, *, opd_name: str | None = None, note: str | None = None,
                  reason: str | None = None, merged_code: str | None = None) -> Message:
    """The reporter hears of a tindak lanjut, a postponement, completion or rejection (with its reason).
    `merged_code`: the reporter's own complaint, merged as a duplicate into `code` (the group's)."""
    who = opd_name or "perangkat daerah"
    body = _clip(note, 3000)
    if action == "respond":
        text = f"Aduan *{code}* mendapat tindak lanjut dari {who}:\n\n{body}"
    elif action == "postpone":
        text = f"Penanganan aduan *{code}* ditunda oleh {who}." + (f"\nKeterangan: {body}" if body else "")
    elif action == "resolve":
        text = f"Aduan *{code}* telah selesai ditangani oleh {who}." + (f"\n\n{body}" if body else "")
    elif action == "reject":
        text = (f"Mohon maaf, aduan *{code}* tidak dapat kami tindak lanjuti. Alasan: {reason or 'lainnya'}."
                + (f"\nKeterangan: {body}" if body else ""))
    else:
        raise ValueError(f"no notice for action {action!r}")
    text += f"\n\nRincian dan riwayat aduan: {link}"
    if merged_code:
        text = f"Aduan Anda {merged_code} digabung dengan aduan yang sama, {code}.\n" + text
    if action == "resolve":
        return Message(text, RESOLVED_TEMPLATE, [code, link])
    status = STATUS_WORDS[action] + (f" ({reason})" if action == "reject" and reason else "")
    return Message(text, STATUS_TEMPLATE, [code, excerpt(status, 60), excerpt(note or reason or "-")])


def satisfaction_question(code: str) -> Message:
    """Asked once when a complaint is finished: reply buttons inside the window, the template outside it."""
    text = f"Aduan *{code}* sudah dinyatakan selesai.\n{QUESTION}."
    buttons = tuple((f"{BUTTON_PREFIX}{code}:{answer}", title) for answer, title in BUTTONS)
    return Message(text, QUESTION_TEMPLATE, [code], buttons=buttons, template_buttons=tuple(b for b, _ in buttons))


def answer_thanks(answer: Answer, code: str, link: str, opd_name: str | None = None, reopened: bool = False) -> Message:
    """The reply to the reporter's answer (session only: they have just written)."""
    if answer == SUDAH:
        return Message(f"Terima kasih atas konfirmasinya. Aduan *{code}* kami catat sudah beres.")
    if reopened:
        return Message(f"Terima kasih atas jawabannya. Aduan *{code}* kami buka kembali dan diteruskan lagi ke "
                       f"{opd_name or 'perangkat daerah'}. Pantau perkembangannya di {link}")
    return Message(f"Terima kasih atas jawabannya. Aduan *{code}* kami catat belum beres. "
                   f"Pantau perkembangannya di {link}")


def optout_confirmation(pemda: str) -> Message:
    return Message(f"Nomor ini tidak akan menerima pesan lagi dari layanan aduan {pemda}. "
                   f"Balas MULAI bila ingin menerima kabar aduan Anda kembali.")


def optin_confirmation(pemda: str) -> Message:
    return Message(f"Terima kasih, nomor ini akan kembali menerima kabar aduan Anda dari layanan aduan {pemda}. "
                   f"Balas BERHENTI untuk berhenti.")


def public_reply(code: str, link: str, note: str, opd_name: str | None = None) -> str:
    """The public reply to a review (or comment): the OPD's words, then the tracking code and the public link."""
    return f"{note.strip()}\n\n— {opd_name or 'Perangkat daerah'}. Kode aduan: {code}. Pantau perkembangannya di {link}"


def public_reply_room(code: str, link: str, cap: int, opd_name: str | None = None) -> int:
    """How many characters of the OPD's own words fit under a reply cap of `cap` once the code and link are added."""
    return cap - len(public_reply(code, link, "", opd_name))


# --- reading replies -----------------------------------------------------------------------------

def _words(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())


def is_stop(text: str | None) -> bool:
    """"BERHENTI" (any case, surrounding spaces and punctuation ignored)."""
    return _words(text) in STOP_WORDS


def is_start(text: str | None) -> bool:
    return _words(text) in START_WORDS


def read_answer(text: str | None, reply_id: str | None = None) -> tuple[Answer, str | None] | None:
    """("sudah" | "belum", the tracking code named by the button or None) when the message answers "sudah
    beres?", else None. A pressed button names its complaint; a typed "1"/"2" means the latest question."""
    if reply_id and reply_id.startswith(BUTTON_PREFIX):
        _, _, rest = reply_id.partition(BUTTON_PREFIX)
        code, _, answer = rest.rpartition(":")
        if answer in (SUDAH, BELUM):
            return answer, code or None  # type: ignore[return-value]
    if reply_id in (SUDAH, BELUM):  # a template's quick-reply payload without a code
        return reply_id, None  # type: ignore[return-value]
    said = _words(text)
    for answer, phrases in _ANSWERS.items():
        if said in phrases:
            return answer, None  # type: ignore[return-value]
    return None
