"""Triage actions (issue #19): categorize, dispatch with a category, reject with a reason code, merge duplicates;
and how a merged group counts once in the stats, the rapor and the escalation ladder."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from core.casework.escalation import run_sweep
from core.casework.workflow import (
    Action,
    ActionConflictError,
    ActionInputError,
    TransitionError,
    apply_action,
)
from core.identity.access import Access
from core.intake.writeback import take_action
from core.reference.calendar import WorkingCalendar
from core.reporting.filters import ComplaintFilter
from core.reporting.rapor import build_rapor, merged_text, rapor_pdf, rapor_xlsx
from core.reporting.stats import Stats
from core.runtime.settings import load_settings
from models import Category, Complaint, ComplaintEvent, EscalationRecord, Opd, Role, Status
from tests.factories import add_complaint, seeded

CAL = WorkingCalendar("Asia/Jakarta")
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB (tests.factories.draft)
WED = datetime(2026, 11, 25, 3, tzinfo=UTC)
TZ = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def complaint(session):
    seeded(session)
    return add_complaint(session, "whatsapp", external_id="w1")  # INFRA-JALAN (tier lama: 60 days) → DPUPR


def act(session, complaint, action, now=WED, **kw):
    event = apply_action(session, complaint, Action(action), "Petugas Loket", CAL, now=now, **kw)
    session.commit()
    return event


def code_of(session, model, row_id):
    return session.get(model, row_id).code if row_id else None


def history(session, complaint):
    return session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                        .order_by(ComplaintEvent.id)).all()


# --- categorize ------------------------------------------------------------------------------------

def test_categorize_sets_the_tier_and_recomputes_both_due_dates_from_receipt(session, complaint):
    assert complaint.sla_tier == "lama"
    assert complaint.resolution_due_at == CAL.add_working_days(RECEIVED, 60)
    event = act(session, complaint, "categorize", category_code="ADMINDUK-KTP")
    assert code_of(session, Category, complaint.category_id) == "ADMINDUK-KTP"
    assert complaint.sla_tier == "cepat" and complaint.status == Status.unverified
    assert complaint.resolution_due_at == CAL.add_working_days(RECEIVED, 5)
    assert complaint.response_due_at == CAL.add_working_days(RECEIVED, 3)
    assert event.note.startswith("Kategori: Jalan rusak → KTP-el; tingkat SLA cepat, selesai paling lambat 30-11-2026")
    assert event.data["from_category"] == "INFRA-JALAN" and event.data["category"] == "ADMINDUK-KTP"
    assert event.from_status is None and event.actor == "Petugas Loket"
    assert complaint.opd_id == session.exec(select(Opd.id).where(Opd.code == "DPUPR")).one()  # the OPD stays


def test_categorize_keeps_the_shift_of_earlier_postponements(session, complaint):
    act(session, complaint, "dispatch")
    act(session, complaint, "postpone", note="Menunggu anggaran")
    act(session, complaint, "respond", now=datetime(2026, 12, 2, 3, tzinfo=UTC), note="Dikerjakan")  # 5 days paused
    assert complaint.paused_working_days == 5
    act(session, complaint, "categorize", category_code="ADMINDUK-KTP", now=datetime(2026, 12, 3, 3, tzinfo=UTC))
    assert complaint.resolution_due_at == CAL.add_working_days(RECEIVED, 5 + 5)
    assert complaint.response_due_at == CAL.add_working_days(RECEIVED, 3 + 5)
    assert complaint.status == Status.in_progress


def test_categorize_keeps_a_tier_overridden_for_the_complaint(session):
    seeded(session)
    c = add_complaint(session, "whatsapp", external_id="ov", sla_tier="sedang")
    act(session, c, "categorize", category_code="ADMINDUK-KTP")
    assert c.sla_tier == "sedang" and c.resolution_due_at == CAL.add_working_days(RECEIVED, 14)


def test_categorize_needs_a_known_category_and_an_open_complaint(session, complaint):
    for code in (None, "  ", "NOPE"):
        with pytest.raises(ActionInputError) as err:
            act(session, complaint, "categorize", category_code=code)
        assert err.value.field == "category"
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "verify", category_code="ADMINDUK-KTP")
    assert err.value.field == "category"
    act(session, complaint, "reject", reason="spam")
    with pytest.raises(TransitionError):
        act(session, complaint, "categorize", category_code="ADMINDUK-KTP")


def test_dispatch_with_a_category_goes_to_its_default_opd_and_recomputes(session):
    seeded(session)
    c = add_complaint(session, "whatsapp", external_id="nocat", category_code=None)
    assert c.category_id is None and c.opd_id is None
    event = act(session, c, "dispatch", category_code="ADMINDUK-KK")
    assert c.status == Status.dispatched and code_of(session, Opd, c.opd_id) == "DISDUKCAPIL"
    assert code_of(session, Category, c.category_id) == "ADMINDUK-KK" and c.sla_tier == "cepat"
    assert c.resolution_due_at == CAL.add_working_days(RECEIVED, 5)
    notes = [e.note for e in history(session, c)]
    assert notes[-2].startswith("Kategori: (tanpa kategori) → Kartu Keluarga dan akta")
    assert event.to_status == Status.dispatched and event.data["opd"] == "DISDUKCAPIL"
    # An OPD named with it wins over the category's default.
    c2 = add_complaint(session, "whatsapp", external_id="nocat2", category_code=None)
    act(session, c2, "dispatch", category_code="ADMINDUK-KK", opd_code="DINKES")
    assert code_of(session, Opd, c2.opd_id) == "DINKES"


def test_categorize_into_a_category_its_upstream_handles_drops_the_deadlines(session, settings):
    """A 112 call recategorised as a fire is the CAD's to the end (Lifecycle.ladder_exempt): no deadlines."""
    seeded(session)
    c = add_complaint(session, "call112", external_id="c1", category_code="INFRA-PJU")
    assert c.response_due_at is not None
    take_action(session, c, "categorize", "Petugas", CAL, settings, category_code="KEBAKARAN", now=WED)
    assert c.response_due_at is None and c.resolution_due_at is None
    take_action(session, c, "categorize", "Petugas", CAL, settings, category_code="INFRA-PJU", now=WED)
    assert c.resolution_due_at == CAL.add_working_days(RECEIVED, 14)


# --- reject ---------------------------------------------------------------------------------------

def test_reject_needs_a_reason_from_the_configured_list(session, complaint):
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "reject", note="Bukan urusan kami")
    assert err.value.field == "reason" and "bukan_wewenang" in err.value.message
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "reject", reason="malas")
    assert err.value.field == "reason" and "tidak dikenal: malas" in err.value.message
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "verify", reason="spam")
    assert err.value.field == "reason"
    event = act(session, complaint, "reject", reason="data_tidak_lengkap", note="Lokasi tidak disebut")
    assert complaint.reject_reason == "data_tidak_lengkap"
    assert event.note == "Data tidak lengkap: Lokasi tidak disebut"


def test_reject_reasons_are_a_setting(session, complaint):
    custom = load_settings(reject_reasons={"duplikat": "Duplikat", "hoaks": "Informasi bohong"})
    event = act(session, complaint, "reject", reason="hoaks", settings=custom)
    assert complaint.reject_reason == "hoaks" and event.note == "Informasi bohong"
    with pytest.raises(Exception, match="duplikat"):
        load_settings(reject_reasons={"spam": "Spam"})


# --- merge ----------------------------------------------------------------------------------------

@pytest.fixture
def pair(session):
    seeded(session)
    parent = add_complaint(session, "lapor", external_id="L1", reporter_name="Rudi")
    child = add_complaint(session, "whatsapp", external_id="W1", reporter_name="Ani", category_code=None)
    return parent, child


def test_merge_closes_the_child_as_a_duplicate_and_tells_both_histories(session, pair):
    parent, child = pair
    event = act(session, child, "merge", into=parent.id, note="Lubang yang sama")
    assert child.parent_id == parent.id and child.status == Status.rejected and child.reject_reason == "duplikat"
    assert event.note == f"Digabung ke {parent.tracking_code} (duplikat): Lubang yang sama"
    assert event.data["into"] == parent.id and event.from_status == Status.unverified
    last = history(session, parent)[-1]
    assert last.note == f"Menggabungkan {child.tracking_code} (duplikat): Lubang yang sama"
    assert last.data["child_id"] == child.id and parent.status == Status.unverified  # the parent stays as it was


def test_merge_refuses_self_unknown_unreadable_and_missing_parents(session, pair):
    parent, child = pair
    for into in (None, child.id, 999_999):
        with pytest.raises(ActionInputError) as err:
            act(session, child, "merge", into=into)
        assert err.value.field == "into" and not isinstance(err.value, ActionConflictError)
    with pytest.raises(ActionInputError) as err:
        act(session, child, "merge", into=parent.id, may_read=lambda c: False)
    assert err.value.field == "into" and "tidak ditemukan" in err.value.message
    with pytest.raises(ActionInputError) as err:
        act(session, child, "verify", into=parent.id)
    assert err.value.field == "into"
    assert child.parent_id is None and child.status == Status.unverified  # nothing changed


def test_merge_into_a_child_names_its_root_and_cycles_are_refused(session, pair):
    parent, child = pair
    third = add_complaint(session, "manual", external_id="M1", category_code=None)
    act(session, child, "merge", into=parent.id)
    with pytest.raises(ActionConflictError) as err:
        act(session, third, "merge", into=child.id)
    assert err.value.field == "into" and f"gabungkan ke {parent.tracking_code}" in err.value.message
    # The parent into its own child: a cycle (the child is closed anyway, so even a reopened one is refused).
    act(session, child, "reopen")
    assert child.parent_id is None
    act(session, third, "merge", into=child.id)
    with pytest.raises(ActionConflictError) as err:
        act(session, child, "merge", into=third.id)
    assert "lingkaran" in err.value.message


def test_merge_refuses_a_closed_parent(session, pair):
    parent, child = pair
    act(session, parent, "reject", reason="spam")
    with pytest.raises(ActionConflictError) as err:
        act(session, child, "merge", into=parent.id)
    assert "ditolak" in err.value.message


def test_merging_a_parent_hands_its_children_on(session, pair):
    parent, child = pair
    grand = add_complaint(session, "manual", external_id="M2", category_code=None)
    act(session, grand, "merge", into=child.id)
    act(session, child, "merge", into=parent.id)
    session.refresh(grand)
    assert grand.parent_id == parent.id and child.parent_id == parent.id
    assert history(session, parent)[-1].note.endswith(f"beserta {grand.tracking_code}")


def test_reopening_a_child_takes_it_out_of_the_group(session, pair):
    parent, child = pair
    act(session, child, "merge", into=parent.id)
    act(session, child, "reopen")
    assert child.parent_id is None and child.reject_reason is None and child.status == Status.unverified
    assert history(session, parent)[-1].note == f"{child.tracking_code} dibuka kembali dan dipisahkan dari gabungan"


def test_a_lapor_complaint_is_a_parent_never_a_child(session, settings, pair):
    """LAPOR! owns its status: closing it here as a duplicate would contradict it. Merge the others into it."""
    parent, child = pair
    with pytest.raises(ActionConflictError) as err:
        take_action(session, parent, "merge", "Petugas", CAL, settings, into=child.id, now=WED)
    assert err.value.field == "into" and "SP4N-LAPOR!" in err.value.message
    take_action(session, child, "merge", "Petugas", CAL, settings, into=parent.id, now=WED)
    assert child.parent_id == parent.id


# --- a merged group counts once -------------------------------------------------------------------

def test_stats_and_rapor_count_a_merged_group_once_and_say_so(session, settings, pair):
    parent, child = pair
    extra = add_complaint(session, "call112", external_id="C1")
    act(session, child, "merge", into=parent.id)
    act(session, extra, "merge", into=parent.id)
    add_complaint(session, "whatsapp", external_id="W9")
    admin = Access(role=Role.admin)
    stats = Stats(session, ComplaintFilter().resolve(session, TZ), admin, TZ)
    summary = stats.summary()
    assert summary["total"] == 2 and summary["merged_children"] == 2
    assert summary["by_status"]["rejected"] == 0
    assert sum(i["total"] for i in stats.by_channel()) == 2
    assert {i["key"] for i in stats.by_channel()} == {"lapor", "whatsapp"}
    assert sum(p["total"] for p in stats.timeseries()) == 2
    only_wa = Stats(session, ComplaintFilter(channel=["whatsapp"]).resolve(session, TZ), admin, TZ).summary()
    assert only_wa["total"] == 1 and only_wa["merged_children"] == 1
    rapor = build_rapor(session, settings, date(2026, 11, 1), date(2026, 11, 30))
    assert rapor["total"]["total"] == 2 and rapor["merged_children"] == 2
    assert merged_text(rapor) == "2 aduan duplikat digabung, dihitung sekali."
    sheet = load_workbook(io.BytesIO(rapor_xlsx(rapor, settings))).active
    assert "2 aduan duplikat digabung, dihitung sekali." in [c.value for row in sheet.iter_rows() for c in row]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=rapor_pdf(rapor, settings),
                              capture_output=True, check=True).stdout.decode()
        assert "2 aduan duplikat digabung, dihitung sekali." in text


def test_a_child_is_never_chased_by_the_ladder(session, settings, engine, pair):
    """Even a child whose status an upstream re-import moved back (it reads 'dispatched') stays off the ladder:
    the parent is chased for the group."""
    parent, child = pair
    act(session, parent, "dispatch", now=RECEIVED)
    act(session, child, "merge", into=parent.id, now=RECEIVED)
    child.status, child.opd_id = Status.dispatched, parent.opd_id
    child.response_due_at = parent.response_due_at
    session.add(child)
    session.commit()
    run_sweep(engine, settings, now=RECEIVED + timedelta(days=10))
    chased = set(session.exec(select(EscalationRecord.complaint_id)).all())
    assert parent.id in chased and child.id not in chased
    assert session.get(Complaint, child.id).parent_id == parent.id
