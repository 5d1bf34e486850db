"""Cross-channel duplicate candidates (core/triage/similar.py) on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.identity.access import Access
from core.triage.similar import find_similar, keywords, normalise, number_id, similar_for
from models import Complaint, Role
from tests.factories import MONDAY, add_complaint, seeded

ADMIN = Access(role=Role.admin, actor="admin")


@pytest.fixture
def pothole(session):
    """The same pothole in Gogodeso (Kanigoro) by WhatsApp, SP4N-LAPOR! and 112 within three days, plus
    look-alikes that are not it."""
    seeded(session)
    made = {
        "whatsapp": add_complaint(
            session, "whatsapp", "wamid.1", title="jln depan pasar gogodeso bolong besar",
            body="Pak jalan depan pasar Gogodeso berlubang besar sekali, kemarin ada motor jatuh. Tolong segera "
                 "diperbaiki", category_code=None, kecamatan="Kanigoro", desa="Gogodeso", received_at=MONDAY,
            lat=-8.1351, lon=112.2131),
        "lapor": add_complaint(
            session, "lapor", "LAP-1", title="Jalan berlubang di depan Pasar Gogodeso",
            body="Jalan raya di depan Pasar Gogodeso berlubang besar dan dalam, sudah ada pengendara motor yang "
                 "jatuh. Mohon segera diperbaiki oleh dinas terkait.", category_code="INFRA-JALAN",
            kecamatan="Kanigoro", desa="Gogodeso", received_at=MONDAY + timedelta(days=1)),
        "call112": add_complaint(
            session, "call112", "112-1", title="Jalan berlubang, pengendara motor jatuh",
            body="Pelapor menyampaikan jalan berlubang di depan pasar Gogodeso, satu pengendara motor jatuh.",
            category_code="INFRA-JALAN", kecamatan="Kanigoro", desa="Gogodeso",
            received_at=MONDAY + timedelta(days=3), lat=-8.1358, lon=112.2125),
        # Same words, another kecamatan: another pothole.
        "elsewhere": add_complaint(
            session, "lapor", "LAP-2", title="Jalan berlubang di depan Pasar Wlingi",
            body="Jalan raya di depan pasar berlubang besar dan dalam, ada pengendara motor yang jatuh. Mohon "
                 "segera diperbaiki.", category_code="INFRA-JALAN", kecamatan="Wlingi", desa="Beru",
            received_at=MONDAY + timedelta(days=1)),
        # The same pothole, reported again long after the window.
        "later": add_complaint(
            session, "lapor", "LAP-3", title="Jalan berlubang di depan Pasar Gogodeso belum diperbaiki",
            body="Jalan di depan Pasar Gogodeso masih berlubang besar.", category_code="INFRA-JALAN",
            kecamatan="Kanigoro", desa="Gogodeso", received_at=MONDAY + timedelta(days=40)),
        # Same desa and days, another matter.
        "ktp": add_complaint(
            session, "whatsapp", "wamid.2", title="KTP-el belum jadi",
            body="Sudah tiga bulan rekam KTP-el di kecamatan tetapi belum jadi juga.",
            category_code="ADMINDUK-KTP", kecamatan="Kanigoro", desa="Gogodeso",
            received_at=MONDAY + timedelta(days=2)),
    }
    return made


def test_the_other_two_channels_rank_top_with_reasons(session, settings, pothole):
    items = similar_for(session, pothole["whatsapp"].id, ADMIN, settings)
    assert [item["channel"] for item in items[:2]] == ["lapor", "call112"] or \
        {item["channel"] for item in items[:2]} == {"lapor", "call112"}
    top = {item["id"]: item for item in items[:2]}
    assert set(top) == {pothole["lapor"].id, pothole["call112"].id}
    for item in top.values():
        assert item["score"] >= settings.similar_min_score
        assert item["reasons"][0].startswith("teks mirip 0,")
        assert "desa sama: Gogodeso" in item["reasons"]
        assert item["code"] == pothole[item["channel"]].tracking_code
    assert any(r.startswith("jarak ") and r.endswith(" m") for r in top[pothole["call112"].id]["reasons"])
    # The KTP complaint from the same desa is not the same issue; the other kecamatan and the month-later
    # report never come back.
    ids = {item["id"] for item in items}
    assert pothole["ktp"].id not in ids
    assert pothole["elsewhere"].id not in ids
    assert pothole["later"].id not in ids


def test_category_reasons_and_order_from_lapor(session, settings, pothole):
    items = similar_for(session, pothole["lapor"].id, ADMIN, settings)
    assert {item["id"] for item in items} == {pothole["whatsapp"].id, pothole["call112"].id}
    by_id = {item["id"]: item for item in items}
    assert "kategori sama: Jalan rusak" in by_id[pothole["call112"].id]["reasons"]
    assert not any(r.startswith("kategori") for r in by_id[pothole["whatsapp"].id]["reasons"])  # it has none
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)


def test_window_is_both_ways_and_configurable(session, settings, pothole):
    later = similar_for(session, pothole["later"].id, ADMIN, settings)
    assert later == []
    wide = similar_for(session, pothole["later"].id, ADMIN, settings, window_days=60)
    assert pothole["lapor"].id in {item["id"] for item in wide}


def test_merged_children_and_itself_are_left_out(session, settings, pothole):
    child = pothole["call112"]
    child.parent_id = pothole["lapor"].id
    session.add(child)
    session.commit()
    ids = {item["id"] for item in similar_for(session, pothole["lapor"].id, ADMIN, settings)}
    assert ids == {pothole["whatsapp"].id}


def test_access_scope(session, settings, pothole):
    dpupr = Access(role=Role.opd_admin, opd_id=pothole["lapor"].opd_id, actor="dpupr")
    assert dpupr.opd_id is not None  # INFRA-JALAN goes to DPUPR by default
    # The WhatsApp complaint has no OPD yet: DPUPR cannot read it, nor see it among the candidates.
    assert similar_for(session, pothole["whatsapp"].id, dpupr, settings) is None
    ids = {item["id"] for item in similar_for(session, pothole["lapor"].id, dpupr, settings)}
    assert ids == {pothole["call112"].id}
    other = Access(role=Role.opd_admin, opd_id=pothole["lapor"].opd_id + 1000, actor="x")
    assert similar_for(session, pothole["lapor"].id, other, settings) is None
    assert similar_for(session, 999_999, ADMIN, settings) is None


@pytest.mark.parametrize("role", [Role.petugas, Role.opd_admin, Role.analyst])
def test_every_item_is_one_the_caller_may_read(session, settings, pothole, role):
    """Whatever the policy gives a role, the candidates stay inside it (core/identity/access.py)."""
    pothole["call112"].entered_by = "user:7"
    session.add(pothole["call112"])
    session.commit()
    access = Access(role=role, opd_id=pothole["lapor"].opd_id, actor="x", ref="user:7")
    for complaint in pothole.values():
        items = similar_for(session, complaint.id, access, settings)
        assert (items is None) == (not access.may_read(complaint))
        for item in items or []:
            assert access.may_read(session.get(Complaint, item["id"]))


def test_a_complaint_without_words_has_no_candidates(session, settings, pothole):
    pin = add_complaint(session, "whatsapp", "wamid.9", title="-", body="", category_code=None,
                        kecamatan="Kanigoro", desa="Gogodeso", received_at=MONDAY, lat=-8.1351, lon=112.2131)
    assert similar_for(session, pin.id, ADMIN, settings) == []


def test_thresholds(session, settings, pothole):
    strict = find_similar(session, pothole["whatsapp"].id, ADMIN, window_days=14, limit=5, min_score=0.99,
                          distance_m=1000, max_candidates=200)
    assert strict == []
    one = find_similar(session, pothole["whatsapp"].id, ADMIN, window_days=14, limit=1, min_score=0.1,
                       distance_m=1000, max_candidates=200)
    assert len(one) == 1


def test_indonesian_normalisation():
    assert normalise("Jln depan pasar BOLONG, lubang-lubang parahhh!! yg sdh 2 minggu") == \
        normalise("jalan depan pasar lubang lubang parah yang sudah minggu")
    assert "lubang" in normalise("berlubang")
    assert normalise("diperbaiki") == normalise("perbaiki") == normalise("memperbaiki")
    assert normalise("jalannya") == normalise("jalan")
    assert keywords("Jalan berlubang di depan pasar", "")[:1] == ["lubang"] or "lubang" in keywords(
        "Jalan berlubang di depan pasar", "")
    assert number_id(0.8234) == "0,82"
    assert number_id(1250, 0) == "1.250"

