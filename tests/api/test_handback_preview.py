"""Before downloading the LAPOR! hand-back, how many complaints it would hand back and how many an earlier
download handed back already; the preview itself records nothing."""

from datetime import UTC, datetime

from tests.factories import add_complaint

PREVIEW = "/api/v1/lapor-manual/preview"
HANDBACK = "/api/v1/export/lapor-manual.xlsx"


def test_the_preview_counts_what_the_download_would_hand_back(client, session, key_for):
    for i in range(130):
        add_complaint(session, "whatsapp", f"62811{i:07d}:wamid.{i}", title=f"Aduan WhatsApp {i}",
                      received_at=datetime(2026, 11, 2, 1, i % 60, tzinfo=UTC))
    add_complaint(session, "call112", "cad-1", title="PJU mati", received_at=datetime(2026, 11, 20, 1, tzinfo=UTC))
    add_complaint(session, "lapor", "LPR-1", title="Sudah di LAPOR!")
    admin = key_for("admin")

    assert client.get(PREVIEW, headers=admin).json() == {"rows": 131, "batches": 2, "already_handed_back": 0}
    whatsapp = {"channel": "whatsapp"}
    assert client.get(PREVIEW, params=whatsapp, headers=admin).json() == {"rows": 130, "batches": 2,
                                                                            "already_handed_back": 0}
    assert client.get(PREVIEW, params=whatsapp, headers=admin).json()["rows"] == 130  # reading records nothing

    first = client.get(HANDBACK, params=whatsapp, headers=admin)
    assert first.headers["x-total-rows"] == "130"
    assert client.get(PREVIEW, params=whatsapp, headers=admin).json() == {"rows": 0, "batches": 1,
                                                                            "already_handed_back": 130}
    assert client.get(PREVIEW, params={**whatsapp, "include_handed_back": "true"}, headers=admin).json() == {
        "rows": 130, "batches": 2, "already_handed_back": 130}
    assert client.get(PREVIEW, headers=admin).json() == {"rows": 1, "batches": 1, "already_handed_back": 130}
    november_20 = {"received_from": "2026-11-20", "received_to": "2026-11-20"}
    assert client.get(PREVIEW, params=november_20, headers=admin).json() == {"rows": 1, "batches": 1,
                                                                             "already_handed_back": 0}


def test_the_preview_keeps_the_download_s_rules(client, session, key_for):
    add_complaint(session, "whatsapp", "1:a", category_code="INFRA-JALAN")
    add_complaint(session, "whatsapp", "2:b", category_code="ADMINDUK-KTP")
    assert client.get(PREVIEW, headers=key_for("opd_admin", "DISDUKCAPIL")).json()["rows"] == 1
    assert client.get(PREVIEW, headers=key_for("viewer")).status_code == 403
    refused = client.get(PREVIEW, params={"channel": "lapor"}, headers=key_for("admin"))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "channel"]
    bad_date = client.get(PREVIEW, params={"received_from": "kemarin"}, headers=key_for("admin"))
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"][-1] == "received_from"
