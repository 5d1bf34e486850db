"""core.reporting.public: the public link, tracking-code checks, redaction of reporters in public text, and the
monthly figures (merged duplicates counted once, the month's rapor rule)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.casework.workflow import Action, apply_action
from core.reference.calendar import calendar_for
from core.reporting.public import Redactor, month_start, normalise_code, public_complaint, public_figures, public_url
from core.runtime.settings import load_settings
from tests.factories import add_complaint, seeded


def test_the_public_link_of_a_complaint():
    assert public_url(load_settings(), "WA-1A2B3C4D5E6F") == "http://127.0.0.1:8050/publik?kode=WA-1A2B3C4D5E6F"
    assert public_url(load_settings(api_host="0.0.0.0", dashboard_port=9000), "X-1") == \
        "http://127.0.0.1:9000/publik?kode=X-1"
    base = load_settings(public_base_url="https://aduan.blitarkab.go.id/")
    assert public_url(base, "LPR-00AB") == "https://aduan.blitarkab.go.id/publik?kode=LPR-00AB"


def test_the_public_base_url_must_be_http():
    from core.runtime.settings import SettingsError

    with pytest.raises(SettingsError, match="ADUAN_PUBLIC_BASE_URL"):
        load_settings(public_base_url="aduan.blitarkab.go.id")


@pytest.mark.parametrize(("code", "expected"), [
    ("wa-1a2b3c4d5e6f", "WA-1A2B3C4D5E6F"), (" LPR-59C9F860EFD6 ", "LPR-59C9F860EFD6"), ("GOOG_X-1", "GOOG_X-1"),
    ("AB", None), ("A" * 41, None), ("WA 1", None), ("-WA1", None), ("WA-1/2", None), ("WA-1%00", None), ("", None),
])
def test_what_can_be_a_tracking_code(code, expected):
    assert normalise_code(code) == expected


def test_redaction_blanks_reporters_numbers_and_ids():
    redact = Redactor(["Siti Rahayu", "Budi"], ["6281234567001", "budi@example.org"])
    assert redact("Saya Siti, hubungi 6281234567001 atau budi@example.org") == \
        "Saya [disamarkan], hubungi [disamarkan] atau [disamarkan]"
    assert redact("Bu SITI RAHAYU dan pak budi") == "Bu [disamarkan] dan pak [disamarkan]"
    assert redact("Telp 0812-3456-7890 / +62 812 3456 7890, NIK 3505123456789012") == \
        "Telp [disamarkan] / [disamarkan], NIK [disamarkan]"
    untouched = "Tanggal 2026-11-23 jam 08.00, RT 05 RW 02, Rp50.000, Jl. Situbondo 12"
    assert redact(untouched) == untouched  # "Situbondo" is not "Siti"; dates and sums stay
    assert Redactor([], [])("Lubang di jalan") == "Lubang di jalan" and redact(None) is None


def test_a_parents_answer_never_names_a_merged_childs_reporter(settings, session):
    seeded(session)
    parent = add_complaint(session, "lapor", "L1", status="dispatched", opd_code="DPUPR", reporter_name="Rudi")
    child = add_complaint(session, "whatsapp", "W1", reporter_name="Ani Lestari", reporter_contact="6285700000001")
    calendar = calendar_for(settings)
    apply_action(session, child, Action.merge, "Admin", calendar, into=parent.id, settings=settings)
    apply_action(session, parent, Action.respond, "Admin", calendar, settings=settings,
                 note="Bu Ani Lestari (6285700000001) dan Pak Rudi: lubang sudah ditambal")
    session.commit()
    shown = public_complaint(session, settings, parent.tracking_code)
    assert shown["timeline"][-1]["text"] == "Bu [disamarkan] ([disamarkan]) dan Pak [disamarkan]: lubang sudah ditambal"


def test_month_start():
    assert month_start(date(2026, 1, 15), 0) == date(2026, 1, 1)
    assert month_start(date(2026, 1, 15), 1) == date(2025, 12, 1)
    assert month_start(date(2026, 12, 31), 23) == date(2025, 1, 1)


def test_monthly_figures_count_a_merged_group_once(settings, session):
    seeded(session)
    now = datetime(2026, 12, 5, 3, tzinfo=UTC)
    received = datetime(2026, 11, 10, 2, tzinfo=UTC)
    parent = add_complaint(session, "lapor", "L1", status="resolved", opd_code="DPUPR", received_at=received,
                           resolved_at=received)
    add_complaint(session, "lapor", "L2", status="dispatched", opd_code="DPUPR", received_at=received)
    child = add_complaint(session, "whatsapp", "W1", received_at=received)
    add_complaint(session, "whatsapp", "W2", status="rejected", received_at=received)
    apply_action(session, child, Action.merge, "Admin", calendar_for(settings), into=parent.id, settings=settings)
    session.commit()
    figures = public_figures(session, settings, 2, now=now)
    assert [m["month"] for m in figures["by_month"]] == ["2026-11", "2026-12"]
    november, december = figures["by_month"]
    assert (november["received"], november["counted"], november["resolved"], november["completion_pct"]) == \
        (3, 2, 1, 50.0)
    assert december["received"] == 0 and december["completion_pct"] is None
    assert figures["rapor"]["period_start"] == date(2026, 11, 1)
    assert figures["rapor"]["total"]["total"] == 2 and figures["rapor"]["merged_children"] == 1
    assert figures["summary"]["merged_children"] == 1 and figures["summary"]["received"] == 3
