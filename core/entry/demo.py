"""`aduan demo`: a living kabupaten in a few minutes, loaded through the real connectors.

The upstreams (LAPOR!, Google reviews, Meta) run as emulators on 127.0.0.1; every complaint
enters the way it would in production: pulled, pushed to the webhook, imported from a 112 export
or typed in. Everything is generated from fixed seeds and anchored to the first run's date, so a
second `make demo` finds the same records and changes nothing.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from faker import Faker
from pydantic import SecretStr
from sqlmodel import Session, func, select

from connectors.emulators import call112_export, google_reviews, lapor, meta_graph, meta_webhooks
from connectors.emulators.runner import serve
from core.casework.escalation import run_sweep
from core.casework.outbox import GraphSender, dispatch_due
from core.entry import demo_trends
from core.entry.cli_common import decimal
from core.entry.demo_email import load_email
from core.entry.demo_people import DemoLogin, demo_people
from core.entry.demo_social import deliver_social_history
from core.entry.demo_youtube import load_youtube
from core.identity import audit
from core.identity.keys import create_key, revoke_named
from core.intake import file_import
from core.intake.instances import save_instance
from core.intake.manual_entry import ManualComplaintIn, create_one
from core.intake.media import fetch_pending as fetch_pending_media
from core.intake.sync import sync_instance
from core.intake.writeback import dispatch_writebacks
from core.reference.seed import desa_of, seed_reference
from core.runtime.db import get_engine
from core.runtime.settings import Settings
from models import Complaint, Opd, OpdAdmin, ServiceState
from models.types import utcnow

log = logging.getLogger("aduan.demo")

SEED = 2026
DAYS = 180
LAPOR_TOTAL = 2400
REVIEWS_TOTAL = 600
WA_WEEKS, WA_REPORTERS_PER_WEEK = 26, 9
CALLS_PER_MONTH = 260
MANUAL_TOTAL = 60
WA_SECRET, WA_VERIFY = "demo-app-secret", "demo-verify-token"
GRAPH_TOKEN = "demo-graph-token"


@dataclass
class Demo:
    settings: Settings
    admin_key: str
    logins: list[DemoLogin]
    display_token: str
    lapor_url: str
    stack: ExitStack
    counts: dict[str, int] = field(default_factory=dict)
    graph_url: str | None = None
    public_url: str | None = None  # the public page of the complaint whose WhatsApp conversation the demo played
    conversation_url: str | None = None  # that conversation, as the Meta emulator logged it


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def load_demo(settings: Settings, var_dir: Path | None = None) -> Demo:
    """Seed, start emulators, pull/push/import 6 months of complaints, fire escalations, make keys."""
    started = time.monotonic()
    engine = get_engine()
    var_dir = var_dir or Path("var/demo")
    var_dir.mkdir(parents=True, exist_ok=True)
    stack = ExitStack()
    with Session(engine, expire_on_commit=False) as session:
        seed_reference(session, settings)
        seed_people(session)
        anchor, run_no = demo_anchor(session)
    say(f"reference data ready (anchor {anchor:%Y-%m-%d}, run #{run_no})")

    lapor_app = lapor.create_app(seed=SEED, total=LAPOR_TOTAL, days=DAYS, now=anchor, id_offset=run_no * 50_000,
                                 planted=demo_trends.lapor_planted(anchor))
    lapor_url = stack.enter_context(serve(lapor_app))
    google_url = stack.enter_context(serve(google_reviews.create_app(seed=SEED, total=REVIEWS_TOTAL, days=DAYS,
                                                                      now=anchor)))
    graph = meta_graph.MetaGraphState(token=GRAPH_TOKEN)
    graph_url = stack.enter_context(serve(meta_graph.create_app(graph)))
    settings = settings.model_copy(update=dict(
        whatsapp_graph_base_url=graph_url, whatsapp_phone_number_id=meta_graph.PHONE_NUMBER_ID,
        whatsapp_token=SecretStr(GRAPH_TOKEN), whatsapp_retry_base_seconds=1.0))
    say(f"emulators up: LAPOR! {lapor_url}, Google {google_url}, Meta Graph {graph_url}")

    folder = (var_dir / "112").resolve()
    folder.mkdir(exist_ok=True)
    with Session(engine, expire_on_commit=False) as session:
        save_instance(session, "lapor", "lapor", lapor.connector_config(lapor_url), schedule_seconds=60, replace=True)
        save_instance(session, "google-layanan-publik", "google_reviews", google_reviews.connector_config(google_url),
                      schedule_seconds=300, replace=True)
        save_instance(session, "whatsapp", "whatsapp",
                      {"verify_token": WA_VERIFY, "app_secret": WA_SECRET,
                       "phone_number_id": meta_webhooks.PHONE_NUMBER_ID}, schedule_seconds=None, replace=True)
        save_instance(session, "call112", "call112", {"folder": str(folder)}, schedule_seconds=300, replace=True)
        session.commit()

    counts: dict[str, int] = {}
    for name in ("lapor", "google-layanan-publik"):
        summary = sync_instance(name, engine=engine)
        say(f"sync {name}: {summary.fetched} fetched, {summary.new} new, {summary.updated} updated "
            f"({decimal(summary.duration_s)} s)")
    write_112_exports(folder, anchor)
    demo_trends.write_flood_112(folder, anchor)
    with Session(engine, expire_on_commit=False) as session:
        reports = file_import.sync_instance(session, "call112")
        session.commit()
    say(f"112: {len(reports)} new export file(s) imported from {folder}")
    load_email(engine, anchor, stack, seed=SEED, days=DAYS, say=say)
    deliver_whatsapp_history(settings, anchor, graph)
    planted = demo_trends.deliver_planted_whatsapp(anchor, WA_SECRET, graph)
    say(f"WhatsApp: {planted} planted deliveries (a flood in Kanigoro, PDAM water in Talun every week)")
    deliver_social_history(settings, anchor, stack, say=say)
    load_youtube(settings, anchor, stack, say=say)
    media_started = time.monotonic()
    media = fetch_pending_media(engine, settings, now=utcnow(), limit=10_000)
    say(f"Reporters' media (WhatsApp Graph, e-mail IMAP): {media} ({time.monotonic() - media_started:.1f} s)")
    type_in_walk_ins(settings, anchor)
    train_suggestions(settings)
    train_candidate_ranker(settings)
    follow_up_by_staff(settings)
    answer_google_reviews(settings, engine)
    # A fresh demo opens on a wall that is current, not on a stale-data warning until the first arrival: the
    # seeded history follows office hours and can end hours ago at night, so one report comes in "just now".
    # A rerun soon after (its newest complaint is recent) adds nothing.
    with Session(engine) as session:
        newest = session.exec(select(func.max(Complaint.received_at))).one()
    if newest is None or utcnow() - newest > timedelta(minutes=settings.stale_minutes / 2):
        httpx.post(f"{lapor_url}/_control/add", json={"n": 1}, timeout=10).raise_for_status()
        sync_instance("lapor", engine=engine)
    with Session(engine, expire_on_commit=False) as session:
        for channel, n in session.exec(select(Complaint.channel, func.count()).group_by(Complaint.channel)).all():
            counts[channel] = n
    say("complaints per channel: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))

    result = run_sweep(engine, settings, now=utcnow())
    sent = dispatch_due(engine, settings, now=utcnow(), sender=GraphSender(settings))
    say(f"escalation sweep: {result}; outbox: {sent}")
    public, conversation = talk_with_a_reporter(settings, engine, graph, graph_url)
    demo_trends.merge_flood_duplicates(settings, anchor, say)
    demo_trends.compute_trends(settings, say)

    with Session(engine, expire_on_commit=False) as session:
        admin_key = fresh_key(session, "demo-admin")
        logins, display_token = demo_people(session)
    say(f"loaded in {time.monotonic() - started:.0f} s")
    return Demo(settings, admin_key, logins, display_token, lapor_url, stack, counts, graph_url, public, conversation)


def demo_anchor(session: Session) -> tuple[datetime, int]:
    """The first run's date anchors every generator; the run number keeps new ids apart."""
    state = session.exec(select(ServiceState).where(ServiceState.name == "demo")).first()
    if state is None:
        now = utcnow().replace(minute=0, second=0, microsecond=0)
        state = ServiceState(name="demo", status="ok", data={"anchor": now.isoformat(), "runs": 0})
    data = dict(state.data or {})
    data["runs"] = int(data.get("runs", 0)) + 1
    state.data, state.updated_at = data, utcnow()
    session.add(state)
    session.commit()
    return datetime.fromisoformat(data["anchor"]), data["runs"]


def seed_people(session: Session) -> None:
    """Heads and WhatsApp admins (admin penghubung) for every OPD: fake people, Faker id_ID."""
    if session.exec(select(OpdAdmin)).first() is not None:
        return
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    for opd in session.exec(select(Opd).order_by(Opd.id)).all():
        opd.head_name = fake.name()
        session.add(opd)
        for _ in range(rng.choice((1, 1, 2))):
            session.add(OpdAdmin(opd_id=opd.id, name=fake.name(),
                                 whatsapp="628" + "".join(str(rng.randint(0, 9)) for _ in range(9))))
    session.commit()


def write_112_exports(folder: Path, anchor: datetime) -> None:
    """One CAD export per month, as the call centre would drop them in the shared folder."""
    for month in range(6):
        start = (anchor - timedelta(days=DAYS - month * 30)).astimezone(UTC).replace(tzinfo=None)
        path = folder / f"ekspor-112-{start:%Y-%m}.csv"
        if not path.exists():
            export = call112_export.generate(rows=CALLS_PER_MONTH, seed=100 + month, start=start, bad=2)
            path.write_bytes(export.csv_bytes())


def deliver_whatsapp_history(settings: Settings, anchor: datetime, graph=None) -> None:
    """Six months of signed Meta deliveries to our real webhook route (in-process, same bytes). The Meta emulator
    (`graph`) hears of every message, as Meta does: the last days' reporters are acknowledged inside their window."""
    import warnings

    from api.main import create_app

    with warnings.catch_warnings():  # starlette's notice about its test client is noise for a demo user
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app()) as client:
        url = "/api/v1/webhooks/whatsapp"
        posts = 0
        for week in range(WA_WEEKS):
            start = anchor - timedelta(weeks=WA_WEEKS - week) + timedelta(hours=1)
            counts = meta_webhooks.run_scenario(url, WA_SECRET, reporters=WA_REPORTERS_PER_WEEK, seed=SEED + week,
                                                start=start, client=client, graph=graph)
            posts += counts["posts"]
    say(f"WhatsApp: {posts} signed webhook deliveries (with Meta-style redeliveries)")


# The reporter whose whole WhatsApp conversation the demo plays once (first run): message → acknowledgement →
# tindak lanjut → selesai → "sudah beres?" → "1 Sudah".
DEMO_REPORTER = ("Sri Wahyuningsih", "6281330020261")


def talk_with_a_reporter(settings: Settings, engine, graph, graph_url: str) -> tuple[str | None, str | None]:
    """One reporter's conversation from first message to "Sudah", through the webhook, the workflow and the outbox
    against the Meta emulator. Returns the complaint's public URL and the emulator's log of the conversation."""
    import warnings

    from api.main import create_app
    from core.casework.citizen import public_link
    from core.casework.workflow import Action
    from core.intake.writeback import take_action
    from core.reference.calendar import calendar_for

    name, wa_id = DEMO_REPORTER
    conversation = f"{graph_url}/_emulator/conversations/{wa_id}?format=text"
    with Session(engine, expire_on_commit=False) as session:
        known = session.exec(select(Complaint).where(Complaint.channel == "whatsapp",
                                                     Complaint.external_id.like(f"{wa_id}:%"))).first()
    if known is not None:  # a rerun: the conversation was played on the first run
        url = public_link(settings, known.tracking_code)
        say(f"a reporter's complaint on the public page: {url} (its WhatsApp conversation was played on the "
            f"first run)")
        return url, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    rng = random.Random(SEED + 7)
    webhook = "/api/v1/webhooks/whatsapp"
    calendar = calendar_for(settings)
    started = utcnow() - timedelta(minutes=3)

    def write(client, message: dict) -> None:
        body = meta_webhooks.delivery([meta_webhooks.change([message], contacts=[(name, wa_id)])])
        meta_webhooks.deliver(webhook, WA_SECRET, body, client=client, graph=graph)

    def send() -> None:
        dispatch_due(engine, settings, now=utcnow(), sender=GraphSender(settings))

    with TestClient(create_app()) as client:
        write(client, meta_webhooks.text_message(
            wa_id, "Selamat siang, lampu PJU di jalan utama Desa Gogodeso Kecamatan Kanigoro mati sudah seminggu, "
                   "malam jadi gelap dan rawan kecelakaan.", started, meta_webhooks.new_wamid(rng)))
        write(client, meta_webhooks.location_message(wa_id, -8.1372, 112.2137, started + timedelta(minutes=1),
                                                     "Desa Gogodeso", "Kec. Kanigoro, Kabupaten Blitar",
                                                     meta_webhooks.new_wamid(rng)))
        send()
        with Session(engine, expire_on_commit=False) as session:
            complaint = session.exec(select(Complaint).where(Complaint.channel == "whatsapp",
                                                             Complaint.external_id.like(f"{wa_id}:%"))).one()
            for action, actor, opd, note in (
                    (Action.dispatch, "Admin Diskominfo", "DISHUB", None),
                    (Action.respond, "Petugas DISHUB", None, "Terima kasih laporannya. Petugas PJU kami jadwalkan "
                                                            "mengganti lampu besok pagi."),
                    (Action.resolve, "Petugas DISHUB", None, "Lampu PJU sudah diganti dan menyala kembali.")):
                take_action(session, complaint, action, actor, calendar, settings, opd_code=opd, note=note)
                session.commit()
                send()
            code = complaint.tracking_code
        question = [m for m in graph.conversation(wa_id) if m.get("type") == "interactive"][-1]
        yes = question["buttons"][0]
        write(client, meta_webhooks.button_reply(wa_id, yes["id"], yes["title"], utcnow(), question["id"],
                                                 meta_webhooks.new_wamid(rng)))
        send()
    url = public_link(settings, code)
    say(f"a reporter's WhatsApp conversation, first message to \"Sudah\" (Meta emulator log, {conversation}):")
    for line in meta_graph.render_conversation(graph.conversation(wa_id)).splitlines():
        print(f"[demo]   {line}", flush=True)
    say(f"its public page: {url}")
    return url, conversation


def type_in_walk_ins(settings: Settings, anchor: datetime) -> None:
    """Walk-in complaints typed by a petugas at the front desk, spread over the months."""
    rng = random.Random(SEED + 1)
    fake = Faker("id_ID")
    fake.seed_instance(SEED + 1)
    desas = desa_of()
    topics = [("ADMINDUK-KTP", "KTP-el belum jadi sejak tiga bulan", "Sudah rekam di kecamatan, belum dicetak."),
              ("BANSOS-PKH", "Bantuan PKH tidak cair bulan ini", "Nama saya hilang dari daftar penerima."),
              ("INFRA-PJU", "Lampu jalan mati di dekat balai desa", "Sudah dua minggu gelap, rawan kecelakaan."),
              ("LINGKUNGAN-SAMPAH", "Sampah menumpuk di TPS pasar", "Baunya sampai ke permukiman warga."),
              ("PERIZINAN", "Izin usaha mikro belum terbit", "Pengajuan lewat OSS belum ada kabar."),
              ("AIR", "Air PDAM keruh dan sering mati", "Sudah seminggu air keruh setiap pagi.")]
    engine = get_engine()
    entries: list[dict] = []
    with Session(engine, expire_on_commit=False) as session:
        for i in range(MANUAL_TOTAL):
            category, title, body = topics[i % len(topics)]
            kecamatan = rng.choice(sorted(desas))
            entry = ManualComplaintIn(
                title=title, body=body, category=category, kecamatan=kecamatan,
                desa=rng.choice(desas[kecamatan]), reporter_name=fake.name(),
                reporter_contact="08" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
                received_at=anchor - timedelta(days=rng.uniform(1, DAYS)), reference=f"AGENDA/{SEED}/{i + 1:04d}")
            complaint, outcome, _ = create_one(session, entry, settings, actor="Petugas loket (demo)",
                                               external_id=f"demo-loket-{i + 1:04d}")
            if outcome == "new":  # a re-run finds last run's walk-ins: already audited then
                entries.append(_staff_entry("demo:loket", "Petugas loket (demo)", "petugas", "create_complaint",
                                            complaint.id, complaint.received_at))
    audit.record_many(engine, entries)
    say(f"walk-ins: {MANUAL_TOTAL} typed in at the front desk")


# How fast each OPD's desk answers what reaches it outside LAPOR! (days to first tindak lanjut).
DESK_PACE = {"DISDUKCAPIL": 0.5, "PDAM": 0.8, "DINKES": 1.0, "RSUD-NGUDI": 0.8, "DPUPR": 6.0, "DINSOS": 4.5,
             "DISHUB": 3.5, "DLH": 3.0, "SATPOLPP": 2.5}
REPLIES = ["Terima kasih, laporan sudah kami terima dan petugas dijadwalkan ke lokasi.",
           "Sudah kami koordinasikan dengan UPT terkait, mohon ditunggu.",
           "Petugas sudah mengecek ke lokasi, penanganan sedang berjalan."]
CLOSINGS = ["Penanganan selesai, terima kasih atas laporannya.",
            "Sudah diperbaiki oleh petugas, silakan dicek kembali.",
            "Permasalahan sudah ditindaklanjuti dan dinyatakan selesai."]


def train_suggestions(settings: Settings) -> None:
    """The category/OPD suggestions learn from the LAPOR! history just pulled (`aduan triage train`)."""
    from core.triage.model import train

    with Session(get_engine(), expire_on_commit=False) as session:
        result = train(session, settings, only_if_new=True)
    if result.version is None:
        say(f"triage suggestions: {result.skipped}")
        return
    line = (f"triage suggestions: model v{result.version} from {result.examples:,} labelled complaints, "
            f"trained in {decimal(result.seconds)} s")
    if result.evaluation is not None:  # time split: trained on the older 80 %, tested on the newest 20 %
        line += "; newest 20 %: " + ", ".join(
            f"{label} top-1 {decimal((score.top1 or 0) * 100)} %, top-3 {decimal((score.top3 or 0) * 100)} %"
            for label, score in (("category", result.evaluation.scores["category"]),
                                 ("OPD", result.evaluation.scores["opd"])))
    say(line)


def train_candidate_ranker(settings: Settings) -> None:
    """The complaint-or-not ranker of social candidates learns the desk's decisions (`aduan triage candidates`)."""
    from core.triage.candidates import train as train_candidates

    with Session(get_engine(), expire_on_commit=False) as session:
        result = train_candidates(session, settings, only_if_new=True)
    if result.version is None:
        say(f"candidate ranker: {result.skipped}")
        return
    evaluation = result.evaluation or {}
    held = (f"; newest {evaluation['test']} decided candidates held out: precision "
            f"{decimal((evaluation.get('precision') or 0) * 100)} %, recall "
            f"{decimal((evaluation.get('recall') or 0) * 100)} %" if evaluation.get("test") else "")
    say(f"candidate ranker: v{result.version} from {result.complaints:,} complaints and {result.not_complaints} "
        f"rejected candidates (+ seed), trained in {decimal(result.seconds)} s{held}")


def top_suggestions(session: Session, settings: Settings, complaints: list[Complaint]) -> dict[int, tuple]:
    """What the admin accepts on the Verifikasi page: the first suggested category and OPD of each complaint."""
    from core.triage.learn import complaint_text
    from core.triage.model import load_newest

    loaded = load_newest(session)
    if loaded is None or loaded.header.examples < settings.triage_min_examples or not complaints:
        return {}
    rows = [(complaint_text(c.title, c.body), c.kecamatan) for c in complaints]
    categories, opds = (loaded.trained.rank_many(target, rows, k=1) for target in ("category", "opd"))
    return {c.id: (category[0] if category else None, opd[0] if opd else None)
            for c, category, opd in zip(complaints, categories, opds, strict=True)}


def follow_up_by_staff(settings: Settings) -> None:
    """The admin instansi triages WhatsApp and walk-in complaints and OPD desks answer them, each at its
    own pace: the same workflow actions as the API, dated when they would have happened. A complaint without
    a category or OPD (WhatsApp) is dispatched with the first suggestion for each (core.triage)."""
    from core.casework.workflow import Action, apply_action
    from core.reference.calendar import calendar_for

    calendar = calendar_for(settings)
    now = utcnow()
    engine = get_engine()
    done = 0
    entries: list[dict] = []
    with Session(engine, expire_on_commit=False) as session:
        opd_codes = {o.id: o.code for o in session.exec(select(Opd)).all()}
        waiting = session.exec(select(Complaint).where(Complaint.channel.in_(["whatsapp", "manual"]),
                                                       Complaint.status == "unverified")
                               .order_by(Complaint.id)).all()
        suggested = top_suggestions(session, settings, list(waiting))
        for complaint in waiting:
            rng = random.Random(f"{SEED}:{complaint.channel}:{complaint.external_id}")
            category, suggested_opd = suggested.get(complaint.id, (None, None))
            category = None if complaint.category_id else category  # a walk-in keeps the petugas' category
            code = opd_codes.get(complaint.opd_id) or suggested_opd or "DISKOMINFO"
            pace = DESK_PACE.get(code, 2.0)
            at = complaint.received_at + timedelta(hours=rng.uniform(1, 30))
            steps = [(Action.dispatch, code, None)]
            at_reply = at + timedelta(days=rng.expovariate(1 / pace))
            steps.append((Action.respond, None, rng.choice(REPLIES)))
            steps.append((Action.resolve, None, rng.choice(CLOSINGS)))
            times = [at, at_reply, at_reply + timedelta(days=rng.uniform(0.5, 4 * pace))]
            for (action, opd, note), when in zip(steps, times, strict=True):
                if when >= now or rng.random() < 0.06:
                    break  # not yet (or forgotten): these are the ones the ladder chases
                # The admin instansi dispatches; the OPD's desk answers and closes.
                actor, name, role = (("demo:admin", "Admin Diskominfo", "admin") if action is Action.dispatch
                                     else (f"demo:{code.lower()}", f"Petugas {code}", "opd_admin"))
                apply_action(session, complaint, action, name, calendar, opd_code=opd, note=note, now=when,
                             category_code=category if action is Action.dispatch else None, settings=settings)
                entries.append(_staff_entry(actor, name, role, "act", complaint.id, when, {"action": action.value}))
            done += 1
        session.commit()
    audit.record_many(engine, entries)
    say(f"staff follow-up: {done} WhatsApp/walk-in complaints triaged and answered at each OPD's pace")


REVIEW_REPLIES = ["Terima kasih atas ulasannya. Masukan Anda sudah kami teruskan ke petugas layanan.",
                  "Mohon maaf atas ketidaknyamanannya. Kami sedang membenahi antrean dan akan menambah loket.",
                  "Terima kasih, masukan Anda menjadi bahan perbaikan layanan kami."]


def answer_google_reviews(settings: Settings, engine) -> None:
    """OPD desks answer Google reviews the way the dashboard does: a public reply (written back to Google through
    the outbox), then "selesai" a few days later; some are left, and those the ladder chases."""
    from core.casework.workflow import Action
    from core.intake.writeback import take_action
    from core.reference.calendar import calendar_for

    calendar = calendar_for(settings)
    now = utcnow()
    replied = closed = 0
    with Session(engine, expire_on_commit=False) as session:
        opd_codes = {o.id: o.code for o in session.exec(select(Opd)).all()}
        open_reviews = session.exec(select(Complaint).where(Complaint.channel == "google_reviews",
                                                            Complaint.status.in_(["dispatched", "in_progress"]))
                                    .order_by(Complaint.id)).all()
        for review in open_reviews:
            rng = random.Random(f"{SEED}:review:{review.external_id}")
            code = opd_codes.get(review.opd_id) or "DISKOMINFO"
            name = f"Petugas {code}"
            when = (review.first_response_at or review.received_at
                    + timedelta(days=rng.expovariate(1 / DESK_PACE.get(code, 2.0))))
            if review.first_response_at is None:
                if when >= now or rng.random() < 0.15:
                    continue  # not answered (yet)
                take_action(session, review, Action.respond, name, calendar, settings,
                            note=rng.choice(REVIEW_REPLIES), now=when)
                replied += 1
            done_at = when + timedelta(days=rng.uniform(0.5, 5))
            if done_at < now and rng.random() < 0.85:
                take_action(session, review, Action.resolve, name, calendar, settings,
                            note="Masukan sudah ditindaklanjuti.", now=done_at)
                closed += 1
        session.commit()
    sent = dispatch_writebacks(engine, settings)
    sync_instance("google-layanan-publik", engine=engine)  # the replies come back and are recognised
    say(f"Google reviews: {replied} answered with a public reply, {closed} closed; write-back: {sent}")


def _staff_entry(actor: str, name: str, role: str, action: str, complaint_id: int, at: datetime,
                 detail: dict | None = None) -> dict:
    """An audit entry for a demo staff action, as the API would have written it (dated when it happened)."""
    return {"actor": actor, "actor_name": name, "role": role, "action": action, "target": f"complaint:{complaint_id}",
            "outcome": "ok", "at": at, "detail": detail, "message": "demo"}


def fresh_key(session: Session, name: str) -> str:
    """A new admin key; earlier demo keys of the same name are revoked (a key is shown only once)."""
    revoke_named(session, name)
    return create_key(session, name, "admin")[1]


def keep_arriving(demo: Demo, stop: threading.Event, every_seconds: float = 20.0) -> None:
    """New complaints keep coming in gently while the demo runs, so the wall display moves."""
    settings = demo.settings
    webhook = f"http://{settings.api_host}:{settings.api_port}/api/v1/webhooks/whatsapp"
    scenario = meta_webhooks.WhatsAppScenario(seed=int(time.time()), start=utcnow())
    rng = random.Random()
    engine = get_engine()
    with httpx.Client(timeout=10) as client:
        while not stop.wait(every_seconds):
            try:
                client.post(f"{demo.lapor_url}/_control/add", json={"n": rng.randint(0, 2)})
                client.post(f"{demo.lapor_url}/_control/edit", json={"n": rng.randint(1, 3), "kind": "progress"})
                sync_instance("lapor", engine=engine)
                if rng.random() < 0.6:
                    scenario.clock = utcnow() - timedelta(minutes=25)  # its messages span ~20 min
                    for body in scenario.deliveries(1):
                        meta_webhooks.deliver(webhook, WA_SECRET, body, client=client, graph=demo.graph_url)
                run_sweep(engine, settings, now=utcnow())
                dispatch_due(engine, settings, now=utcnow(), sender=GraphSender(settings))
                dispatch_writebacks(engine, settings)  # actions taken in the dashboard reach LAPOR!/Google
            except Exception:  # the demo keeps going; the connector page shows what failed
                log.exception("demo arrivals")
