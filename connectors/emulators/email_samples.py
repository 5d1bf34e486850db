"""A kabupaten's complaint mailbox (pengaduan@…) for the demo: a few dozen e-mails as mail clients write them.

Deterministic for a seed and an anchor (the same Message-IDs and bytes on every run): plain-text mail,
multipart/alternative from webmail, HTML-only mail from Outlook, photos attached, replies from the citizen
(References/In-Reply-To, quoting what they answer), the pemda's own replies (copied to the mailbox, never
complaints) and an out-of-office auto-reply. `mailbox()` returns `(raw bytes, arrival time)` pairs for
`Dovecot.append_many`, oldest first.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from faker import Faker

from connectors.emulators.texts import REPORTER_REPLIES, STREETS, TOPICS, reference

WIB = ZoneInfo("Asia/Jakarta")
OWN_ADDRESS = "pengaduan@blitarkab.go.id"
OWN_NAME = "Pengaduan Pemkab Blitar"
PROVIDERS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com", "outlook.com", "ymail.com")
STYLES = ("plain", "plain", "alternative", "alternative", "html")
OUR_REPLIES = ("Terima kasih, laporan Bapak/Ibu sudah kami terima dan kami teruskan ke OPD terkait untuk "
               "ditindaklanjuti.",
               "Selamat siang. Laporan sudah kami catat; petugas akan melakukan pengecekan lapangan.")


def photo(seed: int, width: int = 96, height: int = 72) -> bytes:
    """A small valid PNG (noisy pixels, so it is not nothing once compressed), standing in for a phone photo."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _html(text: str) -> str:
    paragraphs = "".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>' if line else
                         '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>' for line in text.split("\n"))
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<style>p.MsoNormal{margin:0cm;font-family:"Calibri",sans-serif;}</style></head>'
            f'<body lang="IN"><div class="WordSection1">{paragraphs}</div></body></html>')


def _message(sender: tuple[str, str], subject: str, text: str, at: datetime, message_id: str, style: str,
             replying_to: list[str] | None = None, to: tuple[str, str] = (OWN_NAME, OWN_ADDRESS)) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = f"{to[0]} <{to[1]}>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at.astimezone(WIB))
    msg["Message-ID"] = message_id
    if replying_to:
        msg["In-Reply-To"] = replying_to[-1]
        msg["References"] = " ".join(replying_to)
    if style == "html":
        msg.set_content(_html(text), subtype="html")
    else:
        msg.set_content(text)
        if style == "alternative":
            msg.add_alternative(_html(text), subtype="html")
    return msg


def mailbox(seed: int, anchor: datetime, days: int = 180, threads: int = 36) -> list[tuple[bytes, datetime]]:
    """The mailbox's messages, `(raw, arrival)`, oldest first."""
    rng = random.Random(seed * 7 + 5)
    faker = Faker("id_ID")
    faker.seed_instance(seed)
    regions = reference("regions.json")
    kecamatan_names = sorted(regions)
    weights = [t.weight for t in TOPICS]
    out: list[tuple[EmailMessage, datetime]] = []
    start = anchor - timedelta(days=days)
    for n in range(threads):
        topic = rng.choices(TOPICS, weights)[0]
        kecamatan = rng.choice(kecamatan_names)
        desa = rng.choice(regions[kecamatan][2])
        jalan = rng.choice(STREETS).format(kecamatan=kecamatan, desa=desa)
        title, body = (t.format(kecamatan=kecamatan, desa=desa, jalan=jalan) for t in rng.choice(topic.cases))
        name = faker.name()
        local = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isalnum() or ch == ".").strip(".")
        sender = (name, f"{local}{rng.randint(1, 99)}@{rng.choice(PROVIDERS)}")
        # Office-hours arrivals spread over the period, oldest first.
        day = start + timedelta(days=(n + rng.random()) * days / threads)
        at = day.astimezone(WIB).replace(hour=rng.randint(6, 21), minute=rng.randint(0, 59), second=0,
                                         microsecond=0)
        domain = sender[1].split("@")[1]
        root_id = f"<demo-{seed}-{n}.{rng.randrange(16**8):08x}@{domain}>"
        greeting = rng.choice(("Yth. Bapak/Ibu,", "Selamat pagi,", "Dengan hormat,", "Assalamualaikum,"))
        text = f"{greeting}\n\n{body}\n\nTerima kasih.\n{name}\n08{rng.randint(11, 99)}-{rng.randint(1000, 9999)}-" \
               f"{rng.randint(1000, 9999)}"
        style = rng.choice(STYLES)
        root = _message(sender, title, text, at, root_id, style)
        if rng.random() < 0.25:  # a photo from the phone
            root.add_attachment(photo(seed * 1000 + n), maintype="image", subtype="png",
                                filename=f"IMG_2026{n:04d}.png")
        out.append((root, at))
        chain = [root_id]
        when = at
        if rng.random() < 0.45:  # the pemda answered from the mail client, copied to the mailbox
            when = when + timedelta(hours=rng.randint(2, 30))
            ours_id = f"<balasan-{seed}-{n}@blitarkab.go.id>"
            reply = f"{rng.choice(OUR_REPLIES)}\n\nSalam,\nAdmin {OWN_NAME}"
            out.append((_message((OWN_NAME, OWN_ADDRESS), f"Re: {title}", reply, when, ours_id, "plain",
                                 chain, to=sender), when))
            chain = [*chain, ours_id]
            if rng.random() < 0.6:  # and the citizen wrote back, quoting it
                when = when + timedelta(hours=rng.randint(3, 72))
                quoted = "\n".join(f"> {line}" for line in reply.split("\n"))
                said = f"Pada {when.astimezone(WIB):%d/%m/%Y %H.%M}, {OWN_NAME} <{OWN_ADDRESS}> menulis:"
                answer = f"{rng.choice(REPORTER_REPLIES)}\n\n{said}\n{quoted}"
                reply_id = f"<demo-{seed}-{n}-r.{rng.randrange(16**8):08x}@{domain}>"
                out.append((_message(sender, f"Re: {title}", answer, when, reply_id, "plain", chain), when))
        if n == threads // 2:  # somebody's out-of-office answers the pemda's copy
            ooo = _message(("Kepala Bidang Jalan", "kabid.jalan@dpupr.blitarkab.go.id"),
                           f"Balasan otomatis: {title}", "Saya sedang dinas luar sampai Senin.", when
                           + timedelta(minutes=5), f"<ooo-{seed}-{n}@dpupr.blitarkab.go.id>", "plain")
            ooo["Auto-Submitted"] = "auto-replied"
            out.append((ooo, when + timedelta(minutes=5)))
    out.sort(key=lambda item: item[1])
    return [(_fixed_boundaries(msg), at) for msg, at in out if at <= anchor]


def _fixed_boundaries(msg: EmailMessage) -> bytes:
    """The message's bytes with boundaries of its own (the library draws random ones), so a rerun is identical."""
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_aduan_{hashlib.sha256(str(msg['Message-ID']).encode()).hexdigest()[:16]}_{i}")
    return bytes(msg)
