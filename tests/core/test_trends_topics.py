"""Topics recover the planted themes of a labelled set of Indonesian complaints; text normalisation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sklearn.metrics import adjusted_rand_score
from sqlmodel import select

from core.trends.model import fit_topics
from core.trends.queries import topics_view
from core.trends.text import normalise, tokens
from core.trends.topics import compute_topics
from models import TrendTopic, TrendTopicMember
from tests.factories import seeded
from tests.trends_factories import add

FIXTURE = Path(__file__).parent / "fixtures" / "trends_labelled.json"
MONDAY = date(2026, 11, 23)


def purity(truth: list[str], found: list[int]) -> float:
    total = 0
    for topic in set(found):
        total += Counter(t for t, f in zip(truth, found, strict=True) if f == topic).most_common(1)[0][1]
    return total / len(truth)


def test_whatsapp_text_is_normalised():
    text = "Selamat pagi min 🙏 jln di ds Sumberjo gk diperbaiki2 sdh 3 bln!!! hub 081234567890 https://bit.ly/x"
    assert tokens(text) == ["jalan", "sumberjo", "diperbaiki", "hub"]
    assert normalise("Lampu2 PJU mati, yg dgn tiang miring") == "lampu lampu mati tiang miring"


def test_topics_recover_the_planted_themes(session, settings):
    seeded(session)
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["complaints"]
    ids = {}
    for i, row in enumerate(rows):
        (complaint,) = add(session, 1, MONDAY + timedelta(days=i % 7), title=row["text"][:300], channel=row["channel"])
        ids[complaint.id] = row["theme"]
    settings = settings.model_copy(update={"trends_topics": 6, "trends_min_topic_size": 1})
    result = compute_topics(session, settings, "week", MONDAY)
    session.commit()
    members = session.exec(select(TrendTopicMember.complaint_id, TrendTopicMember.topic_id)).all()
    found = dict(members)
    truth = [ids[cid] for cid in sorted(ids)]
    assigned = [found.get(cid, -1) for cid in sorted(ids)]
    ari, pure = adjusted_rand_score(truth, assigned), purity(truth, assigned)
    labels = [t.label for t in session.exec(select(TrendTopic).order_by(TrendTopic.rank)).all()]
    print(f"\n{result}: adjusted Rand index {ari:.3f}, purity {pure:.3f}; topics: {labels}")
    assert ari >= 0.6 and pure >= 0.8
    default = fit_topics([r["text"] for r in rows], 10)  # ADUAN_TRENDS_TOPICS' default: themes split in two
    themes = [r["theme"] for r in rows]
    print(f"with 10 topics: adjusted Rand index {adjusted_rand_score(themes, default.assignment):.3f}")
    assert any("banjir" in label for label in labels) and any("lampu" in label for label in labels)

    view = topics_view(session, settings, period="week", end=MONDAY)
    assert view["computed_at"] is not None and sum(t["count"] for t in view["topics"]) == len(rows)
    top = view["topics"][0]
    assert len(top["series"]) == 7 and sum(d["count"] for d in top["series"]) == top["count"]
    assert top["examples"] and top["previous_count"] == 0 and top["trend_ratio"] is None


def test_a_copy_paste_campaign_is_one_topic_not_several_with_the_same_words():
    # Two texts sent 30 times each: asked for 12 topics, the model finds the two there are, and every copy of a
    # text sits in the same one (split over look-alike topics, a copy could fall into one too small to keep).
    lampu, sampah = "Lampu PJU mati di jalan desa, malam gelap", "Sampah di TPS pasar tidak diangkut, bau menyengat"
    model = fit_topics([lampu, sampah] * 30, 12)
    assert len(model.keywords) == 2
    assert len(set(model.assignment[0::2])) == 1 and len(set(model.assignment[1::2])) == 1
    assert model.assignment[0] != model.assignment[1]
