"""Verifikasi in headless Chromium: a petugas puts the social candidates most likely to be complaints first, each
card saying "kemungkinan aduan NN %", and dispatching one makes it a pengaduan."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from core.reference.seed import seed_reference
from core.runtime.settings import get_settings
from dashboard import ids, queue
from models import Complaint
from models.enums import Classification
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.factories import add_complaint

pytestmark = pytest.mark.browser

COMMENTS = (("yt-puji", "Mantap videonya, sukses terus Pemkab Blitar 👍"),
            ("yt-tanya", "Min, pendaftaran beasiswa kabupaten kapan dibuka ya?"),
            ("yt-aduan", "Tolong pak, jalan di dusun kami rusak parah dan banyak lubang, kemarin ada motor jatuh"),
            ("yt-hadir", "Hadir dari Kanigoro"))


def seed(session: Session, now) -> None:
    seed_reference(session, get_settings())
    for i, (external_id, text) in enumerate(COMMENTS):
        add_complaint(session, "youtube", external_id, title=text, body=text, category_code=None, opd_code=None,
                      classification=Classification.kandidat, received_at=now - timedelta(hours=20 - i),
                      reporter_name=f"@warga{i}", desa=None, kecamatan=None)
    add_complaint(session, "lapor", "L-1", title="Lampu jalan mati di Desa Gogodeso", status="unverified",
                  received_at=now - timedelta(days=1))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for s in launch_stack(tmp_path_factory.mktemp("kandidat"), seed, refresh_seconds=30):
        s.add_user("loket", "petugas", name="Rina Loket")
        yield s


def test_candidates_by_likelihood_and_a_dispatch_accepts_one(page, stack, screenshot):
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/verifikasi")
    wait_dash_idle(page)
    page.wait_for_selector(".vf-card")
    assert page.locator(".vf-card").count() == 5  # oldest first, every channel
    assert page.locator(".vf-likely").count() == 4  # the LAPOR! report is no candidate

    page.select_option(f"#{ids.VF_SORT}", queue.LIKELY)
    page.wait_for_function("() => document.querySelectorAll('.vf-card').length === 4")
    wait_dash_idle(page)
    first = page.locator(".vf-card").first
    assert "jalan di dusun kami rusak parah" in first.inner_text()
    badge = first.locator(".vf-likely")
    assert badge.inner_text().startswith("kemungkinan aduan ") and badge.inner_text().endswith(" %")
    assert "tone-green" in badge.get_attribute("class")
    shares = [int(t.split()[-2]) for t in page.locator(".vf-likely").all_inner_texts()]
    assert shares == sorted(shares, reverse=True) and shares[0] >= 70 > shares[-1]
    screenshot(page, "verifikasi-kandidat")

    first.locator(".vf-opd").select_option("DPUPR")
    first.locator(".vf-dispatch").click()
    page.wait_for_selector("#vf-result-ok")
    wait_dash_idle(page)
    engine = stack.engine()
    with Session(engine) as session:
        accepted = session.exec(select(Complaint).where(Complaint.external_id == "yt-aduan")).one()
    engine.dispose()
    assert (accepted.classification, accepted.status) == ("pengaduan", "dispatched")
    assert page.locator(".vf-card").count() == 3
    r = httpx.get(f"{stack.api_url}/api/v1/complaints/{accepted.id}", headers={"X-API-Key": stack.key}, timeout=30)
    assert r.json()["candidate_score"] is None
    page.console_log.assert_clean()
