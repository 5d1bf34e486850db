"""The candidate ranker (core.triage.candidates): complaint or not, for social comments the desk has to decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core.casework.workflow import Action, apply_action
from core.reference.calendar import calendar_for
from core.triage import candidates, model
from models import Status, TriageModel
from models.enums import Classification
from tests.factories import add_complaint, seeded
from tests.triage_factories import labelled_history

START = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
# Not in the seed list, the emulators or the benchmark's held-out set.
COMPLAINTS = ("tolong pak, jalan di depan balai desa berlubang besar dan sering bikin motor jatuh",
              "sampah di pinggir sungai dekat pasar sudah menggunung, baunya sampai ke sekolah",
              "lampu penerangan di gang kami mati sebulan, malam gelap sekali dan rawan maling")
OTHERS = ("terima kasih pemkab, acaranya keren sekali 👍", "kapan pendaftaran beasiswa dibuka min?",
          "hadir nyimak dari rumah")
PRAISE = ("Luar biasa, semoga terus maju", "Terima kasih pak, sehat selalu", "Mantap sekali videonya",
          "Bagus min lanjutkan", "Keren, bangga jadi warga sini", "Sukses terus untuk semua petugas")
SOCIAL_COMPLAINTS = ("Jalan di dusun kami rusak parah, mohon diperbaiki",
                     "Air sumur warga tercemar limbah, tolong dicek",
                     "Lampu jalan mati sudah dua minggu, gelap sekali",
                     "Pungli di kantor desa waktu urus surat, mohon ditindak")


def test_the_seed_alone_tells_complaints_from_praise_questions_and_noise():
    ranker = candidates.fit([])
    scores = ranker.scores(list(COMPLAINTS + OTHERS))
    assert min(scores[:3]) > max(scores[3:])
    assert all(s >= candidates.THRESHOLD for s in scores[:3]) and all(s < candidates.THRESHOLD for s in scores[3:])
    assert ranker.calibrated_on == len(candidates.SEED_COMPLAINTS) + len(candidates.SEED_OTHERS)
    assert 0.2 < ranker.base_rate < 0.35  # a realistic share of complaints among comments


def test_word_view_keeps_what_tells_a_complaint_from_a_question():
    words = candidates.word_view("Tlg min, jln rusak gk diperbaiki?")
    assert words == "tolong min jalan rusak tidak diperbaiki xtanyax"
    assert candidates.char_view("Hub 0812-3456-7890 atau https://x.id, 3 hari") == "hub   atau   0 hari"


def test_measure_counts_precision_recall_and_the_ranking():
    m = candidates.measure([0.9, 0.8, 0.6, 0.4, 0.2, 0.1], [True, True, False, True, False, False])
    assert (m.n, m.complaints) == (6, 3)
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3) and m.f1 == pytest.approx(2 / 3)
    assert 0.8 < m.average_precision < 1 and m.predicted_share == pytest.approx(0.5)
    assert candidates.measure([0.1, 0.2], [False, False]).precision is None


def _candidates_decided(session, settings):
    """Social comments the desk decided (some accepted, most turned down) and a few still waiting."""
    calendar = calendar_for(settings)
    made = {}
    for i, text in enumerate(SOCIAL_COMPLAINTS * 5):
        c = add_complaint(session, "youtube", f"yc{i}", title=text, body=text, category_code=None,
                          classification=Classification.kandidat, received_at=START + timedelta(hours=5 * i))
        apply_action(session, c, Action.dispatch, "Admin", calendar, opd_code="DPUPR", now=c.received_at +
                     timedelta(hours=1), settings=settings)
        made[c.external_id] = c
    for i, text in enumerate(PRAISE * 5):
        c = add_complaint(session, "youtube", f"yn{i}", title=text, body=text, category_code=None,
                          classification=Classification.kandidat, received_at=START + timedelta(hours=3 * i + 1))
        apply_action(session, c, Action.reject, "Admin", calendar, reason="spam" if i % 7 == 0 else
                     "tidak_substantif", now=c.received_at + timedelta(hours=1), settings=settings)
        made[c.external_id] = c
    waiting = add_complaint(session, "youtube", "yw", title="Hadir min", body="Hadir min", category_code=None,
                            classification=Classification.kandidat)
    session.commit()
    return made, waiting


def test_verify_or_dispatch_accepts_a_candidate_as_a_complaint_and_reject_does_not(session, settings):
    seeded(session)
    calendar = calendar_for(settings)
    verified = add_complaint(session, "youtube", "v1", classification=Classification.kandidat)
    rejected = add_complaint(session, "youtube", "v2", classification=Classification.kandidat)
    apply_action(session, verified, Action.verify, "Admin", calendar, settings=settings)
    event = apply_action(session, rejected, Action.reject, "Admin", calendar, reason="tidak_substantif",
                         settings=settings)
    session.commit()
    assert verified.classification == Classification.pengaduan and verified.status == Status.verified
    assert rejected.classification == Classification.kandidat and event.data == {"action": "reject",
                                                                                 "reason": "tidak_substantif"}
    aspirasi = add_complaint(session, "lapor", "a1", classification=Classification.aspirasi)
    apply_action(session, aspirasi, Action.verify, "Admin", calendar, settings=settings)
    assert aspirasi.classification == Classification.aspirasi  # only a candidate changes


def test_labels_are_what_was_taken_up_and_what_the_desk_turned_down(session, settings):
    seeded(session)
    made, waiting = _candidates_decided(session, settings)
    lapor = add_complaint(session, "lapor", "L1", status=Status.dispatched, title="Jalan rusak di Desa Gogodeso")
    add_complaint(session, "lapor", "L2", status=Status.unverified)  # nobody took it up yet
    calendar = calendar_for(settings)
    other = add_complaint(session, "whatsapp", "W1", classification=Classification.pengaduan)
    apply_action(session, other, Action.reject, "Admin", calendar, reason="bukan_wewenang", settings=settings)
    session.commit()
    labelled = candidates.load_labelled(session)
    by_id = {e.complaint_id: e for e in labelled}
    assert waiting.id not in by_id and other.id not in by_id
    assert by_id[lapor.id].complaint and not by_id[lapor.id].candidate_channel
    assert by_id[lapor.id].title == "Jalan rusak di Desa Gogodeso"
    assert all(by_id[c.id].complaint == c.external_id.startswith("yc") and by_id[c.id].candidate_channel
               for c in made.values())
    assert len(labelled) == len(made) + 1
    assert [e.at for e in labelled] == sorted(e.at for e in labelled)


def test_a_stored_version_sits_beside_the_suggesters_without_touching_their_versions(session, settings):
    seeded(session)
    labelled_history(session)
    _candidates_decided(session, settings)
    assert model.train(session, settings, measure=False).version == 1
    result = candidates.train(session, settings)
    assert result.version == 2 and result.complaints == 20 + 60 and result.not_complaints == 30
    info = result.info
    assert info["kind"] == "candidate" and info["fingerprint"]
    assert info["calibrated_on"] == 50 + len(candidates.seed_examples())
    assert info["evaluation"]["scope"] == "kandidat" and info["evaluation"]["test"] == 10
    assert 0 <= info["evaluation"]["precision"] <= 1 and 0 <= info["evaluation"]["recall"] <= 1
    # The suggesters still see their own newest version; a retrain takes the next number.
    assert model.newest(session).version == 1 and candidates.newest(session).version == 2
    assert model.train(session, settings, measure=False).version == 3
    assert model.load_newest(session).header.version == 3
    assert candidates.load(session).header.version == 2
    assert candidates.train(session, settings, only_if_new=True).skipped == "no new decisions since the newest version"
    # Each keeps its own last versions.
    for _ in range(candidates.KEEP_VERSIONS + 1):
        candidates.train(session, settings, evaluate_first=False)
    kinds = session.exec(select(TriageModel.version, TriageModel.info)).all()
    triage = sorted(v for v, info in kinds if (info or {}).get("kind") != "candidate")
    ranker = sorted(v for v, info in kinds if (info or {}).get("kind") == "candidate")
    assert triage == [1, 3] and len(ranker) == candidates.KEEP_VERSIONS and ranker[-1] == 3 + 11


def test_scores_rank_the_waiting_candidates_and_are_cached(session, settings):
    seeded(session)
    _candidates_decided(session, settings)
    candidates.train(session, settings, evaluate_first=False)
    fresh = [add_complaint(session, "youtube", f"n{i}", title=t, body=t, category_code=None,
                           classification=Classification.kandidat) for i, t in enumerate(COMPLAINTS + OTHERS)]
    lapor = add_complaint(session, "lapor", "L9")
    scores = candidates.scores_by_id(session, [c.id for c in fresh] + [lapor.id])
    assert lapor.id not in scores  # only candidates are scored
    values = [scores[c.id] for c in fresh]
    assert min(values[:3]) > max(values[3:])
    again = candidates.scores_by_id(session, [fresh[0].id])
    assert again[fresh[0].id] == values[0] and round(values[0], candidates.SCORE_DIGITS) == values[0]
    items = [{"id": c.id, "classification": c.classification} for c in fresh[:2] + [lapor]]
    candidates.attach_scores(session, items)
    assert [i["candidate_score"] for i in items] == [values[0], values[1], None]


def test_without_a_stored_version_the_seed_ranks_from_day_one(session, settings):
    seeded(session)
    c = add_complaint(session, "youtube", "x", title=COMPLAINTS[0], body=COMPLAINTS[0], category_code=None,
                      classification=Classification.kandidat)
    loaded = candidates.load(session)
    assert loaded.header is None and loaded.as_dict()["seed_only"]
    assert candidates.scores_by_id(session, [c.id])[c.id] >= candidates.THRESHOLD


def test_the_command_line_retrains_and_prints_precision_and_recall(session, settings):
    from typer.testing import CliRunner

    from core.entry.cli import app

    seeded(session)
    runner = CliRunner()
    empty = runner.invoke(app, ["triage", "candidates", "--no-store"])
    assert empty.exit_code == 0, empty.output
    assert empty.output.splitlines() == ["0 labelled complaints and candidates",
                                         "nothing to test on yet: no decided candidates or labelled complaints"]
    labelled_history(session)
    _candidates_decided(session, settings)
    done = runner.invoke(app, ["triage", "candidates"])
    assert done.exit_code == 0, done.output
    first, second = done.output.splitlines()
    assert first.startswith("candidate ranker version 1: 80 complaints, 30 rejected candidates (+ the seed list)")
    assert second.startswith("tested on the newest 10 decided candidates, ") and "precision" in second
    assert "recall" in second and "%" in second
    assert candidates.newest(session).version == 1 and model.newest(session) is None
