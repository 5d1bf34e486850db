"""The reporters' "sudah beres?" answers on the OPD pages, in headless Chromium against the real API."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import Session

from dashboard import ids
from models import Notification, NotificationStatus
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.factories import add_complaint, seeded

pytestmark = pytest.mark.browser


def seed(session: Session, now: datetime) -> None:
    """Five WhatsApp complaints of DPUPR received this month, resolved and asked: 3 "sudah", 1 "belum" (reopened),
    1 not answered."""
    seeded(session)
    start = now.replace(day=1, hour=3) if now.day > 1 else now - timedelta(hours=2)
    answers = ["sudah", "sudah", "sudah", "belum", None]
    for i, answer in enumerate(answers):
        complaint = add_complaint(session, "whatsapp", f"62812000{i:04d}:wamid.{i}", opd_code="DPUPR",
                                  received_at=start + timedelta(minutes=i), status="resolved",
                                  reporter_contact=f"62812000{i:04d}")
        complaint.satisfaction, complaint.satisfaction_at = answer, now if answer else None
        complaint.reopened_count = 1 if answer == "belum" else 0
        session.add(complaint)
        session.add(Notification(idempotency_key=f"beres:{complaint.id}:0", recipient=f"62812000{i:04d}",
                                 template="aduan_sudah_beres", params={}, status=NotificationStatus.read,
                                 complaint_id=complaint.id, opd_id=complaint.opd_id))
    session.commit()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch_stack(tmp_path_factory.mktemp("puas"), seed, refresh_seconds=30)


def test_the_opd_pages_show_the_reporters_answers(page, stack, tmp_path):
    stack.log_in(page)
    month = datetime.now().date().replace(day=1).isoformat()
    page.goto(f"{stack.dash_url}/opd?month={month}")
    wait_dash_idle(page)
    headers = page.locator(f"#{ids.OPD_GRID} .ag-header-cell-text").all_inner_texts()
    assert headers[-2:] == ["Dibuka lagi", "Kepuasan pelapor"]
    row = page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container .ag-row").first
    row.wait_for()
    cell = page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container [col-id='satisfaction.pct']").first
    assert cell.inner_text() == "75,0 % (3/4)"
    assert page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container [col-id='reopened']").first.inner_text() == "1"
    page.screenshot(path=str(tmp_path / "opd.png"), full_page=True)
    rapor = httpx.get(f"{stack.api_url}/api/v1/rapor", params={"period_start": month},
                      headers={"X-API-Key": stack.key}, timeout=30).json()
    assert rapor["rows"][0]["satisfaction"] == {"asked": 5, "sudah": 3, "belum": 1, "pct": 75.0}

    page.goto(f"{stack.dash_url}/opd/DPUPR")
    wait_dash_idle(page)
    kpis = page.locator(f"#{ids.OPD_DETAIL_KPIS}").inner_text().lower()  # labels are shown in capitals
    assert "kepuasan pelapor" in kpis and "75,0 %" in kpis and "3 dari 4 menjawab" in kpis
    assert "dibuka kembali" in kpis
    page.screenshot(path=str(tmp_path / "opd_detail.png"), full_page=True)
    page.console_log.assert_clean()
