"""E-mail complaints over IMAP, against a real Dovecot server (tests/mailserver.py) and both databases:
MIME decoding, threads by References / In-Reply-To, exactly-once over repeated syncs, a renumbered folder
(new UIDVALIDITY), attachments through the media worker, size caps, connection faults and a kill -9."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import select

from connectors.base import FatalError
from connectors.email_imap import (
    EmailImapConfig,
    EmailImapConnector,
    decode_bytes,
    html_to_text,
    media_id_for,
    parse_message,
    strip_quoted,
)
from connectors.emulators.dovecot import Dovecot
from core.intake import registry
from core.intake.instances import save_instance
from core.intake.media import fetch_pending
from core.intake.sync import sync_instance
from models import (
    Complaint,
    ComplaintEvent,
    ComplaintMedia,
    ConnectorInstance,
    EventKind,
    RawRecord,
    RawState,
    SyncState,
)
from models.enums import Classification
from tests.emulated import complaints_by_channel, count
from tests.factories import seeded
from tests.mailserver import eml, require_dovecot

AD = str(Path(sys.executable).with_name("aduan"))
OWN = "pengaduan@blitarkab.go.id"
FAST = {"timeout_seconds": 5.0, "attempts": 6, "backoff_seconds": 0.01, "backoff_max_seconds": 0.05,
        "retry_after_max_seconds": 0.05}
SRI_ROOT = "c3a1f0e2-6b1d-4f0a-9e55-1a2b3c4d5e6f@gmail.com"
# INTERNALDATE of each fixture (when the server got it), as the Date headers say.
ARRIVALS = {
    "01_plain_utf8_qp": datetime(2026, 11, 2, 1, 14, tzinfo=UTC),
    "05_own_reply": datetime(2026, 11, 2, 2, 40, tzinfo=UTC),
    "02_html_only_windows1252": datetime(2026, 11, 3, 1, 22, tzinfo=UTC),
    "03_alternative_iso88591_base64": datetime(2026, 11, 4, 2, 30, tzinfo=UTC),
    "04_reply_gmail": datetime(2026, 11, 5, 0, 3, tzinfo=UTC),
    "06_in_reply_to_only": datetime(2026, 11, 6, 1, 15, tzinfo=UTC),
    "07_attachments": datetime(2026, 11, 7, 3, 5, tzinfo=UTC),
    "08_auto_reply": datetime(2026, 11, 7, 4, 0, tzinfo=UTC),
    "09_forwarded": datetime(2026, 11, 8, 2, 0, tzinfo=UTC),
    "10_no_message_id": datetime(2026, 11, 8, 6, 0, tzinfo=UTC),
    "11_related_inline_logo": datetime(2026, 11, 9, 1, 0, tzinfo=UTC),
}
# Of the eleven: the pemda's own reply and an out-of-office are no complaints; three messages are one thread.
COMPLAINTS = 7


def deliver(server, names=tuple(ARRIVALS)) -> None:
    server.append_many("pengaduan", [(eml(name), ARRIVALS[name]) for name in names])


def add_email(session, server, name: str = "email", port: int | None = None, **extra) -> ConnectorInstance:
    config = server.connector_config("pengaduan", **{"http": FAST, **extra})
    if port:
        config["port"] = port
    instance = save_instance(session, name, "email_imap", config, schedule_seconds=300, replace=True)
    session.commit()
    return instance


def state_of(session, name: str = "email") -> SyncState:
    session.expire_all()
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).one()
    return session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).one()


def complaint_from(session, address: str) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.channel == "email",
                                                Complaint.reporter_contact == address)).one()


def messages_in(session, complaint: Complaint) -> list[ComplaintEvent]:
    return list(session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                          ComplaintEvent.kind == EventKind.message_in)
                             .order_by(ComplaintEvent.at)).all())


def simple_mail(i: int, size: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Warga {i} <warga{i}@example.net>"
    msg["To"] = OWN
    msg["Subject"] = f"Pengaduan nomor {i}: jalan rusak"
    msg["Message-ID"] = f"<pengaduan-{i}@example.net>"
    msg["Date"] = "Tue, 10 Nov 2026 08:00:00 +0700"
    msg.set_content(f"Jalan di RT {i % 9 + 1} rusak parah, mohon diperbaiki." + " Tambahan keterangan." * size)
    return bytes(msg)


# --- the plugin -----------------------------------------------------------------------------------


def test_the_plugin_is_a_pull_channel_found_through_its_entry_point():
    cls = registry.available()["email_imap"]
    assert cls is EmailImapConnector
    assert (cls.kind, cls.channel, cls.cursor_field) == ("pull", "email", "uid")
    assert cls.redact({"password": "x", "host": "h"}) == {"password": "***", "host": "h"}


def test_plain_imap_is_refused_off_loopback():
    with pytest.raises(ValidationError, match="hanya untuk server di 127.0.0.1"):
        EmailImapConfig(host="mail.blitarkab.go.id", security="none", username="u", password="p")
    assert EmailImapConfig(host="::1", security="none", username="u", password="p").effective_port() == 143
    assert EmailImapConfig(host="mail.blitarkab.go.id", username="u", password="p").effective_port() == 993


# --- MIME decoding (pure) -------------------------------------------------------------------------


def parsed(name: str) -> dict:
    return parse_message(eml(name))


def test_quoted_printable_utf8_with_rfc2047_subject_and_name():
    p = parsed("01_plain_utf8_qp")
    assert p["subject"] == "Jalan berlubang di Desa Gogodeso — mohon segera diperbaiki"
    assert p["from"] == {"name": "Sri Wahyuni", "address": "sri.wahyuni@gmail.com"}  # address lower-cased
    assert p["message_id"] == SRI_ROOT and p["text_source"] == "plain"
    assert "Kecamatan Kanigoro, berlubang besar" in p["text"] and "0812-3456-7890" in p["text"]
    assert p["date"] == "2026-11-02T01:13:58+00:00"


def test_html_only_windows1252_is_reduced_to_text():
    p = parsed("02_html_only_windows1252")
    assert p["text_source"] == "html"
    text = p["text"]
    assert "“jalan gelap” & rawan begal" in text  # =93/=94 are curly quotes in windows-1252; &amp; decoded
    assert "• Lokasi: Jl. Merdeka No. 12\n• Sejak: 26 Oktober 2026" in text
    assert "alert" not in text and "MsoNormal" not in text and "<" not in text
    assert p["from"]["name"] == "Santoso, Budi"


def test_alternative_prefers_plain_and_reads_iso_8859_1_as_windows_1252():
    p = parsed("03_alternative_iso88591_base64")
    assert p["text_source"] == "plain"
    assert p["text"].endswith("Terima kasih - José")  # base64, iso-8859-1
    assert p["subject"] == "Selokan tersumbat di Srengat – mohon dibersihkan"  # =96 in an iso-8859-1 word
    assert p["from"] == {"name": "José Pereira", "address": "jose.pereira@example.net"}


def test_attachments_with_rfc2231_and_rfc2047_names():
    p = parsed("07_attachments")
    assert [(a["filename"], a["mime"]) for a in p["attachments"]] == [
        ("sampah sungai – 1.png", "image/png"), ("Surat pernyataan warga — RT 03.pdf", "application/pdf")]
    assert p["attachments"][0]["size"] > 9000
    assert "Foto dan surat\npernyataan warga terlampir." in p["text"]


def test_inline_photo_kept_and_signature_logo_dropped():
    p = parsed("11_related_inline_logo")
    assert [(a["mime"], a["size"] > 10_000) for a in p["attachments"]] == [("image/png", True)]
    assert p["text"] == "Pohon tumbang menutup jalan desa di Wlingi.\nDewi"


def test_forwarded_message_brings_its_text():
    text = parsed("09_forwarded")["text"]
    assert text.startswith("Mohon ditindaklanjuti")
    assert "Pesan terusan" in text and "Dari: Kades Kemloko" in text
    assert text.endswith("Jembatan penghubung Dusun Krajan dan Dusun Sumber retak di bagian tengah.")


def test_headers_for_threads_and_machines():
    reply = parsed("04_reply_gmail")
    assert reply["references"] == [SRI_ROOT, "balasan-0001@blitarkab.go.id"]
    assert reply["in_reply_to"] == "balasan-0001@blitarkab.go.id"
    assert parsed("06_in_reply_to_only")["references"] == []
    assert parsed("08_auto_reply")["automatic"] == "Auto-Submitted: auto-replied"
    assert parsed("01_plain_utf8_qp")["automatic"] is None
    no_id = parsed("10_no_message_id")
    assert no_id["generated_id"] and no_id["message_id"] == parsed("10_no_message_id")["message_id"]  # stable
    assert no_id["subject"] == "Air PDAM keruh" and no_id["from"]["name"] is None


def test_raw_8bit_headers_and_unknown_charsets_do_not_break():
    raw = ("From: Dédé <d@x.id>\r\nSubject: Lampu mati di Jalan Kenari – tolong\r\nMessage-ID: <a@x>\r\n"
           "Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "Sudah 3 hari – gelap.\r\n").encode()
    p = parse_message(raw)
    assert p["subject"] == "Lampu mati di Jalan Kenari – tolong" and p["from"]["name"] == "Dédé"
    assert p["text"] == "Sudah 3 hari – gelap."
    assert decode_bytes("caf\xe9 \x93ok\x94".encode("latin-1"), "iso-8859-1") == "café “ok”"
    assert decode_bytes("café".encode(), "us-ascii") == "café"


def test_html_and_quote_helpers():
    assert html_to_text("<style>p{x}</style><p>a&nbsp;b</p><p>&nbsp;</p><div><div>c<br>d</div></div>") == "a b\n\nc\nd"
    reply = "Belum beres.\n\nOn Mon, 2 Nov 2026 at 09:40, Pengaduan <p@x>\nwrote:\n> lama"
    assert strip_quoted(reply) == "Belum beres."
    assert strip_quoted("Oke.\n\nFrom: Pengaduan\nSent: Monday\n\nlama") == "Oke."
    assert strip_quoted("Baris satu\n> kutipan\nBaris dua") == "Baris satu\nBaris dua"
    assert strip_quoted("Dari: rumah saya di RT 2 terlihat asap.") == "Dari: rumah saya di RT 2 terlihat asap."


def test_media_ids_fit_the_core_pattern():
    assert media_id_for(SRI_ROOT, False, 2, 7, 9).startswith("m2-")
    assert media_id_for("x" * 200, False, 2, 7, 9) == "u7-9-2"
    assert media_id_for("sha256-ab@tanpa-message-id", True, 3, 7, 9) == "u7-9-3"
    encoded = media_id_for(SRI_ROOT, False, 2, 7, 9)[3:]
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() == SRI_ROOT


# --- against Dovecot, on both databases -----------------------------------------------------------


def test_threads_by_references_and_in_reply_to_exactly_once_over_syncs(mailserver, session, engine):
    seeded(session)
    deliver(mailserver)
    add_email(session, mailserver, page_size=4)

    first = sync_instance("email", engine=engine)
    assert first.status == "ok", first.error
    assert (first.fetched, first.skipped) == (11 + 3, 2)  # eleven messages and three attachments
    assert complaints_by_channel(session, "email") == (COMPLAINTS, COMPLAINTS)

    sri = complaint_from(session, "sri.wahyuni@gmail.com")
    assert sri.title == "Jalan berlubang di Desa Gogodeso — mohon segera diperbaiki"
    assert (sri.reporter_name, sri.classification, sri.status) == ("Sri Wahyuni", Classification.pengaduan,
                                                                   "unverified")
    assert sri.received_at.replace(tzinfo=UTC) == ARRIVALS["01_plain_utf8_qp"]
    notes = [e.note for e in messages_in(session, sri)]
    assert len(notes) == 3  # the complaint, a reply by References, a reply by In-Reply-To only
    assert notes[1] == "Terima kasih atas tanggapannya. Sampai hari ini lubangnya belum ditambal, tadi pagi ada\n" \
                       "mobil yang pecah ban di sana."  # the quoted history is gone
    assert notes[2] == "Sudah ditambal pagi ini, terima kasih banyak."
    assert "mobil yang pecah ban" in sri.body
    skipped = session.exec(select(RawRecord.error).where(RawRecord.channel == "email",
                                                         RawRecord.state == RawState.skipped)).all()
    assert sorted(skipped) == ["dikirim dari alamat pemda sendiri (balasan kita, bukan pengaduan)",
                               "e-mail otomatis, bukan dari warga (Auto-Submitted: auto-replied)"]
    budi = complaint_from(session, "budi.santoso@outlook.co.id")
    assert "“jalan gelap”" in budi.body
    uidvalidity = mailserver.uidvalidity("pengaduan")
    assert state_of(session).bookmark == {"marks": {f"INBOX#{uidvalidity}": 11}}

    events = count(session, ComplaintEvent)
    again = sync_instance("email", engine=engine)
    assert (again.status, again.fetched, again.new, again.updated) == ("ok", 0, 0, 0)
    assert count(session, ComplaintEvent) == events

    # A later reply to the thread, from another address (a neighbour in Cc), joins it.
    reply = EmailMessage()
    reply["From"] = "Tetangga <tetangga@example.net>"
    reply["To"] = OWN
    reply["Subject"] = "Re: Jalan berlubang di Desa Gogodeso"
    reply["Message-ID"] = "<tetangga-1@example.net>"
    reply["References"] = f"<{SRI_ROOT}>"
    reply.set_content("Saya tetangga Bu Sri, lubangnya muncul lagi setelah hujan.")
    mailserver.append("pengaduan", bytes(reply), when=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    third = sync_instance("email", engine=engine)
    assert (third.fetched, third.new, third.updated) == (1, 0, 1)
    assert messages_in(session, sri)[-1].actor == "Tetangga"
    assert complaints_by_channel(session, "email") == (COMPLAINTS, COMPLAINTS)


def test_a_renumbered_folder_is_read_again_without_duplicates(mailserver, session, engine):
    seeded(session)
    deliver(mailserver)
    add_email(session, mailserver)
    assert sync_instance("email", engine=engine).status == "ok"
    events, complaints = count(session, ComplaintEvent), count(session, Complaint)
    old = mailserver.uidvalidity("pengaduan")

    new = mailserver.renumber("pengaduan")  # a restored mailbox: same mail, new UIDVALIDITY, UIDs from 1
    mailserver.append("pengaduan", simple_mail(1), when=datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    reread = sync_instance("email", engine=engine)
    assert reread.status == "ok", reread.error
    assert (reread.fetched, reread.new) == (11 + 3 + 1, 1)  # everything read again; only the new mail is new
    assert count(session, Complaint) == complaints + 1
    assert count(session, ComplaintEvent) == events + 2  # its created + message_in events
    assert state_of(session).bookmark == {"marks": {f"INBOX#{old}": 11, f"INBOX#{new}": 12}}
    assert sync_instance("email", engine=engine).fetched == 0


def test_attachments_are_stored_by_the_media_worker(mailserver, session, engine, settings):
    seeded(session)
    deliver(mailserver, ("07_attachments", "11_related_inline_logo"))
    add_email(session, mailserver)
    assert sync_instance("email", engine=engine).status == "ok"
    agus = complaint_from(session, "agus.prasetyo@yahoo.co.id")
    rows = session.exec(select(ComplaintMedia).order_by(ComplaintMedia.id)).all()
    assert [(r.kind, r.mime_type, r.caption, r.state) for r in rows] == [
        ("image", "image/png", "sampah sungai – 1.png", "pending"),
        ("document", "application/pdf", "Surat pernyataan warga — RT 03.pdf", "pending"),
        ("image", "image/png", "lampiran-3.png", "pending")]
    assert rows[0].complaint_id == rows[1].complaint_id == agus.id
    assert [e.note for e in messages_in(session, agus)][1:] == [
        "[Foto terlampir: sampah sungai – 1.png (9 KB)]", "[Dokumen terlampir: Surat pernyataan warga — RT 03.pdf "
                                                          "(125 byte)]"]

    mailserver.renumber("pengaduan")  # the worker finds the message by Message-ID, not by its old UID
    result = fetch_pending(engine, settings)
    assert (result.fetched, result.failed) == (3, 0), result
    session.expire_all()
    stored = session.exec(select(ComplaintMedia).order_by(ComplaintMedia.id)).all()
    expected = message_from_bytes(eml("07_attachments"), policy=email_policy.default)
    parts = [p.get_payload(decode=True) for p in expected.iter_attachments()]
    assert [r.content for r in stored[:2]] == parts
    assert stored[0].content.startswith(b"\x89PNG") and all(r.state == "fetched" for r in stored)


def test_oversize_messages_and_attachments_are_refused(mailserver, session, engine):
    seeded(session)
    big = EmailMessage()
    big["From"] = "Rina <rina@example.net>"
    big["To"] = OWN
    big["Subject"] = "Banjir di Sutojayan"
    big["Message-ID"] = "<besar-1@example.net>"
    big.set_content("Air setinggi lutut masuk rumah warga di Sutojayan sejak semalam.")
    big.add_attachment(os.urandom(200_000), maintype="video", subtype="mp4", filename="banjir.mp4")
    mailserver.append("pengaduan", bytes(big), when=datetime(2026, 11, 10, 1, 0, tzinfo=UTC))
    deliver(mailserver, ("07_attachments",))
    add_email(session, mailserver, max_message_bytes=65536, max_attachment_bytes=5000)
    summary = sync_instance("email", engine=engine)
    assert summary.status == "ok", summary.error

    rina = complaint_from(session, "rina@example.net")
    assert rina.body.startswith("Air setinggi lutut masuk rumah warga di Sutojayan sejak semalam.")
    assert "melebihi batas 64 KB: hanya teks awalnya yang diambil, lampiran tidak disimpan" in rina.body
    agus = complaint_from(session, "agus.prasetyo@yahoo.co.id")
    assert "Lampiran tidak disimpan, melebihi batas 4 KB: sampah sungai – 1.png (9 KB)" in agus.body
    media = session.exec(select(ComplaintMedia.complaint_id, ComplaintMedia.mime_type)).all()
    assert [tuple(m) for m in media] == [(agus.id, "application/pdf")]  # the small one only


def test_connection_faults_are_retried_and_a_dead_server_recorded(mailserver, imap_proxy, session, engine):
    seeded(session)
    deliver(mailserver)
    add_email(session, mailserver, port=imap_proxy.port, page_size=2)
    imap_proxy.refuse_next = 2  # two connections closed at the greeting…
    imap_proxy.cut_after = 6000  # …then one cut in the middle of fetching the bodies
    summary = sync_instance("email", engine=engine)
    assert summary.status == "ok", summary.error
    assert summary.retries >= 3 and imap_proxy.connections >= 4
    assert complaints_by_channel(session, "email") == (COMPLAINTS, COMPLAINTS)
    assert count(session, RawRecord, RawRecord.channel == "email") == 14

    mailserver.stop()
    down = sync_instance("email", engine=engine)
    assert down.status == "error" and "setelah 6 percobaan" in down.error and "IMAP" in down.error
    assert state_of(session).status == "error"
    mailserver.start()
    mailserver.append("pengaduan", simple_mail(2), when=datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
    back = sync_instance("email", engine=engine)
    assert (back.status, back.fetched, back.new) == ("ok", 1, 1)
    assert state_of(session).last_error is None


def test_tls_and_starttls_check_the_certificate():
    require_dovecot()
    with Dovecot(tls=True) as server:
        server.append("pengaduan", eml("01_plain_utf8_qp"))
        pem = (server.root / "cert.pem").read_text()
        base = {"host": server.host, "username": "pengaduan", "password": server.users["pengaduan"],
                "http": {"attempts": 1}}
        for security, port in (("ssl", server.tls_port), ("starttls", server.port)):
            pinned = EmailImapConnector({**base, "security": security, "port": port, "tls_ca_pem": pem})
            [page] = list(pinned.fetch_pages(None, {}))
            assert [key for key, _ in page.records] == [SRI_ROOT]
            unknown = EmailImapConnector({**base, "security": security, "port": port})
            with pytest.raises(FatalError, match="sertifikat TLS server IMAP .* ditolak: self-signed"):
                list(unknown.fetch_pages(None, {}))
        unchecked = EmailImapConnector({**base, "security": "ssl", "port": server.tls_port, "verify_tls": False})
        assert len(list(unchecked.fetch_pages(None, {}))) == 1


def test_a_refused_login_stops_at_once(mailserver, session, engine):
    add_email(session, mailserver, password="salah")
    summary = sync_instance("email", engine=engine)
    assert summary.status == "error" and summary.retries == 0
    assert "login IMAP 'pengaduan'" in summary.error and "ditolak" in summary.error
    missing = add_email(session, mailserver, name="folder", folder="TidakAda")
    assert "folder 'TidakAda' tidak dapat dibuka" in sync_instance(missing.name, engine=engine).error


def test_killed_sync_resumes_without_loss_or_duplicate(mailserver, imap_proxy, session, engine, db_url, tmp_path):
    seeded(session)
    total = 40
    mailserver.append_many("pengaduan", [(simple_mail(i), datetime(2026, 11, 10, 1, i, tzinfo=UTC))
                                         for i in range(total)])
    add_email(session, mailserver, port=imap_proxy.port, page_size=1)
    imap_proxy.delay = 0.03  # a slow link: the run takes seconds, so it can be killed in the middle
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url}
    proc = subprocess.Popen([AD, "sync", "email"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while count(session, Complaint) < 5:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sync never got going"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()
    partial = count(session, Complaint)
    assert 5 <= partial < total
    assert state_of(session).status == "running"  # it died without a word

    imap_proxy.delay = 0.0
    resumed = sync_instance("email", engine=engine)
    assert resumed.status == "ok", resumed.error
    assert resumed.new == total - partial
    assert complaints_by_channel(session, "email") == (total, total)
    assert count(session, RawRecord, RawRecord.channel == "email") == total
    assert count(session, ComplaintEvent, ComplaintEvent.kind == EventKind.message_in) == total


def test_thread_window_opens_a_new_complaint_for_a_very_late_reply(mailserver, session, engine):
    seeded(session)
    deliver(mailserver, ("01_plain_utf8_qp", "04_reply_gmail"))
    late = EmailMessage()
    late["From"] = "Sri Wahyuni <sri.wahyuni@gmail.com>"
    late["To"] = OWN
    late["Subject"] = "Re: Jalan berlubang di Desa Gogodeso"
    late["Message-ID"] = "<sri-late@gmail.com>"
    late["References"] = f"<{SRI_ROOT}>"
    late.set_content("Lubang yang sama muncul lagi, tiga bulan kemudian.")
    mailserver.append("pengaduan", bytes(late), when=ARRIVALS["04_reply_gmail"] + timedelta(days=90))
    add_email(session, mailserver, thread_window_days=30)
    assert sync_instance("email", engine=engine).new == 2
    titles = session.exec(select(Complaint.title).where(Complaint.channel == "email")
                          .order_by(Complaint.received_at)).all()
    assert titles == ["Jalan berlubang di Desa Gogodeso — mohon segera diperbaiki",
                      "Jalan berlubang di Desa Gogodeso"]
