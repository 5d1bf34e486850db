"""The loop with the reporter on WhatsApp, against the Meta Graph emulator (real HTTP on 127.0.0.1): acknowledgement,
status notices inside and outside the 24-hour window (131047 → template), "sudah beres?" and its answers, BERHENTI,
and a worker that dies between claiming a message and recording it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pydantic import SecretStr
from sqlmodel import select

from connectors.emulators import meta_webhooks as meta
from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app, render_conversation
from connectors.emulators.runner import serve
from core.casework import citizen
from core.casework.contacts import OPTED_OUT
from core.casework.escalation import run_sweep
from core.casework.outbox import (
    GraphSender,
    _lease,
    attempt_ref,
    begin_attempt,
    claim,
    dispatch_due,
    enqueue,
)
from core.casework.sla import awaiting_answer
from core.intake import webhooks
from core.intake.writeback import take_action
from core.reference.calendar import calendar_for
from core.reporting.public import public_url
from core.reporting.rapor import build_rapor, rapor_pdf, rapor_xlsx
from models import (
    Complaint,
    ComplaintEvent,
    ConnectorInstance,
    ContactOptout,
    Notification,
    NotificationStatus,
    Opd,
    OpdAdmin,
    Status,
)
from models.types import utcnow
from tests.factories import add_complaint, seeded

TOKEN = "emulator-token"
SECRET = "rahasia-aplikasi"
NAME = "wa"
ANI = ("Ani Suryani", "6281234500001")
BUDI = ("Budi Santoso", "6285712300002")


@pytest.fixture
def graph():
    state = MetaGraphState(token=TOKEN)
    with serve(create_app(state)) as base_url:
        state.base_url = base_url
        yield state


@pytest.fixture
def wa(settings, graph, session):
    """Settings pointing the sender at the emulator (no backoff), a seeded kabupaten and a WhatsApp webhook."""
    seeded(session)
    session.add(ConnectorInstance(name=NAME, kind="whatsapp", schedule_seconds=None, config={
        "verify_token": "v", "app_secret": SECRET, "phone_number_id": meta.PHONE_NUMBER_ID}))
    session.commit()
    return settings.model_copy(update=dict(
        whatsapp_graph_base_url=graph.base_url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_token=SecretStr(TOKEN), whatsapp_retry_base_seconds=0.0, whatsapp_timeout_seconds=2.0))


def deliver(session, engine, graph, *messages, who=ANI, tell_graph=True):
    """Meta delivers messages from `who` to our webhook (signature, land, apply); the Graph side learns of them."""
    payload = meta.delivery([meta.change(list(messages), contacts=[who])])
    if tell_graph:
        meta.tell_graph(graph, payload)
    body = meta.encode(payload)
    received = webhooks.receive(session, NAME, body, {"X-Hub-Signature-256": meta.sign(body, SECRET)})
    return webhooks.normalise_records(engine, NAME, received.new_ids)


def say(session, engine, graph, text, who=ANI, at=None, **kw):
    return deliver(session, engine, graph, meta.text_message(who[1], text, at or utcnow() - timedelta(minutes=5)),
                   who=who, **kw)


def complaint_of(session, who=ANI) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.channel == "whatsapp",
                                                Complaint.external_id.like(f"{who[1]}:%"))
                        .order_by(Complaint.id.desc())).first()


def act(session, settings, complaint, action, **kw):
    take_action(session, complaint, action, "Petugas DPUPR", calendar_for(settings), settings, **kw)
    session.commit()


def outbound(graph, who=ANI):
    return [m for m in graph.conversation(who[1]) if m["direction"] == "out"]


def rows(session, **where):
    session.expire_all()
    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return session.exec(query).all()


def opened_and_answered(session, engine, wa, graph):
    """Ani writes; the complaint is dispatched, answered and finished (all inside the window)."""
    say(session, engine, graph, "Jalan di depan SDN Kanigoro 2 berlubang besar, mohon diperbaiki")
    complaint = complaint_of(session)
    act(session, wa, complaint, "dispatch", opd_code="DPUPR")
    act(session, wa, complaint, "respond", note="Tim kami menjadwalkan penambalan hari Kamis.")
    act(session, wa, complaint, "resolve", note="Lubang sudah ditambal.")
    dispatch_due(engine, wa)
    return complaint_of(session)


# --- texts ------------------------------------------------------------------------------------------------------

def test_the_public_link_is_the_public_pages_rule(settings):
    for base in (None, "https://aduan.blitarkab.go.id/"):
        s = settings.model_copy(update={"public_base_url": base and base.rstrip("/")})
        assert citizen.public_link(s, "WA-1A2B") == public_url(s, "WA-1A2B")
    assert citizen.public_link(settings.model_copy(update={"public_base_url": "https://x.id"}), "A B") == \
        "https://x.id/publik?kode=A%20B"


def test_messages_read_well_and_fit_whatsapps_limits(settings):
    due = datetime(2026, 12, 9, 2, 15, tzinfo=UTC)  # Wednesday 09.15 WIB
    ack = citizen.acknowledgement(settings, "WA-ABC", "https://x.id/publik?kode=WA-ABC", due)
    assert "Kode aduan: *WA-ABC*" in ack.text and "https://x.id/publik?kode=WA-ABC" in ack.text
    assert "paling lambat Rabu, 9 Desember 2026 pukul 09.15 WIB (3 hari kerja)" in ack.text
    assert ack.template == "status_aduan" and ack.params[:2] == ["WA-ABC", "Diterima"]
    notice = citizen.status_notice("reject", "WA-ABC", "L", note="Jalan provinsi.\nBukan kabupaten.",
                                   reason="Bukan kewenangan")
    assert "Alasan: Bukan kewenangan." in notice.text and "Jalan provinsi." in notice.text
    assert notice.params == ["WA-ABC", "Ditolak (Bukan kewenangan)", "Jalan provinsi. Bukan kabupaten."]
    long = citizen.status_notice("respond", "WA-ABC", "L", note="kata " * 2000)
    assert len(long.text) <= citizen.TEXT_MAX and all("\n" not in p and len(p) <= 200 for p in long.params)
    assert citizen.status_notice("resolve", "WA-ABC", "L").params == ["WA-ABC", "L"]
    question = citizen.satisfaction_question("WA-ABC")
    assert citizen.QUESTION in question.text
    body = question.session()["interactive"]
    assert [b["reply"]["title"] for b in body["action"]["buttons"]] == ["1 Sudah", "2 Belum"]


@pytest.mark.parametrize(("text", "reply_id", "expected"), [
    ("1", None, ("sudah", None)), (" Sudah. ", None, ("sudah", None)), ("2 Belum", None, ("belum", None)),
    ("blm", None, ("belum", None)), ("1 Sudah", "beres:WA-X:sudah", ("sudah", "WA-X")),
    ("2 Belum", "beres:WA-X:belum", ("belum", "WA-X")), ("sudah dua minggu jalan rusak", None, None),
    ("12", None, None)])
def test_answers_to_sudah_beres_are_read(text, reply_id, expected):
    assert citizen.read_answer(text, reply_id) == expected


def test_stop_and_start_words():
    assert citizen.is_stop("BERHENTI") and citizen.is_stop("  berhenti! ") and citizen.is_stop("Berhenti")
    assert not citizen.is_stop("tolong jangan berhenti perbaiki jalan")
    assert citizen.is_start("MULAI") and not citizen.is_start("mulai kapan diperbaiki?")


# --- acknowledgement and notices -----------------------------------------------------------------------------

def test_a_message_in_gets_one_acknowledgement_with_its_code(session, engine, wa, graph):
    at = utcnow() - timedelta(minutes=3)
    first = meta.text_message(ANI[1], "Lampu PJU di Desa Gogodeso mati seminggu", at)
    deliver(session, engine, graph, first)
    deliver(session, engine, graph, meta.text_message(ANI[1], "Mohon segera", at + timedelta(minutes=1)))
    deliver(session, engine, graph, first)  # Meta redelivers
    complaint = complaint_of(session)
    assert dispatch_due(engine, wa).sent == 1
    assert dispatch_due(engine, wa).sent == 0
    [ack] = outbound(graph)
    assert ack["type"] == "text" and f"Kode aduan: *{complaint.tracking_code}*" in ack["text"]
    assert public_url(wa, complaint.tracking_code) in ack["text"]
    local_due = complaint.response_due_at.astimezone(wa.tz)
    assert f"{local_due.day} {citizen.MONTHS_ID[local_due.month - 1]} {local_due.year}" in ack["text"]
    assert f"pukul {local_due:%H.%M} WIB" in ack["text"]
    [row] = rows(session)
    assert row.idempotency_key == f"ack:{complaint.id}" and row.status == NotificationStatus.sent
    assert row.params["sent_as"] == "session" and row.provider_id == ack["id"]


def test_an_old_delivery_replayed_gets_no_acknowledgement(session, engine, wa, graph):
    say(session, engine, graph, "Sampah menumpuk", at=utcnow() - timedelta(days=30))
    assert complaint_of(session) is not None and rows(session) == []


def test_respond_then_resolve_give_exactly_two_notices_and_one_question(session, engine, wa, graph):
    complaint = opened_and_answered(session, engine, wa, graph)
    code = complaint.tracking_code
    assert dispatch_due(engine, wa).sent == 0  # nothing is sent twice
    sent = outbound(graph)
    # What counts: the acknowledgement, then exactly one notice per status change the reporter hears of
    # (tindak lanjut, selesai; the dispatch is not one), then the "sudah beres?" question: 4 messages.
    assert [(m["type"], m["text"].split("\n")[0]) for m in sent] == [
        ("text", "Terima kasih, aduan Anda sudah kami terima."),
        ("text", f"Aduan *{code}* mendapat tindak lanjut dari Dinas Pekerjaan Umum dan Penataan Ruang:"),
        ("text", f"Aduan *{code}* telah selesai ditangani oleh Dinas Pekerjaan Umum dan Penataan Ruang."),
        ("interactive", f"Aduan *{code}* sudah dinyatakan selesai.")]
    assert "Tim kami menjadwalkan penambalan hari Kamis." in sent[1]["text"]
    assert [b["title"] for b in sent[3]["buttons"]] == ["1 Sudah", "2 Belum"]
    notices = [r for r in rows(session) if r.idempotency_key.startswith("notice:")]
    assert len(notices) == 2 and {r.status for r in notices} == {NotificationStatus.sent}
    assert [r.idempotency_key for r in rows(session) if r.idempotency_key.startswith("beres:")] == [
        f"beres:{complaint.id}:0"]


def test_out_of_window_notices_go_as_templates(session, engine, wa, graph):
    say(session, engine, graph, "Air PDAM mati sejak kemarin", at=utcnow() - timedelta(minutes=2))
    complaint = complaint_of(session)
    dispatch_due(engine, wa)
    graph.advance(hours=25)  # the reporter said nothing for 25 hours
    later = utcnow() + timedelta(hours=25)
    act(session, wa, complaint, "dispatch", opd_code="PDAM")
    act(session, wa, complaint, "respond", note="Pipa\ninduk bocor, perbaikan dua hari.", now=later)
    act(session, wa, complaint, "resolve", note="Air sudah mengalir.", now=later + timedelta(minutes=1))
    result = dispatch_due(engine, wa, now=later + timedelta(minutes=2))
    assert result.sent == 3 and result.templated == 3
    code = complaint.tracking_code
    _, notice, done, question = outbound(graph)
    assert (notice["type"], notice["template"], notice["parameters"]) == (
        "template", "status_aduan", [code, "Ditindaklanjuti", "Pipa induk bocor, perbaikan dua hari."])
    assert (done["template"], done["parameters"]) == ("aduan_selesai", [code, public_url(wa, code)])
    assert (question["template"], question["parameters"]) == ("aduan_sudah_beres", [code])
    assert question["buttons"] == [f"beres:{code}:sudah", f"beres:{code}:belum"]
    assert not graph.snapshot()["rejected"]  # decided here, not by trial and error


def test_131047_falls_back_to_the_template_never_a_silent_drop(session, engine, wa, graph):
    # The database saw Ani write a minute ago, but Meta counts the window otherwise (it never heard of her).
    say(session, engine, graph, "Pohon tumbang di jalan desa", tell_graph=False, at=utcnow() - timedelta(minutes=1))
    complaint = complaint_of(session)
    result = dispatch_due(engine, wa)
    assert result.sent == 1 and result.templated == 1
    assert [r["code"] for r in graph.snapshot()["rejected"]] == [131047]
    [ack] = outbound(graph)
    assert ack["type"] == "template" and ack["parameters"][:2] == [complaint.tracking_code, "Diterima"]
    [row] = rows(session)
    assert row.status == NotificationStatus.sent and row.params["sent_as"] == "template"
    assert row.provider_id == ack["id"] and row.attempts == 1


def test_a_131047_status_callback_sends_the_template(session, engine, wa, graph):
    say(session, engine, graph, "Drainase tersumbat")
    dispatch_due(engine, wa)
    [row] = rows(session)
    assert row.params["sent_as"] == "session"
    # Meta accepted the session message, then reported it failed outside the window (asynchronously).
    failed = meta.status_update(row.provider_id, "failed", ANI[1], utcnow(), error_code=131047)
    payload = meta.delivery([meta.change(statuses=[failed])])
    body = meta.encode(payload)
    new = webhooks.receive(session, NAME, body, {"X-Hub-Signature-256": meta.sign(body, SECRET)}).new_ids
    webhooks.normalise_records(engine, NAME, new)
    [row] = rows(session)
    assert row.status == NotificationStatus.pending and "dikirim ulang sebagai template" in row.last_error
    assert dispatch_due(engine, wa).templated == 1
    assert [m["type"] for m in outbound(graph)] == ["text", "template"]


# --- "sudah beres?" -----------------------------------------------------------------------------------------

def test_a_2_belum_reply_reopens_the_complaint_and_opens_no_new_one(session, engine, wa, graph):
    complaint = opened_and_answered(session, engine, wa, graph)
    question = outbound(graph)[-1]
    before = session.exec(select(Complaint.id)).all()
    button = [b for b in question["buttons"] if b["title"] == "2 Belum"][0]
    deliver(session, engine, graph, meta.button_reply(ANI[1], button["id"], button["title"], utcnow(),
                                                      context_id=question["id"]))
    assert session.exec(select(Complaint.id)).all() == before  # no new complaint
    reopened = complaint_of(session)
    assert reopened.id == complaint.id and reopened.status == Status.in_progress
    assert reopened.satisfaction == "belum" and reopened.satisfaction_at is not None
    assert reopened.reopened_count == 1 and reopened.resolved_at is None
    assert awaiting_answer(reopened) and reopened.reopened_at is not None  # back on its OPD's ladder
    assert reopened.response_due_at > reopened.reopened_at
    notes = [(e.actor, e.from_status, e.to_status, e.note) for e in session.exec(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))][-2:]
    assert notes[0][0] == "Pelapor" and "belum" in notes[0][3]
    assert notes[1][1:] == ("resolved", "in_progress", "Dibuka kembali: pelapor menjawab masalahnya belum beres")
    dispatch_due(engine, wa)
    assert "kami buka kembali" in outbound(graph)[-1]["text"]
    # The OPD finishes again: it is asked again (a new round), and a typed "1" answers it.
    act(session, wa, reopened, "resolve", note="Sudah diaspal ulang.")
    dispatch_due(engine, wa)
    assert outbound(graph)[-1]["type"] == "interactive"
    say(session, engine, graph, "1")
    done = complaint_of(session)
    assert (done.status, done.satisfaction, done.reopened_count) == (Status.resolved, "sudah", 1)
    assert not awaiting_answer(done) and done.reopen_answered_at is not None
    assert session.exec(select(Complaint.id)).all() == before


def test_an_answer_after_the_answer_period_is_a_new_message(session, engine, wa, graph):
    complaint = opened_and_answered(session, engine, wa, graph)
    say(session, engine, graph, "2", at=utcnow() + timedelta(days=wa.satisfaction_days, hours=1))
    session.expire_all()
    assert session.get(Complaint, complaint.id).status == Status.resolved
    assert complaint_of(session).id != complaint.id  # filed as a message of its own


# --- opt-out ------------------------------------------------------------------------------------------------

def test_berhenti_stops_everything_and_mulai_resumes(session, engine, wa, graph):
    say(session, engine, graph, "Jalan rusak di Desa Gogodeso")
    complaint = complaint_of(session)  # its acknowledgement waits in the outbox…
    opd = session.exec(select(Opd).where(Opd.code == "DPUPR")).one()
    session.add(OpdAdmin(opd_id=opd.id, name="Ani juga admin", whatsapp="0" + ANI[1][2:]))
    session.commit()
    complaints = session.exec(select(Complaint.id)).all()
    say(session, engine, graph, "  berhenti ")
    say(session, engine, graph, "BERHENTI")  # said twice: one confirmation
    assert session.exec(select(Complaint.id)).all() == complaints  # not a complaint
    stop = session.exec(select(ContactOptout)).one()
    assert (stop.channel, stop.address, stop.active) == ("whatsapp", ANI[1], True) and stop.message_id
    result = dispatch_due(engine, wa)  # …and is not sent after BERHENTI; the confirmation is, once
    assert (result.sent, result.opted_out) == (1, 1)
    [confirmation] = outbound(graph)
    assert "tidak akan menerima pesan lagi" in confirmation["text"]
    messages = len(graph.snapshot()["messages"])

    act(session, wa, complaint, "dispatch", opd_code="DPUPR")
    act(session, wa, complaint, "respond", note="Segera kami tangani.")
    act(session, wa, complaint, "resolve", note="Selesai.")
    # Another complaint waits for DPUPR's answer: the morning reminder goes to its admins, Ani's number among them.
    add_complaint(session, "lapor", "L-1", opd_code="DPUPR", received_at=utcnow() - timedelta(days=10),
                  status=Status.dispatched)
    calendar = calendar_for(wa)
    morning = datetime.now(wa.tz).replace(hour=8, minute=0) + timedelta(days=1)
    while not calendar.is_working_day(morning):
        morning += timedelta(days=1)
    assert run_sweep(engine, wa, now=morning).notifications >= 1
    assert dispatch_due(engine, wa).sent == 0
    assert len(graph.snapshot()["messages"]) == messages  # nothing reached Meta
    refused = [r for r in rows(session, recipient=ANI[1]) if r.status == NotificationStatus.failed]
    assert {r.last_error for r in refused} == {OPTED_OUT}
    kinds = sorted(r.idempotency_key.split(":")[0] for r in refused)
    assert kinds[:4] == ["ack", "beres", "notice", "notice"] and len(kinds) >= 5, kinds  # + the admin reminder

    say(session, engine, graph, "MULAI")
    assert session.exec(select(ContactOptout)).one().active is False
    assert dispatch_due(engine, wa).sent == 1
    assert "kembali menerima" in outbound(graph)[-1]["text"]
    act(session, wa, complaint_of(session), "reopen")
    act(session, wa, complaint_of(session), "resolve", note="Diperbaiki ulang.")
    assert dispatch_due(engine, wa).sent == 2  # notice and question flow again


def test_an_opted_out_number_gets_rows_already_failed(session, engine, wa):
    session.add(ContactOptout(address="6281100000001"))
    session.commit()
    enqueue(session, key="x", recipient="081100000001", template="pengingat_aduan", params=["a"], now=utcnow())
    session.commit()
    [row] = rows(session)
    assert row.status == NotificationStatus.failed and row.last_error == OPTED_OUT


# --- a crash between claiming and sending ---------------------------------------------------------------------

def test_a_send_that_reached_meta_before_the_worker_died_is_not_sent_again(session, engine, wa, graph):
    say(session, engine, graph, "Jembatan retak dan miring")
    now = utcnow()
    [row] = claim(engine, now, 10, lease=_lease(wa))
    ref = attempt_ref(row.id, row.attempts + 1)
    assert begin_attempt(engine, row.id, row.attempts + 1, ref, now)
    wamid = GraphSender(wa).send_session(row.recipient, row.params["session"], ref=ref)
    # … and the worker dies here: the answer is lost, the row stays `sending` with the attempt's reference.
    assert [m["id"] for m in graph.by_reference(ref)] == [wamid]

    after_lease = now + _lease(wa)
    result = dispatch_due(engine, wa, now=after_lease)
    assert (result.sent, result.unsure) == (0, 1)
    assert dispatch_due(engine, wa, now=after_lease + timedelta(minutes=5)).sent == 0
    assert len(graph.snapshot()["messages"]) == 1
    # Meta's status callback carries the reference: the row is sent, with the wamid.
    status = meta.status_update(wamid, "sent", ANI[1], utcnow(), callback_data=ref)
    body = meta.encode(meta.delivery([meta.change(statuses=[status])]))
    new = webhooks.receive(session, NAME, body, {"X-Hub-Signature-256": meta.sign(body, SECRET)}).new_ids
    webhooks.normalise_records(engine, NAME, new)
    [row] = rows(session)
    assert (row.status, row.provider_id, row.attempts) == (NotificationStatus.sent, wamid, 1)
    assert dispatch_due(engine, wa, now=after_lease + timedelta(hours=2)).sent == 0
    assert len(graph.snapshot()["messages"]) == 1


def test_a_worker_that_died_before_the_request_sends_once_later(session, engine, wa, graph):
    say(session, engine, graph, "Parkir liar depan RSUD")
    now = utcnow()
    [row] = claim(engine, now, 10, lease=_lease(wa))
    assert begin_attempt(engine, row.id, row.attempts + 1, attempt_ref(row.id, 1), now)  # then dies: no request
    assert dispatch_due(engine, wa, now=now + _lease(wa)).unsure == 1
    assert graph.snapshot()["messages"] == []
    # No callback came within ADUAN_WHATSAPP_UNSURE_MINUTES: Meta never had it, so it goes now, once.
    result = dispatch_due(engine, wa, now=now + timedelta(minutes=wa.whatsapp_unsure_minutes, seconds=1))
    assert result.sent == 1 and len(graph.snapshot()["messages"]) == 1
    [row] = rows(session)
    assert row.status == NotificationStatus.sent and row.attempts == 2


def test_a_worker_that_died_right_after_claiming_sends_once_after_the_lease(session, engine, wa, graph):
    say(session, engine, graph, "PKL di trotoar alun-alun")
    now = utcnow()
    assert len(claim(engine, now, 10, lease=_lease(wa))) == 1  # dies before recording anything
    assert dispatch_due(engine, wa, now=now).sent == 0
    assert dispatch_due(engine, wa, now=now + _lease(wa)).sent == 1
    assert dispatch_due(engine, wa, now=now + _lease(wa) * 3).sent == 0
    assert len(graph.snapshot()["messages"]) == 1


# --- satisfaction in the rapor --------------------------------------------------------------------------------

def test_satisfaction_and_reopens_per_opd_in_the_rapor(session, engine, wa, graph):
    complaint = opened_and_answered(session, engine, wa, graph)
    say(session, engine, graph, "2 Belum")
    # Budi's complaint at the same OPD: finished and answered "sudah".
    say(session, engine, graph, "Jalan desa rusak parah", who=BUDI)
    budi = complaint_of(session, BUDI)
    act(session, wa, budi, "dispatch", opd_code="DPUPR")
    act(session, wa, budi, "resolve", note="Sudah diperbaiki.")
    dispatch_due(engine, wa)
    say(session, engine, graph, "1 sudah", who=BUDI)
    dispatch_due(engine, wa)
    today = utcnow().astimezone(wa.tz).date()
    rapor = build_rapor(session, wa, today - timedelta(days=2), today + timedelta(days=1))
    [row] = [r for r in rapor["rows"] if r["opd_code"] == "DPUPR"]
    assert row["satisfaction"] == {"asked": 2, "sudah": 1, "belum": 1, "pct": 50.0}
    assert row["reopened"] == 1 and rapor["total"]["reopened"] == 1
    assert rapor["total"]["satisfaction"]["asked"] == 2
    assert complaint.id != budi.id
    sheet = load_workbook(io.BytesIO(rapor_xlsx(rapor, wa))).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in values if r[0] == "No")
    assert header[-2:] == ["Dibuka Kembali", "Kepuasan (%)"]
    line = next(r for r in values if r[1] == "DPUPR")
    assert line[-2:] == [1, "50,0 (1/2)"]
    assert rapor_pdf(rapor, wa).startswith(b"%PDF")


def test_the_conversation_log_reads_like_the_phone(session, engine, wa, graph):
    opened_and_answered(session, engine, wa, graph)
    say(session, engine, graph, "1 Sudah")
    dispatch_due(engine, wa)
    text = render_conversation(graph.conversation(ANI[1]))
    assert text.startswith("[") and "Pelapor:\nJalan di depan SDN Kanigoro 2" in text
    assert "[1 Sudah]  [2 Belum]" in text and text.rstrip().endswith("kami catat sudah beres.")


def test_the_reporters_of_merged_duplicates_hear_of_the_groups_follow_up(session, engine, wa, graph):
    say(session, engine, graph, "Jalan depan SDN Kanigoro 2 berlubang")
    say(session, engine, graph, "Lubang besar di jalan dekat SDN Kanigoro 2", who=BUDI)
    ani, budi = complaint_of(session), complaint_of(session, BUDI)
    act(session, wa, budi, "merge", into=ani.id)
    act(session, wa, complaint_of(session), "dispatch", opd_code="DPUPR")
    act(session, wa, complaint_of(session), "respond", note="Penambalan dijadwalkan Kamis.")
    assert dispatch_due(engine, wa).sent == 4  # two acknowledgements, then one notice to each reporter
    [budi_notice] = outbound(graph, BUDI)[1:]
    assert budi_notice["text"].startswith(
        f"Aduan Anda {budi.tracking_code} digabung dengan aduan yang sama, {ani.tracking_code}.")
    assert "Penambalan dijadwalkan Kamis." in budi_notice["text"]
    ani_notice = outbound(graph, ANI)[-1]["text"]
    assert "Penambalan dijadwalkan Kamis." in ani_notice and "digabung" not in ani_notice
