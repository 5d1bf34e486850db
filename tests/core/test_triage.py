"""core.triage: what the suggestions learn from, what they suggest, versions, the time split, the nightly retrain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core.casework.workflow import Action, apply_action
from core.entry.worker import NightlyRetrain
from core.reference.calendar import calendar_for
from core.triage import model
from core.triage.evaluate import evaluate, time_split
from core.triage.learn import load_examples
from core.triage.suggest import NOT_ENOUGH, suggest
from core.triage.text import normalise, tokens
from models import Status, TriageModel
from tests.factories import MONDAY, add_complaint, seeded
from tests.triage_factories import labelled_history


@pytest.fixture
def history(session, settings):
    seeded(session)
    return labelled_history(session)


def test_whatsapp_text_is_normalised_to_what_agencies_write():
    text = ("Slmt pagi pak, jln di dpn rmh sy rusak gk diperbaiki2, sdh 3 bln blm ada yg dtg. "
            "Hub 0812-3456-7890 / https://maps.app.goo.gl/xyz, krn bahaya utk anak2")
    words = tokens(text)
    assert words[:4] == ["slmt", "pak", "jalan", "dpn"]
    assert "tidak" in words and "rumah" in words and "bulan" in words
    # function words, numbers, phone numbers and links are gone; the chat forms of function words too
    assert not {"di", "sy", "saya", "yg", "yang", "sdh", "sudah", "krn", "utk", "3", "0812", "https"} & set(words)
    assert "diperbaiki" in words and "anak" in words  # "…2" reduplication read as the word
    assert normalise("KTP-el BELUM dicetak!!") == "ktp-el dicetak"
    assert normalise("") == "" and normalise(None) == ""
    assert "bu" in tokens("Mohon bantuannya bu")


def test_clear_texts_get_the_right_category_and_opd_first(history, session, settings):
    result = model.train(session, settings)
    assert result.version == 1 and result.examples == 60 and result.counts == {"category": 60, "opd": 60}
    cases = {"jln depan rmh sy rusak parah, byk lubang, motor jatuh": ("INFRA-JALAN", "DPUPR"),
             "ktp el sy blm jadi2 udh 2 bln": ("ADMINDUK-KTP", "DISDUKCAPIL"),
             "air pdam gk ngalir dr kmrn": ("AIR", "PDAM"),
             "sampah numpuk gk diangkut, bau bgt": ("LINGKUNGAN-SAMPAH", "DLH")}
    for text, (category, opd) in cases.items():
        got = suggest(session, settings, text, "Kanigoro")
        assert got["message"] is None
        assert [c["code"] for c in got["categories"]][0] == category, (text, got["categories"])
        assert [o["code"] for o in got["opds"]][0] == opd, (text, got["opds"])
        for items in (got["categories"], got["opds"]):
            assert 1 <= len(items) <= 3
            scores = [i["score"] for i in items]
            assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert (got["model"]["version"], got["model"]["examples"]) == (1, 60)
    names = suggest(session, settings, "Air PDAM mati", None)
    assert names["categories"][0]["name"] == "Air bersih (PDAM)"
    assert names["opds"][0]["name"] == "Perumda Air Minum Tirta Penataran"


def test_below_the_minimum_it_says_belum_cukup_data(session, settings):
    seeded(session)
    labelled_history(session, per_topic=3)  # 12 labelled complaints, minimum 50
    result = model.train(session, settings)
    assert result.version is None and result.skipped.startswith("belum cukup data")
    assert session.exec(select(TriageModel)).first() is None
    assert suggest(session, settings, "jalan rusak", None) == {"categories": [], "opds": [], "model": None,
                                                               "message": NOT_ENOUGH}
    lower = settings.model_copy(update={"triage_min_examples": 10})
    assert model.train(session, lower).version == 1
    assert suggest(session, lower, "jalan rusak", None)["categories"]
    # A model trained on fewer labels than the minimum now asks for is not shown either.
    assert suggest(session, settings, "jalan rusak", None)["message"] == NOT_ENOUGH


def test_versions_increase_and_the_newest_is_used(history, session, settings):
    first = model.train(session, settings, measure=False)
    assert first.version == 1 and first.evaluation is None
    assert suggest(session, settings, "air pdam mati", None)["model"]["version"] == 1
    same = model.train(session, settings, only_if_new=True)
    assert same.version is None and same.skipped == "no new labels since the newest version"
    # A person dispatches a WhatsApp complaint: a new label, so a new version, picked up at once.
    wa = add_complaint(session, "whatsapp", "w1", title="jalan rusak lagi", body="", category_code=None,
                       received_at=MONDAY + timedelta(days=5))
    apply_action(session, wa, Action.dispatch, "Admin", calendar_for(settings), opd_code="DPUPR",
                 category_code="INFRA-JALAN", settings=settings)
    session.commit()
    second = model.train(session, settings, only_if_new=True)
    assert second.version == 2 and second.examples == 61
    info = session.exec(select(TriageModel.info).where(TriageModel.version == 2)).one()
    assert info["evaluation"]["category"]["test"] > 0 and info["sklearn"] and info["blob_bytes"] > 0
    newest = suggest(session, settings, "air pdam mati", None)["model"]
    assert (newest["version"], newest["examples"]) == (2, 61)
    # Only the last versions are kept.
    for _ in range(model.KEEP_VERSIONS):
        model.train(session, settings, measure=False)
    versions = session.exec(select(TriageModel.version).order_by(TriageModel.version)).all()
    assert versions == list(range(3, 3 + model.KEEP_VERSIONS))


def test_labels_come_from_lapor_and_from_what_people_decided_here(session, settings):
    seeded(session)
    calendar = calendar_for(settings)
    lapor_open = add_complaint(session, "lapor", "L1", title="Jalan rusak", category_code="INFRA-JALAN")
    lapor_disposed = add_complaint(session, "lapor", "L2", title="Air mati", category_code="AIR", opd_code="PDAM",
                                   status=Status.dispatched, dispatched_at=MONDAY + timedelta(hours=3))
    walk_in = add_complaint(session, "manual", "M1", title="Sampah menumpuk", category_code="LINGKUNGAN-SAMPAH")
    wa_waiting = add_complaint(session, "whatsapp", "W1", title="ktp blm jadi", category_code=None)
    wa_dispatched = add_complaint(session, "whatsapp", "W2", title="jln rusak", category_code=None)
    apply_action(session, wa_dispatched, Action.dispatch, "Admin", calendar, opd_code="DPUPR", settings=settings)
    wa_categorised = add_complaint(session, "whatsapp", "W3", title="pdam mati", category_code=None)
    apply_action(session, wa_categorised, Action.categorize, "Petugas", calendar, category_code="AIR",
                 settings=settings)
    cad = add_complaint(session, "call112", "C1", title="Kebakaran rumah", category_code="KEBAKARAN",
                        opd_code="DAMKAR", status=Status.dispatched, dispatched_at=MONDAY)
    session.commit()
    labels = {e.complaint_id: (e.category, e.opd) for e in load_examples(session)}
    assert labels == {lapor_open.id: ("INFRA-JALAN", None),  # an OPD filled in from the category is no one's choice
                      lapor_disposed.id: ("AIR", "PDAM"),
                      walk_in.id: ("LINGKUNGAN-SAMPAH", None),
                      wa_dispatched.id: (None, "DPUPR"),
                      wa_categorised.id: ("AIR", None)}
    assert wa_waiting.id not in labels and cad.id not in labels  # the CAD's labels are not ours


def test_evaluate_trains_on_the_older_and_tests_on_the_newest(history, session, settings):
    examples = load_examples(session)
    train, test = time_split(examples)
    assert (len(train), len(test)) == (48, 12)
    assert max(e.at for e in train) < min(e.at for e in test)
    result = evaluate(examples, min_examples=20)
    assert (result.train_examples, result.test_examples) == (48, 12)
    assert result.split_at == min(e.at for e in test).isoformat()
    for target in ("category", "opd"):
        score = result.scores[target]
        assert (score.train, score.test) == (48, 12)
        assert score.top1 == 1.0 and score.top3 == 1.0  # four clear topics
    # Below the minimum on the older part nothing is trained, so nothing is scored.
    assert evaluate(examples, min_examples=50).scores["category"].top1 is None


def test_the_worker_retrains_once_a_night_when_labels_changed(history, engine, session, settings):
    job = NightlyRetrain(engine, settings)  # ADUAN_TRIAGE_RETRAIN_HOUR = 2 (local)
    day = datetime(2026, 12, 7, 5, tzinfo=UTC)  # 12:00 WIB
    assert job(now=day) == "model version 1 from 60 labelled complaints"  # no model yet: at once
    assert job(now=day + timedelta(hours=3)) is None  # done today
    next_night = datetime(2026, 12, 7, 20, tzinfo=UTC)  # 03:00 WIB on the 8th
    assert job(now=next_night - timedelta(hours=2)) is None  # 01:00 WIB: not yet
    assert job(now=next_night) == "not retrained: no new labels since the newest version"
    add_complaint(session, "lapor", "new-1", title="Air PDAM mati lagi", category_code="AIR", opd_code="PDAM",
                  status=Status.dispatched, dispatched_at=MONDAY + timedelta(days=9),
                  received_at=MONDAY + timedelta(days=9))
    assert job(now=next_night + timedelta(hours=1)) is None  # once a night
    assert job(now=next_night + timedelta(days=1)) == "model version 2 from 61 labelled complaints"
    # A version trained by hand after tonight's hour counts as tonight's.
    fresh = NightlyRetrain(engine, settings)
    assert fresh(now=next_night + timedelta(days=1, hours=2)) is None
