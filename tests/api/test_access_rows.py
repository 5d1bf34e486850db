"""Which rows each role reads, endpoint by endpoint, for every route that returns complaint data
(lists, detail, every export, stats incl. call tallies, rapor, escalations, overdue lists, letters and the
LAPOR! hand-back), and that reporter contact reaches only admins whatever the format.

The rows are set up once per role kind (API keys, logged-in users) and `VISIBLE` says who sees which."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from core.casework.escalation import run_sweep
from core.intake.ingest import Resolver, upsert_complaint
from models import ChannelCall, Complaint, Letter, Opd
from tests.api.test_escalations import WIB, wib
from tests.factories import draft

API = "/api/v1"
ROLES = {"viewer": ("viewer", None), "analyst": ("analyst", None), "petugas": ("petugas", None),
         "opd_dpupr": ("opd_admin", "DPUPR"), "opd_dukcapil": ("opd_admin", "DISDUKCAPIL"), "admin": ("admin", None)}
ALL = {"lapor_dpupr", "lapor_dukcapil", "wa_dinkes", "wa_unverified", "desk_petugas", "desk_analyst"}
# Complaint records each role may read (None: the route refuses the role with 403).
VISIBLE = {
    "viewer": None,
    "analyst": ALL,
    "admin": ALL,
    # The triage queue (unverified, every channel: both LAPOR! reports, the new WhatsApp one, the analyst's walk-in)
    # and what it typed in itself; not the dispatched WhatsApp complaint.
    "petugas": ALL - {"wa_dinkes"},
    "opd_dpupr": {"lapor_dpupr", "desk_analyst"},
    "opd_dukcapil": {"lapor_dukcapil", "desk_petugas"},
}
# Aggregates are open to viewers over everything.
COUNTED = {**VISIBLE, "viewer": ALL}
# Escalations, letters, overdue lists: no petugas, no viewer; the swept complaints are the two LAPOR! ones.
SWEPT = {"lapor_dpupr", "lapor_dukcapil"}
CASEWORK = {role: (None if role in ("viewer", "petugas") else VISIBLE[role] & SWEPT) for role in ROLES}
HANDBACK = {role: (rows - {"lapor_dpupr", "lapor_dukcapil"} if rows is not None else None)
            for role, rows in VISIBLE.items()}
CONTACTS = {"lapor_dpupr": "081200000001", "lapor_dukcapil": "081200000002", "wa_dinkes": "081200000003",
            "wa_unverified": "081200000004", "desk_petugas": "081200000005", "desk_analyst": "081200000006"}


def _lapor(session, settings, external_id, category, contact):
    c = upsert_complaint(session, "lapor", draft(external_id, received_at=wib(2025, 5, 9, 16), category_code=category,
                                                 reporter_name="Rudi", reporter_contact=contact),
                         Resolver(session, settings)).complaint
    session.commit()
    return c


@pytest.fixture(params=["key", "user"])
def world(request, client, session, settings, engine, key_for, login_for):
    make = key_for if request.param == "key" else login_for
    heads = {role: make(*spec) for role, spec in ROLES.items()}
    names: dict[int, str] = {}
    names[_lapor(session, settings, "E1", "INFRA-JALAN", CONTACTS["lapor_dpupr"]).id] = "lapor_dpupr"
    names[_lapor(session, settings, "E2", "ADMINDUK-KTP", CONTACTS["lapor_dukcapil"]).id] = "lapor_dukcapil"
    for day in (14, 15, 16, 19):
        run_sweep(engine, settings, now=wib(2025, 5, day))
    resolver = Resolver(session, settings)
    for external_id, name, extra in (("w1", "wa_dinkes", {"opd_code": "DINKES", "status": "dispatched"}),
                                     ("w2", "wa_unverified", {"category_code": None})):
        c = upsert_complaint(session, "whatsapp", draft(external_id, reporter_name="Ani",
                                                        reporter_contact=CONTACTS[name],
                                                        received_at=datetime.now(UTC), **extra), resolver).complaint
        names[c.id] = name
    session.commit()
    for role, name, opd in (("petugas", "desk_petugas", "DISDUKCAPIL"), ("analyst", "desk_analyst", "DPUPR")):
        entry = {"title": f"Aduan loket {name}", "body": "Datang langsung ke loket.", "opd": opd,
                 "reporter_name": "Sri", "reporter_contact": CONTACTS[name]}
        r = client.post(f"{API}/complaints", json=entry, headers=heads[role])
        assert r.status_code == 201, r.text
        names[r.json()["id"]] = name
    for n, kind in enumerate(("normal", "ghost", "prank")):
        session.add(ChannelCall(channel="call112", external_id=f"call{n}", call_type=kind,
                                received_at=datetime.now(UTC)))
    session.commit()
    codes = {c.tracking_code: names[c.id] for c in session.exec(select(Complaint)).all()}
    return client, heads, names, codes


def _get(client, heads, role, path, **params):
    return client.get(API + path, headers=heads[role], params=params)


def _expect(r, rows):
    if rows is None:
        assert r.status_code == 403, r.text
        return False
    assert r.status_code == 200, r.text
    return True


def test_lists_detail_and_exports_show_each_role_its_rows(world):
    client, heads, names, codes = world
    for role, rows in VISIBLE.items():
        r = _get(client, heads, role, "/complaints", limit=500)
        if _expect(r, rows):
            assert {names[i["id"]] for i in r.json()["items"]} == rows, role
        for complaint_id, name in names.items():
            want = 403 if rows is None else 200 if name in rows else 404
            assert _get(client, heads, role, f"/complaints/{complaint_id}").status_code == want, (role, name)
        r = _get(client, heads, role, "/export/complaints.csv")
        if _expect(r, rows):
            table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
            assert {codes[row["Kode Pelacakan"]] for row in table} == rows, role
        r = _get(client, heads, role, "/export/complaints.xlsx")
        if _expect(r, rows):
            sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
            tracking = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
            assert {codes[t] for t in tracking} == rows, role


def test_lapor_handback_shows_each_role_its_rows_only(world):
    """The defect: a petugas downloaded every complaint (with reporter names) through the hand-back."""
    client, heads, _, codes = world
    for role, rows in HANDBACK.items():
        r = _get(client, heads, role, "/export/lapor-manual.xlsx", include_handed_back="true")
        if not _expect(r, rows):
            continue
        book = load_workbook(io.BytesIO(r.content), read_only=True)
        header, *body = list(book.worksheets[0].iter_rows(values_only=True))
        refs = [dict(zip(header, row, strict=False))["nomor_referensi"] for row in body]
        assert {codes[ref] for ref in refs} == rows, role
        assert int(r.headers["X-Total-Rows"]) == len(rows)


def test_aggregates_count_each_role_its_rows(world):
    client, heads, _, _ = world
    # Today as the pemda counts it: between 17:00 and 24:00 UTC it is already tomorrow in Jakarta.
    period = {"period_start": "2025-01-01", "period_end": datetime.now(WIB).date().isoformat()}
    for role, rows in COUNTED.items():
        assert _get(client, heads, role, "/stats/summary").json()["total"] == len(rows), role
        by_opd = _get(client, heads, role, "/stats/by-opd").json()["items"]
        assert sum(i["total"] for i in by_opd) == len(rows), role
        assert _get(client, heads, role, "/rapor", **period).json()["total"]["total"] == len(rows), role
        calls = _get(client, heads, role, "/stats/calls").json()["totals"]
        scoped = role in ("opd_dpupr", "opd_dukcapil", "petugas")
        assert calls == ({} if scoped else {"normal": 1, "ghost": 1, "prank": 1}), role


def test_escalations_letters_and_overdue_show_each_role_its_rows(world, session):
    client, heads, names, _ = world
    opd_of = {o.id: o.code for o in session.exec(select(Opd)).all()}
    letters = session.exec(select(Letter)).all()
    assert {opd_of[letter.opd_id] for letter in letters} == {"DPUPR", "DISDUKCAPIL"}
    for role, rows in CASEWORK.items():
        r = _get(client, heads, role, "/escalations")
        if _expect(r, rows):
            assert {names[i["complaint_id"]] for i in r.json()["items"]} == rows, role
        r = _get(client, heads, role, "/letters")
        if _expect(r, rows):
            shown = {i["opd_code"] for i in r.json()["items"]}
            assert shown == {"DPUPR" if n == "lapor_dpupr" else "DISDUKCAPIL" for n in rows}, role
        for letter in letters:
            owner = "lapor_dpupr" if opd_of[letter.opd_id] == "DPUPR" else "lapor_dukcapil"
            want = 403 if rows is None else 200 if owner in rows else 404
            assert _get(client, heads, role, f"/letters/{letter.id}.pdf").status_code == want, (role, letter.id)
        for opd, name in (("DPUPR", "lapor_dpupr"), ("DISDUKCAPIL", "lapor_dukcapil")):
            r = _get(client, heads, role, f"/opd/{opd}/overdue")
            if rows is None or (role.startswith("opd_") and name not in rows):
                assert r.status_code == 403, (role, opd)
                continue
            assert name in {names[i["complaint_id"]] for i in r.json()["items"]}, (role, opd)


def test_reporter_contact_reaches_only_admins_in_every_format(world):
    client, heads, _, _ = world
    period = {"period_start": "2025-01-01"}
    for role, rows in VISIBLE.items():
        if rows is None:
            continue
        outputs = [_get(client, heads, role, path, **params).content
                   for path, params in (("/complaints", {"limit": 500}), ("/export/complaints.csv", {}),
                                        ("/export/lapor-manual.xlsx", {"include_handed_back": "true"}),
                                        ("/escalations", {}), ("/rapor", period))]
        outputs.append(_xlsx_text(_get(client, heads, role, "/export/complaints.xlsx").content))
        outputs.append(_xlsx_text(_get(client, heads, role, "/export/lapor-manual.xlsx",
                                       include_handed_back="true").content))
        seen = {name for name, contact in CONTACTS.items() if any(contact.encode() in out for out in outputs)}
        assert seen == (rows if role == "admin" else set()), role


def _xlsx_text(content: bytes) -> bytes:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row).encode()
