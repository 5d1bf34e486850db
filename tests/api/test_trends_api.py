"""GET /api/v1/trends/*: shapes per the contract, scopes (opd_admin sees its own), viewer without examples,
rahasia text never an example, issues from merged duplicates, 422 naming the field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.trends.job import run_trends
from tests.trends_factories import add, at

API = "/api/v1/trends"
TODAY = date(2026, 11, 30)  # Monday


@pytest.fixture
def trends(client, session, settings):
    for back in range(0, 14):
        day = TODAY - timedelta(days=back)
        add(session, 4 if back == 0 else 2, day, title="Lampu PJU mati di jalan desa, malam gelap",
            category="INFRA-PJU", opd="DISHUB", kecamatan="Wlingi")
        add(session, 4 if back == 0 else 2, day, title="Sampah menumpuk di TPS pasar tidak diangkut, bau menyengat",
            category="LINGKUNGAN-SAMPAH", opd="DLH", kecamatan="Talun", channel="whatsapp")
    add(session, 3, TODAY, title="Lampu PJU mati di depan rumah pejabat, laporan rahasia oknum", rahasia=True,
        category="INFRA-PJU", opd="DISHUB", kecamatan="Wlingi")
    parent, *children = add(session, 4, TODAY, title="Banjir di Kanigoro, gorong-gorong tersumbat",
                            category="BENCANA", opd="BPBD", kecamatan="Kanigoro", channel="whatsapp")
    for i, child in enumerate(children):
        child.parent_id, child.channel = parent.id, ("lapor", "call112", "whatsapp")[i]
        child.reporter_contact = f"08123456780{i}"
        session.add(child)
    session.commit()
    run_trends(session, settings, now=at(TODAY, 15))
    return parent


def get(client, path, headers, **params):
    r = client.get(f"{API}/{path}", headers=headers, params={"end": TODAY.isoformat(), **params}
                   if path == "topics" else params)
    assert r.status_code == 200, r.text
    return r.json()


def test_topics_shape_scope_and_examples(client, key_for, trends):
    analyst = get(client, "topics", key_for("analyst"))
    assert analyst["period"] == "week" and analyst["start"] == "2026-11-30" and analyst["end"] == "2026-12-06"
    assert analyst["computed_at"] and analyst["method"]
    topic = analyst["topics"][0]
    assert {"id", "label", "keywords", "count", "previous_count", "trend_ratio", "top_kecamatan", "top_opd",
            "channels", "examples", "series", "complaint_filter"} <= set(topic)
    texts = [e["text"] for t in analyst["topics"] for e in t["examples"]]
    assert texts and not any("rahasia" in text for text in texts)
    assert not any("rahasia" in t["label"] or "oknum" in t["label"] for t in analyst["topics"])  # never a label
    lampu = next(t for t in analyst["topics"] if "lampu" in t["label"])
    assert lampu["count"] == 7  # the 3 rahasia reports are counted in the topic the others made

    own = get(client, "topics", key_for("opd_admin", "DLH"))
    assert own["topics"] and all(o["code"] == "DLH" for t in own["topics"] for o in t["top_opd"])
    assert sum(t["count"] for t in own["topics"]) == 4

    viewer = get(client, "topics", key_for("viewer"))
    assert viewer["topics"] and all(t["examples"] == [] for t in viewer["topics"])

    month = get(client, "topics", key_for("analyst"), period="month")
    assert month["start"] == "2026-11-01" and month["end"] == "2026-11-30"


def test_spikes_and_issues(client, key_for, trends):
    spikes = get(client, "spikes", key_for("analyst"))
    assert set(spikes) == {"computed_at", "method", "spikes"}
    issues = get(client, "issues", key_for("viewer"))["issues"]
    assert issues[0]["tracking_code"] == trends.tracking_code and issues[0]["count"] == 4
    assert issues[0]["reporters"] == 4 and {c["channel"] for c in issues[0]["channels"]} == {
        "whatsapp", "lapor", "call112"}
    assert get(client, "issues", key_for("opd_admin", "DLH"))["issues"] == []


@pytest.mark.parametrize(("path", "params", "field"), [
    ("topics", {"period": "year"}, "period"), ("topics", {"end": "30-11-2026"}, "end"),
    ("topics", {"end": "0001-01-01"}, "end"), ("spikes", {"window": "hour"}, "window"),
    ("spikes", {"limit": "0"}, "limit"), ("issues", {"kecamatan": "x", "opd": "NOPE"}, "opd"),
])
def test_bad_input_names_the_field(client, key_for, path, params, field):
    r = client.get(f"{API}/{path}", headers=key_for("analyst"), params=params)
    assert r.status_code == 422 and field in str(r.json()["detail"][0]["loc"]), r.text
