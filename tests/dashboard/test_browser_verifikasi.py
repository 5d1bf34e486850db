"""The Verifikasi desk in headless Chromium against the real API: a petugas takes a WhatsApp complaint (its photo
fetched through the Graph media endpoint) from the queue to dispatched with one suggestion of a model trained on
labelled complaints, merging a duplicate leaves one issue whose panel lists both reporters, and a selection is
rejected in bulk while a single card is rejected from the keyboard."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from connectors.emulators import meta_graph
from connectors.emulators import meta_webhooks as meta
from core.intake import webhooks
from core.intake.media import fetch_pending
from core.reference.seed import seed_reference
from core.runtime.settings import get_settings
from core.triage.model import train
from dashboard import ids
from models import Complaint, ConnectorInstance
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.factories import add_complaint

pytestmark = pytest.mark.browser

SECRET, TOKEN = "rahasia-aplikasi-wa", "graph-token-uji"
PHOTO_ID = "7300730073007300"
WA_REPORTER = ("Ani Suryani", "6281234500001")
DESA = [("Gogodeso", "Kanigoro"), ("Sanankulon", "Sanankulon"), ("Kademangan", "Kademangan"),
        ("Wlingi", "Wlingi"), ("Talun", "Talun")]
# Labelled history the model learns from: (category, OPD, texts); LAPOR! dispositions, as in production.
LABELLED = [
    ("INFRA-JALAN", "DPUPR", ["Jalan berlubang besar di Desa {desa}", "Aspal jalan rusak parah dan tergenang air",
                              "Jalan poros desa rusak, motor sering jatuh", "Jalan desa {desa} berlubang dan becek",
                              "Mohon perbaikan jalan rusak menuju Kecamatan {kec}"]),
    ("ADMINDUK-KK", "DISDUKCAPIL", ["Akta kelahiran anak belum jadi sebulan", "Kartu keluarga salah tulis nama",
                                    "Pengurusan akta kelahiran di Dukcapil lama", "KK baru belum dicetak",
                                    "Nama di kartu keluarga dan akta kelahiran berbeda"]),
    ("INFRA-PJU", "DISHUB", ["Lampu penerangan jalan mati di Desa {desa}", "PJU padam sudah seminggu, gelap",
                             "Lampu jalan umum mati total malam hari", "Tiang lampu jalan roboh dan lampunya mati",
                             "Penerangan jalan umum di {kec} tidak menyala"]),
    ("LINGKUNGAN-SAMPAH", "DLH", ["Sampah menumpuk di pasar {desa}", "Truk sampah tidak datang, bau menyengat",
                                  "TPS penuh sampah berserakan", "Sampah dibuang di sungai Desa {desa}",
                                  "Tumpukan sampah di pinggir jalan {kec}"]),
]


def seed(session: Session, now) -> None:
    seed_reference(session, get_settings())
    engine = session.get_bind()
    serial = 0
    for category, opd, texts in LABELLED:
        for text in texts:
            for desa, kec in DESA[:3]:
                serial += 1
                at = now - timedelta(days=40 + serial % 30, hours=serial % 7)
                title = text.format(desa=desa, kec=kec)
                add_complaint(session, "lapor", f"label-{serial}", title=title, body=f"{title}. Mohon ditindaklanjuti.",
                              received_at=at, status="dispatched", category_code=category, opd_code=opd,
                              desa=desa, kecamatan=kec, dispatched_at=at + timedelta(hours=3))
    result = train(session, get_settings())
    assert result.version is not None, result.skipped

    # A WhatsApp complaint with a photo, through the real webhook intake and the media worker (Graph emulator).
    session.add(ConnectorInstance(name="wa", kind="whatsapp", schedule_seconds=None, config={
        "verify_token": "verifikasi", "app_secret": SECRET, "phone_number_id": meta.PHONE_NUMBER_ID}))
    session.commit()
    at = now - timedelta(days=2)
    for message in (meta.text_message(WA_REPORTER[1], "Jalan di depan rumah saya berlubang besar dan tergenang, "
                                                      "sudah dua motor jatuh. Mohon jalannya diperbaiki.", at),
                    meta.image_message(WA_REPORTER[1], PHOTO_ID, at + timedelta(minutes=2), "Ini lubangnya")):
        body = meta.encode(meta.delivery([meta.change([message], contacts=[WA_REPORTER])]))
        landed = webhooks.receive(session, "wa", body, {"X-Hub-Signature-256": meta.sign(body, SECRET)})
        webhooks.normalise_records(engine, "wa", landed.new_ids)
    settings = get_settings().model_copy(update={"whatsapp_graph_base_url": "http://testserver",
                                                  "whatsapp_token": SecretStr(TOKEN)})
    with TestClient(meta_graph.create_app(meta_graph.MetaGraphState(token=TOKEN))) as graph:
        fetched = fetch_pending(engine, settings, client=graph)
    assert fetched.fetched == 1, str(fetched)

    # The same broken bridge reported on LAPOR! and, hours later, on WhatsApp: a duplicate to merge.
    add_complaint(session, "lapor", "jembatan-1", title="Jembatan bambu di Desa Sumberdiren ambrol",
                  body="Jembatan bambu penghubung dusun di Desa Sumberdiren Kecamatan Garum ambrol terbawa arus, "
                       "warga harus memutar jauh.", received_at=now - timedelta(hours=20), status="unverified",
                  category_code=None, opd_code=None, desa="Sumberdiren", kecamatan="Garum",
                  reporter_name="Sutrisno")
    add_complaint(session, "whatsapp", "6285700000009:wamid.jembatan", title="Jembatan bambu Sumberdiren ambrol",
                  body="Jembatan bambu di Desa Sumberdiren Garum ambrol terbawa arus, warga memutar jauh. Mohon "
                       "segera dibangun lagi.", received_at=now - timedelta(hours=10), status="unverified",
                  category_code=None, opd_code=None, desa="Sumberdiren", kecamatan="Garum",
                  reporter_name="Wati Lestari")
    # What a desk also sees: spam, and a message with nothing to act on.
    for n, text in enumerate(("Promo pulsa murah hubungi 0812xxxx", "Dapatkan pinjaman cepat tanpa jaminan")):
        add_complaint(session, "whatsapp", f"62899000000{n}:wamid.spam", title=text, body=text, status="unverified",
                      received_at=now - timedelta(hours=6 - n), category_code=None, opd_code=None, desa=None,
                      kecamatan=None)
    add_complaint(session, "whatsapp", "628990000009:wamid.halo", title="Halo min", body="Halo min",
                  status="unverified", received_at=now - timedelta(hours=2), category_code=None, opd_code=None,
                  desa=None, kecamatan=None)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for s in launch_stack(tmp_path_factory.mktemp("verifikasi"), seed, refresh_seconds=30):
        s.add_user("loket", "petugas", name="Rina Loket")
        yield s


def api(stack, path: str) -> dict:
    r = httpx.get(f"{stack.api_url}/api/v1{path}", headers={"X-API-Key": stack.key}, timeout=30)
    r.raise_for_status()
    return r.json()


def complaint_by(stack, external_id: str) -> Complaint:
    engine = stack.engine()
    with Session(engine) as session:
        found = session.exec(select(Complaint).where(Complaint.external_id == external_id)).one()
    engine.dispose()
    return found


def card_of(page, code: str):
    """The card of this complaint (its code is in the header; other cards may list it as a duplicate)."""
    return page.locator(".vf-card").filter(has=page.locator(".vf-code", has_text=code))


def test_a_petugas_dispatches_a_whatsapp_complaint_with_a_suggestion(page, stack, screenshot):
    engine = stack.engine()
    with Session(engine) as session:
        wa = session.exec(select(Complaint).where(Complaint.channel == "whatsapp",
                                                  Complaint.external_id.like(f"{WA_REPORTER[1]}:%"))).one()
    engine.dispose()
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/verifikasi")
    wait_dash_idle(page)
    assert "Verifikasi" in page.inner_text(f"#{ids.NAVBAR}")
    page.wait_for_selector(".vf-card")
    assert "Pintasan papan ketik" in page.inner_text(f"#{ids.VF_HELP}")
    assert page.inner_text(f"#{ids.VF_COUNT}").startswith("6 aduan menunggu verifikasi")
    codes = page.locator(".vf-card .vf-code").all_inner_texts()
    assert codes[0] == wa.tracking_code and len(codes) == 6  # oldest first

    card = card_of(page, wa.tracking_code)
    text = card.inner_text()
    assert "Jalan di depan rumah saya berlubang" in text and "WhatsApp" in text
    assert "sisa" in card.locator(".vf-clock").inner_text()  # received 2 days ago: within the 3 working days
    # The photo came through the Graph media endpoint, and the dashboard relays it with the petugas' log-in.
    page.wait_for_function("() => [...document.querySelectorAll('.vf-card .vf-thumb')]"
                           ".some(i => i.complete && i.naturalWidth === 160)", timeout=15_000)
    # Suggestions with their confidence: the road category, sent to Dinas PUPR.
    first = card.locator(".vf-accept-1")
    assert "Jalan rusak" in first.inner_text() and "Dinas Pekerjaan Umum" in first.inner_text()
    assert "%" in card.locator(".vf-suggestions").inner_text()
    assert "Model v1" in card.locator(".vf-model").inner_text()
    screenshot(page, "verifikasi")

    page.keyboard.press("1")  # the focused card is the first, the oldest: accept its first suggestion
    page.wait_for_selector("#vf-result-ok")
    assert f"{wa.tracking_code} terverifikasi dan didisposisikan ke Dinas Pekerjaan Umum" in \
        page.inner_text("#vf-result-ok")
    wait_dash_idle(page)
    assert wa.tracking_code not in page.locator(".vf-cards").inner_text()  # left the queue
    done = api(stack, f"/complaints/{wa.id}")
    assert (done["status"], done["opd_code"], done["category_code"]) == ("dispatched", "DPUPR", "INFRA-JALAN")
    assert [m["state"] for m in done["media"]] == ["fetched"]
    page.console_log.assert_clean()


def test_merging_a_duplicate_leaves_one_issue_with_both_reporters(page, stack, screenshot):
    parent, child = complaint_by(stack, "jembatan-1"), complaint_by(stack, "6285700000009:wamid.jembatan")
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/verifikasi")
    wait_dash_idle(page)
    card = card_of(page, child.tracking_code)
    card.wait_for()
    duplicates = card.locator(".vf-duplicates").inner_text()
    assert parent.tracking_code in duplicates and "desa sama" in duplicates
    card.locator(".vf-title").click()  # focus this card, then the shortcut
    page.keyboard.press("g")
    page.wait_for_selector("#vf-result-ok")
    assert f"{child.tracking_code} digabung ke {parent.tracking_code}" in page.inner_text("#vf-result-ok")
    # The parent's panel: one issue, both reporters.
    panel = page.locator(f"#{ids.VF_PANEL}")
    panel.locator("#detail-reporters").wait_for()
    page.wait_for_function(f"() => document.getElementById('{ids.VF_PANEL}').getBoundingClientRect().right"
                           " <= window.innerWidth + 1")  # slid in
    reporters = panel.locator("#detail-reporters").inner_text()
    assert "Sutrisno" in reporters and "Wati Lestari" in reporters and "Pelapor (2)" in panel.inner_text()
    screenshot(page, "verifikasi-gabung")
    wait_dash_idle(page)
    queue_text = page.locator(".vf-cards").inner_text()
    assert child.tracking_code not in queue_text and parent.tracking_code in queue_text

    merged = api(stack, f"/complaints/{parent.id}")
    assert {r["name"] for r in merged["reporters"]} == {"Sutrisno", "Wati Lestari"}
    assert [m["tracking_code"] for m in merged["merged"]] == [child.tracking_code]
    assert api(stack, f"/complaints/{child.id}")["parent_id"] == parent.id
    page.console_log.assert_clean()


def test_bulk_reject_a_selection_and_reject_one_card_from_the_keyboard(page, stack):
    spam = [complaint_by(stack, f"62899000000{n}:wamid.spam") for n in range(2)]
    halo = complaint_by(stack, "628990000009:wamid.halo")
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/verifikasi")
    wait_dash_idle(page)
    card_of(page, spam[0].tracking_code).locator(".vf-title").click()
    page.keyboard.press("x")  # select the focused card
    card_of(page, spam[1].tracking_code).locator(".vf-select input").check()
    page.wait_for_function(f"() => document.getElementById('{ids.VF_SELECTED}').innerText === '2 dipilih'")
    page.select_option(f"#{ids.VF_BULK_REASON}", "spam")
    page.click(f"#{ids.VF_BULK_REJECT}")
    page.wait_for_selector("#vf-bulk-ok")
    assert page.inner_text("#vf-bulk-ok") == "2 aduan ditolak."
    for complaint in spam:
        done = api(stack, f"/complaints/{complaint.id}")
        assert (done["status"], done["reject_reason"]) == ("rejected", "spam")
    wait_dash_idle(page)

    card_of(page, halo.tracking_code).locator(".vf-title").click()
    page.keyboard.press("t")  # the reason box of the focused card
    assert page.evaluate("document.activeElement.classList.contains('vf-reason')")
    page.keyboard.type("Data")  # the browser's own type-ahead picks "Data tidak lengkap"
    page.keyboard.press("Enter")
    page.wait_for_selector("#vf-result-ok")
    assert page.inner_text("#vf-result-ok") == f"{halo.tracking_code} ditolak: Data tidak lengkap."
    assert api(stack, f"/complaints/{halo.id}")["reject_reason"] == "data_tidak_lengkap"
    page.console_log.assert_clean()
