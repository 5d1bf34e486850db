"""The complaint panel of a LAPOR! complaint: an action taken here shows as waiting for LAPOR! until it is
confirmed, and the panel names the LAPOR! source the report came in by."""

from __future__ import annotations

from dashboard import detail, state
from models import Status
from tests.dashboard.test_detail import browser, log_in_as_rsud  # noqa: F401  (fixture)
from tests.factories import add_complaint


def test_a_lapor_follow_up_shows_waiting_for_lapor(browser, session):  # noqa: F811
    complaint = add_complaint(session, "lapor", "14200777", status=Status.dispatched, opd_code="RSUD-NGUDI",
                              category_code="KESEHATAN-RS", source_channel="sms")
    log_in_as_rsud(browser, session)
    panel, refusal = detail.act(complaint.id, "respond", "Dokter jaga ditambah mulai pekan depan.", None)
    assert refusal is None
    text = str(panel)
    assert "Tindak lanjut tersimpan." in text and "Dokter jaga ditambah" in text
    assert "menunggu sinkron ke" in text and "LAPOR!" in text
    assert "SMS 1708" in str(detail.body(state.client().complaint(complaint.id)))
