"""The demo's Instagram and Facebook Page: six months of signed comment and direct-message deliveries to the real
webhook routes, through the `instagram` and `facebook` plugins, and the Graph emulator their replies go to.

Every item lands as a `kandidat` (the triage desk decides); about a third really are complaints (texts from
`connectors.emulators.texts`), the rest praise, questions and noise. The desk has already decided the older ones
as a person would have (the emulator knows what each really was): complaints accepted as pengaduan, dispatched to
their OPD and answered at its pace, the rest rejected as not substantive; the last two weeks' wait in the
Verifikasi queue. Seeds and the demo's anchor fix every id and byte, so a second run lands and changes nothing.
"""

from __future__ import annotations

import random
import warnings
from contextlib import ExitStack
from datetime import datetime, timedelta

from sqlmodel import Session, select

from connectors.emulators import meta_social
from connectors.emulators.runner import serve
from core.intake.instances import save_instance
from core.runtime.db import get_engine
from core.runtime.settings import Settings
from models import Complaint, Status
from models.enums import Classification
from models.types import utcnow

WEEKS = 26
ITEMS_PER_WEEK = {"instagram": 9, "facebook": 7}  # comments and conversations: ~420 in all
GAP_MINUTES = {"instagram": (30, 1000), "facebook": (30, 1300)}  # about half a week each, never past the anchor
SECRETS = {"instagram": ("demo-ig-app-secret", "demo-ig-verify"), "facebook": ("demo-fb-app-secret", "demo-fb-verify")}
INSTANCES = {"instagram": "instagram", "facebook": "facebook"}
SEED = 2126
QUEUE_DAYS = 14  # candidates younger than this still wait for the triage desk
PACE_DAYS = {"DISDUKCAPIL": 0.5, "PDAM": 0.8, "DINKES": 1.0, "DPUPR": 6.0, "DINSOS": 4.5, "DISHUB": 3.5, "DLH": 3.0}
REPLIES = ("Terima kasih atas laporannya, sudah kami teruskan ke petugas dan dijadwalkan pengecekan lokasi.",
           "Mohon maaf atas ketidaknyamanannya, petugas kami sudah menangani di lokasi.")


def deliver_social_history(settings: Settings, anchor: datetime, stack: ExitStack,
                           say=print) -> dict[str, dict[str, int]]:
    """Start the Graph emulator (kept up with the demo), save both instances, post the history."""
    state = meta_social.MetaSocialState(token=meta_social.DEFAULT_TOKEN)
    graph_url = stack.enter_context(serve(meta_social.create_app(state)))
    with Session(get_engine(), expire_on_commit=False) as session:
        for platform, name in INSTANCES.items():
            secret, verify = SECRETS[platform]
            save_instance(session, name, platform,
                          meta_social.connector_config(platform, graph_url, secret, verify),
                          schedule_seconds=None, replace=True)
        session.commit()

    from api.main import create_app

    with warnings.catch_warnings():  # starlette's notice about its test client is noise for a demo user
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    totals: dict[str, dict[str, int]] = {}
    truth: list[meta_social.SocialItem] = []
    with TestClient(create_app()) as client:
        for platform, name in INSTANCES.items():
            total = totals[platform] = {"items": 0, "complaints": 0, "posts": 0, "removed": 0}
            for week in range(WEEKS):
                start = anchor - timedelta(weeks=WEEKS - week) + timedelta(hours=2)
                counts = meta_social.run_scenario(f"/api/v1/webhooks/{name}", SECRETS[platform][0], platform,
                                                  items=ITEMS_PER_WEEK[platform], seed=SEED + week, start=start,
                                                  duplicate_rate=0.15, client=client, state=state,
                                                  gap_minutes=GAP_MINUTES[platform])
                total["items"] += counts["items"]
                total["complaints"] += counts["complaints"]
                total["posts"] += counts["posts"]
                total["removed"] += sum(item.removed for item in counts["truth"])
                truth += counts["truth"]
    for platform, total in totals.items():
        share = 100 * total["complaints"] / max(total["items"], 1)
        say(f"{platform.title()}: {total['items']} comments and conversations ({share:.0f} % real complaints, "
            f"{total['removed']} taken back), {total['posts']} signed webhook deliveries; replies go to the Graph "
            f"emulator at {graph_url}")
    accepted, rejected, waiting = triage_history(settings, truth)
    say(f"social candidates: {accepted} accepted as complaints and dispatched, {rejected} rejected as not "
        f"substantive, {waiting} waiting in the Verifikasi queue")
    return totals


def triage_history(settings: Settings, truth: list[meta_social.SocialItem]) -> tuple[int, int, int]:
    """The desk's past decisions on the candidates, dated when they would have been taken (workflow actions)."""
    from core.casework.workflow import Action, apply_action
    from core.reference.calendar import calendar_for

    calendar = calendar_for(settings)
    now = utcnow()
    accepted = rejected = waiting = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        found = {(c.channel, c.external_id.split(":")[0]): c for c in session.exec(
            select(Complaint).where(Complaint.channel.in_(list(INSTANCES)), Complaint.status == Status.unverified,
                                    Complaint.classification == Classification.kandidat))}
        for item in truth:
            complaint = found.pop((item.platform, item.key), None)
            if complaint is None:  # withdrawn, or decided on an earlier run
                continue
            rng = random.Random(f"{SEED}:{item.platform}:{item.key}")
            decided = complaint.received_at + timedelta(hours=rng.uniform(1, 30))
            if complaint.received_at > now - timedelta(days=QUEUE_DAYS) or decided >= now:
                waiting += 1
                continue
            if not item.complaint:
                apply_action(session, complaint, Action.reject, "Admin Diskominfo", calendar, now=decided,
                             reason="tidak_substantif", settings=settings)
                rejected += 1
                continue
            accept_and_handle(session, settings, complaint, item.opd or "DISKOMINFO", decided, now, rng, REPLIES)
            accepted += 1
        session.commit()
    return accepted, rejected, waiting


def accept_and_handle(session: Session, settings: Settings, complaint: Complaint, opd: str, decided: datetime,
                      now: datetime, rng: random.Random, replies: tuple[str, ...]) -> None:
    """The desk dispatches an accepted candidate (which makes it a pengaduan); its OPD answers and closes it at
    the OPD's pace, as far as the demo's clock has come."""
    from core.casework.workflow import Action, apply_action
    from core.reference.calendar import calendar_for

    calendar = calendar_for(settings)
    apply_action(session, complaint, Action.dispatch, "Admin Diskominfo", calendar, opd_code=opd, now=decided,
                 settings=settings)
    answered = decided + timedelta(days=rng.expovariate(1 / PACE_DAYS.get(opd, 2.0)))
    if answered < now and rng.random() < 0.9:
        apply_action(session, complaint, Action.respond, f"Petugas {opd}", calendar, note=rng.choice(replies),
                     now=answered, settings=settings)
        closed = answered + timedelta(days=rng.uniform(0.5, 4))
        if closed < now and rng.random() < 0.85:
            apply_action(session, complaint, Action.resolve, f"Petugas {opd}", calendar, note="Sudah ditangani.",
                         now=closed, settings=settings)
