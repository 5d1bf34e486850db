"""The demo's YouTube channel: six months of comments under the pemda's videos, pulled through the `youtube` plugin
from the YouTube Data API emulator (kept up with the demo, so `aduan sync youtube-pemkab` and the worker keep
pulling from it).

Every comment lands as a `kandidat`; about a third are complaints (texts of `connectors.emulators.texts`), the rest
praise, questions and noise, and some threads carry replies (neighbours, the author, the channel itself). The desk
has decided the older ones as a person would have (the emulator knows what each really was): complaints verified
and dispatched to their topic's OPD — which turns them into `pengaduan` — and answered at the OPD's pace, the rest
rejected as not substantive (or spam); the last two weeks' wait in the Verifikasi queue, ranked by the candidate
ranker. Seeds and the demo's anchor fix every id and word, so a second run changes nothing.
"""

from __future__ import annotations

import random
from contextlib import ExitStack
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from connectors.emulators import youtube
from connectors.emulators.runner import serve
from core.entry.demo_social import accept_and_handle
from core.intake.instances import save_instance
from core.intake.sync import sync_instance
from core.runtime.db import get_engine
from core.runtime.settings import Settings
from models import Complaint, Status
from models.enums import Classification
from models.types import utcnow

INSTANCE = "youtube-pemkab"
SEED = 2026
TOTAL = 320  # comment threads over the demo's six months
DAYS = 180
QUEUE_DAYS = 14  # candidates younger than this still wait for the desk
REPLIES = ("Terima kasih atas laporannya, petugas kami sudah dijadwalkan ke lokasi.",
           "Sudah kami koordinasikan dengan UPT terkait, mohon ditunggu.")
SPAM_WORDS = ("jual ", "subscribe", "cek channel", "hubungi nomor")


def load_youtube(settings: Settings, anchor: datetime, stack: ExitStack, say=print) -> dict[str, int]:
    """Start the emulator (kept up with the demo), save the instance, pull, and let the desk decide the older ones."""
    app = youtube.create_app(seed=SEED, total=TOTAL, days=DAYS, now=anchor)
    url = stack.enter_context(serve(app))
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        save_instance(session, INSTANCE, "youtube", youtube.connector_config(url), schedule_seconds=900, replace=True)
        session.commit()
    summary = sync_instance(INSTANCE, engine=engine)
    truth = app.state.store.truth()
    share = 100 * sum(t.complaint for t in truth) / max(len(truth), 1)
    replies = sum(len(t.replies) for t in truth)
    say(f"YouTube: {len(truth)} comment threads ({share:.0f} % real complaints, {replies} replies kept as messages) "
        f"pulled from the Data API emulator at {url}: {summary.new} new, {summary.updated} updated, "
        f"{summary.pages} pages ({summary.status})")
    accepted, rejected, waiting = decide(settings, truth)
    say(f"YouTube candidates: {accepted} accepted as complaints and dispatched, {rejected} rejected, {waiting} "
        "waiting in the Verifikasi queue")
    return {"threads": len(truth), "accepted": accepted, "rejected": rejected, "waiting": waiting}


def decide(settings: Settings, truth: list[youtube.Thread]) -> tuple[int, int, int]:
    """The desk's past decisions, dated when they would have been taken (the workflow's own actions)."""
    from core.casework.workflow import Action, apply_action
    from core.reference.calendar import calendar_for

    calendar = calendar_for(settings)
    now = utcnow()
    accepted = rejected = waiting = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        found = {c.external_id: c for c in session.exec(
            select(Complaint).where(Complaint.channel == "youtube", Complaint.status == Status.unverified,
                                    col(Complaint.classification) == Classification.kandidat))}
        for thread in truth:
            complaint = found.get(thread.id)
            if complaint is None:  # decided on an earlier run
                continue
            rng = random.Random(f"{SEED}:youtube:{thread.id}")
            decided = complaint.received_at + timedelta(hours=rng.uniform(1, 30))
            if complaint.received_at > now - timedelta(days=QUEUE_DAYS) or decided >= now:
                waiting += 1
                continue
            if not thread.complaint:
                spam = thread.kind == "noise" and any(w in thread.text.lower() for w in SPAM_WORDS)
                apply_action(session, complaint, Action.reject, "Admin Diskominfo", calendar, now=decided,
                             reason="spam" if spam else "tidak_substantif", settings=settings)
                rejected += 1
                continue
            accept_and_handle(session, settings, complaint, thread.opd or "DISKOMINFO", decided, now, rng, REPLIES)
            accepted += 1
        session.commit()
    return accepted, rejected, waiting
