"""`candidate_score` of social candidates in the complaint list and detail, and the list sorted by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.casework.workflow import Action, apply_action
from core.reference.calendar import calendar_for
from models.enums import Classification
from tests.factories import add_complaint

TEXTS = ("tolong pak, jalan di depan balai desa berlubang besar dan sering bikin motor jatuh",
         "hadir nyimak dari rumah",
         "lampu penerangan di gang kami mati sebulan, malam gelap sekali dan rawan maling",
         "kapan pendaftaran beasiswa dibuka min?",
         "terima kasih pemkab, acaranya keren sekali 👍",
         "sampah di pinggir sungai dekat pasar sudah menggunung, baunya sampai ke sekolah",
         "Mantap")
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _candidates(session):
    return [add_complaint(session, "youtube", f"yt{i}", title=t, body=t, category_code=None,
                          classification=Classification.kandidat, received_at=AT + timedelta(minutes=i))
            for i, t in enumerate(TEXTS)]


def test_candidates_carry_their_score_and_other_complaints_none(client, session, key_for):
    made = _candidates(session)
    lapor = add_complaint(session, "lapor", "L1")
    headers = key_for("analyst")
    r = client.get("/api/v1/complaints", params={"limit": 50}, headers=headers)
    assert r.status_code == 200, r.text
    scores = {i["id"]: i["candidate_score"] for i in r.json()["items"]}
    assert scores[lapor.id] is None
    assert all(0 <= scores[c.id] <= 1 for c in made)
    assert scores[made[0].id] > 0.5 > scores[made[1].id]
    detail = client.get(f"/api/v1/complaints/{made[2].id}", headers=headers).json()
    assert detail["candidate_score"] == scores[made[2].id] and detail["classification"] == "kandidat"
    assert client.get(f"/api/v1/complaints/{lapor.id}", headers=headers).json()["candidate_score"] is None


def test_the_list_sorts_candidates_by_score_page_by_page(client, session, key_for):
    made = _candidates(session)
    headers = key_for("petugas")
    params = {"classification": "kandidat", "sort": "-candidate_score", "limit": 3}
    seen, cursor = [], None
    while True:
        r = client.get("/api/v1/complaints", params={**params, **({"cursor": cursor} if cursor else {})},
                       headers=headers)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(i["id"] for i in seen) == sorted(c.id for c in made)  # each once
    scores = [i["candidate_score"] for i in seen]
    assert scores == sorted(scores, reverse=True)
    complaints = {c.id for c in made if c.external_id in ("yt0", "yt2", "yt5")}
    assert {i["id"] for i in seen[:3]} == complaints  # the complaints first
    ascending = client.get("/api/v1/complaints", params={**params, "sort": "candidate_score", "limit": 50},
                           headers=headers).json()["items"]
    assert [i["id"] for i in ascending] == [i["id"] for i in seen][::-1]


def test_a_decided_candidate_leaves_the_ranked_list(client, session, settings, key_for):
    made = _candidates(session)
    apply_action(session, made[0], Action.dispatch, "Admin", calendar_for(settings), opd_code="DPUPR",
                 settings=settings)
    session.commit()
    r = client.get("/api/v1/complaints", params={"classification": "kandidat", "sort": "-candidate_score"},
                   headers=key_for("admin"))
    assert made[0].id not in {i["id"] for i in r.json()["items"]}
    accepted = client.get(f"/api/v1/complaints/{made[0].id}", headers=key_for("admin")).json()
    assert (accepted["classification"], accepted["candidate_score"]) == ("pengaduan", None)


def test_sorting_by_score_needs_the_candidate_filter_and_a_cursor_of_its_own(client, session, key_for):
    _candidates(session)
    headers = key_for("analyst")
    r = client.get("/api/v1/complaints", params={"sort": "-candidate_score"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "sort"]
    assert "kandidat" in r.json()["detail"][0]["msg"]
    r = client.get("/api/v1/complaints", params={"sort": "-candidate_score", "classification": ["kandidat",
                                                                                               "pengaduan"]},
                   headers=headers)
    assert r.status_code == 422
    first = client.get("/api/v1/complaints", params={"sort": "-received_at", "limit": 2}, headers=headers).json()
    r = client.get("/api/v1/complaints", params={"sort": "-candidate_score", "classification": "kandidat",
                                                 "cursor": first["next_cursor"]}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
    r = client.get("/api/v1/complaints", params={"sort": "-candidate_score", "classification": "kandidat",
                                                 "cursor": "bukan-cursor"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert client.get("/api/v1/complaints", params={"sort": "-skor"}, headers=headers).status_code == 422
