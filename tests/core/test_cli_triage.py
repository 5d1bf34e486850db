"""`aduan triage train` and `aduan triage evaluate`."""

from __future__ import annotations

import re

from sqlmodel import select
from typer.testing import CliRunner

from core.entry.cli import app
from models import TriageModel
from tests.factories import seeded
from tests.triage_factories import labelled_history

runner = CliRunner()


def test_train_and_evaluate_from_the_command_line(settings, session, monkeypatch):
    seeded(session)
    labelled_history(session, per_topic=3)
    few = runner.invoke(app, ["triage", "train"])
    assert few.exit_code == 0, few.output
    assert few.output.strip() == ("no new model: belum cukup data: 12 labelled complaints, "
                                  "ADUAN_TRIAGE_MIN_EXAMPLES is 50")
    short = runner.invoke(app, ["triage", "evaluate"])
    assert short.exit_code == 1 and short.output.startswith("belum cukup data: 12 labelled complaints")

    labelled_history(session, per_topic=12, prefix="more")  # 12 + 48 = 60
    trained = runner.invoke(app, ["triage", "train"])
    assert trained.exit_code == 0, trained.output
    assert re.match(r"model version 1: 60 labelled complaints \(60 with a category, 60 with an OPD\), "
                    r"trained in \d+,\d s\n", trained.output), trained.output
    assert session.exec(select(TriageModel.version)).all() == [1]

    monkeypatch.setenv("ADUAN_TRIAGE_MIN_EXAMPLES", "20")  # so the older 80 % (48) is enough to train on
    from core.runtime.settings import get_settings
    get_settings.cache_clear()
    evaluated = runner.invoke(app, ["triage", "evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    lines = evaluated.output.splitlines()
    assert lines[0].startswith("labelled complaints: 60 (train: oldest 48, test: newest 12, from ")
    assert re.match(r"category top-1 +100,0 % +top-3 +100,0 % +\(48 trained on, 12 tested\)", lines[1]), lines
    assert re.match(r"OPD +top-1 +100,0 % +top-3 +100,0 % +\(48 trained on, 12 tested\)", lines[2]), lines
    assert lines[3].startswith("trained in ")
    assert session.exec(select(TriageModel.version)).all() == [1]  # evaluating stores nothing
