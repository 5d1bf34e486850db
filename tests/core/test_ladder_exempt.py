"""Channels whose upstream handles some categories to the end (Lifecycle.ladder_exempt): a 112 export in
which the emergencies (handled in the CAD) get no deadlines and draw no ladder step, while a street-light
report follows the normal ladder; ADUAN_LADDER_EXEMPT overrides what the connector declares."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from connectors.call112 import COLUMNS, DEFAULT_CATEGORY_MAP, Call112Connector
from core.casework.escalation import run_sweep
from core.casework.sla import overdue_clause
from core.casework.workflow import Action, apply_action
from core.intake.file_import import import_file
from core.reference.calendar import WorkingCalendar
from core.runtime.settings import get_settings
from models import Complaint, EscalationRecord, Letter, Opd, Status
from tests.factories import seeded

WIB = ZoneInfo("Asia/Jakarta")
CAL = WorkingCalendar("Asia/Jakarta")
# Monday 2 November 2026 (no holiday in the weeks after); the sweep runs the Tuesday after, day 6.
SWEEP_AT = datetime(2026, 11, 10, 9, 0, tzinfo=WIB).astimezone(UTC)
CONNECTOR = {"category_map": {**DEFAULT_CATEGORY_MAP, "lampu jalan": "INFRA-PJU"}}


def row(external_id: str, kategori: str, kejadian: str, selesai: str = "", **values) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(id=external_id, tanggal_terima="2 November 2026 09:00", tanggal_selesai=selesai,
                jenis_panggilan="normal", kejadian=kejadian, kategori=kategori, kecamatan="Kanigoro",
                desa="Gogodeso", alamat="Jl. Raya Kanigoro")
    base.update(values)
    return base


EXPORT = [
    row("F-OPEN", "kebakaran", "Kebakaran gudang kayu", opd="Damkar"),
    row("F-DONE", "kebakaran", "Kebakaran rumah warga", "2 November 2026 09:42", opd="Damkar",
        keterangan="Api padam"),
    row("M-OPEN", "kesehatan", "Warga pingsan di pasar", opd="PSC 119"),
    row("B-OPEN", "pohon tumbang", "Pohon tumbang menutup jalan", opd="BPBD"),
    row("K-OPEN", "keamanan", "Keributan di lapangan desa", opd="Polres"),
    row("PJU", "lampu jalan", "Lampu jalan mati sepanjang Jl. Raya Kanigoro", opd="Dishub"),
]
EMERGENCIES = {"F-OPEN", "F-DONE", "M-OPEN", "B-OPEN", "K-OPEN"}


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def imported(session, rows=EXPORT, name="cad-november.csv") -> dict[str, Complaint]:
    report = import_file(session, Call112Connector(CONNECTOR), csv_bytes(rows), name)
    assert report.failed == 0, report.problems
    session.expire_all()
    return {c.external_id: c for c in session.exec(select(Complaint).where(Complaint.channel == "call112"))}


def laddered(session) -> set[str]:
    session.expire_all()
    return {c.external_id for c in session.exec(
        select(Complaint).join(EscalationRecord, EscalationRecord.complaint_id == Complaint.id)).all()}


def override(monkeypatch, value: str):
    monkeypatch.setenv("ADUAN_LADDER_EXEMPT", value)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def ref(session):
    return seeded(session)


def test_emergencies_are_handled_in_the_cad_and_draw_no_ladder_step(ref, session, engine, settings):
    by_id = imported(session)
    for external_id in EMERGENCIES - {"F-DONE"}:
        c = by_id[external_id]
        assert c.status == Status.in_progress, external_id  # open in the CAD: in progress, not waiting
        assert (c.response_due_at, c.resolution_due_at) == (None, None)
    fire = by_id["F-DONE"]
    assert fire.status == Status.resolved
    assert fire.resolved_at == datetime(2026, 11, 2, 9, 42, tzinfo=WIB).astimezone(UTC)  # tanggal_selesai
    assert fire.response_due_at is None
    light = by_id["PJU"]
    assert light.status == Status.dispatched and light.response_due_at is not None
    assert light.resolution_due_at is not None

    result = run_sweep(engine, settings, now=SWEEP_AT, calendar=CAL)
    assert {code for code, _ in result.fired} == {light.tracking_code}
    assert laddered(session) == {"PJU"}
    letters = session.exec(select(Letter)).all()
    assert letters and {session.get(Opd, letter.opd_id).code for letter in letters} == {"DISHUB"}
    overdue = session.exec(select(Complaint.external_id).where(overdue_clause(SWEEP_AT))).all()
    assert overdue == ["PJU"]

    # A later sweep still leaves them alone (the street light gets its daily reminder), and re-importing
    # the same export changes nothing.
    later = run_sweep(engine, settings, now=SWEEP_AT.replace(day=12), calendar=CAL)
    assert {code for code, _ in later.fired} == {light.tracking_code}
    report = import_file(session, Call112Connector(CONNECTOR), csv_bytes(EXPORT), "cad-november.csv")
    assert (report.new, report.updated) == (0, 0)


def test_the_cad_finishing_an_open_emergency_resolves_it_at_tanggal_selesai(ref, session):
    imported(session)
    edited = [r | {"tanggal_selesai": "2 November 2026 10:30", "keterangan": "Korban dibawa ke RSUD"}
              if r["id"] == "M-OPEN" else r for r in EXPORT]
    medic = imported(session, edited, "cad-november-2.csv")["M-OPEN"]
    assert medic.status == Status.resolved
    assert medic.resolved_at == datetime(2026, 11, 2, 10, 30, tzinfo=WIB).astimezone(UTC)
    assert medic.first_response_at == medic.resolved_at


def test_a_reimport_keeps_what_staff_recorded_on_a_street_light_but_not_on_an_emergency(ref, session):
    by_id = imported(session)
    at = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    apply_action(session, by_id["PJU"], Action.resolve, "admin.dishub", CAL, note="Lampu diganti", now=at)
    apply_action(session, by_id["K-OPEN"], Action.postpone, "admin.satpol", CAL, note="Menunggu", now=at)
    session.commit()

    edited = [r | {"keterangan": "Dicek ulang operator"} if r["id"] in ("PJU", "K-OPEN") else r for r in EXPORT]
    by_id = imported(session, edited, "cad-november-2.csv")
    assert by_id["PJU"].status == Status.resolved  # staff's word stands on a non-emergency
    assert by_id["K-OPEN"].status == Status.in_progress  # the CAD owns an emergency
    assert (by_id["K-OPEN"].response_due_at, by_id["K-OPEN"].resolution_due_at) == (None, None)


def test_settings_put_emergencies_back_on_the_ladder(ref, session, engine, monkeypatch):
    settings = override(monkeypatch, '{"call112": []}')
    by_id = imported(session)
    assert by_id["F-OPEN"].status == Status.dispatched and by_id["F-OPEN"].response_due_at is not None
    assert by_id["F-DONE"].status == Status.resolved
    run_sweep(engine, settings, now=SWEEP_AT, calendar=CAL)
    assert laddered(session) == EMERGENCIES - {"F-DONE"} | {"PJU"}


def test_a_parent_category_exempts_its_children(ref, session, engine, monkeypatch):
    settings = override(monkeypatch, '{"call112": ["INFRA"]}')  # INFRA-PJU is a child of INFRA
    by_id = imported(session)
    assert by_id["PJU"].status == Status.in_progress and by_id["PJU"].response_due_at is None
    assert by_id["F-OPEN"].response_due_at is not None
    run_sweep(engine, settings, now=SWEEP_AT, calendar=CAL)
    assert laddered(session) == EMERGENCIES - {"F-DONE"}


def test_an_emergency_recategorised_upstream_joins_the_ladder_and_leaves_it(ref, session):
    imported(session)
    moved = [r | {"kategori": "lampu jalan", "opd": "Dishub"} if r["id"] == "B-OPEN" else r for r in EXPORT]
    tree = imported(session, moved, "cad-november-2.csv")["B-OPEN"]
    assert tree.status == Status.dispatched  # now waits for DISHUB, on the ladder
    assert tree.response_due_at is not None and tree.resolution_due_at is not None
    again = [r | {"keterangan": "Kategori dikoreksi"} if r["id"] == "B-OPEN" else r for r in EXPORT]
    back = imported(session, again, "cad-november-3.csv")["B-OPEN"]
    assert (back.response_due_at, back.resolution_due_at) == (None, None)
    assert back.status == Status.in_progress
