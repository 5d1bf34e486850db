"""GET /api/v1/briefing.pdf: the weekly briefing on demand, for analysts and admins; a bad week is a 422 naming it."""

import pytest


@pytest.mark.parametrize("week", ["2026-49", "2026-W60", "2025-W53", "W49", "2026-W4", "2999-W01", "1900-W02",
                                  "x" * 16])
def test_a_bad_or_impossible_week_is_refused_naming_it(client, key_for, week):
    r = client.get("/api/v1/briefing.pdf", params={"week": week}, headers=key_for("analyst"))
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["query", "week"]]


def test_analysts_and_admins_get_the_pdf_others_are_refused(client, key_for):
    for role in ("analyst", "admin"):
        r = client.get("/api/v1/briefing.pdf", params={"week": "2026-W45"}, headers=key_for(role))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
        assert 'filename="ringkasan-mingguan-2026-W45.pdf"' in r.headers["content-disposition"]
    assert client.get("/api/v1/briefing.pdf", headers=key_for("admin")).status_code == 200  # the last whole week
    for role, opd in (("viewer", None), ("petugas", None), ("opd_admin", "DPUPR")):
        assert client.get("/api/v1/briefing.pdf", headers=key_for(role, opd)).status_code == 403
    assert client.get("/api/v1/briefing.pdf").status_code == 401
