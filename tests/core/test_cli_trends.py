"""`aduan trends compute`: the worker's trends job, now, with what it found."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from typer.testing import CliRunner

from core.entry.cli import app
from models import TrendRun
from models.types import utcnow
from tests.factories import seeded
from tests.trends_factories import WIB, add

runner = CliRunner()


def test_trends_compute_from_the_command_line(settings, session):
    seeded(session)
    today = utcnow().astimezone(WIB).date()
    for back in range(0, 3):
        add(session, 4, today - timedelta(days=back), title="Sampah menumpuk di TPS pasar, bau menyengat",
            category="LINGKUNGAN-SAMPAH", opd="DLH", kecamatan="Talun", hour=0)
        add(session, 4, today - timedelta(days=back), title="Lampu PJU mati di jalan desa, malam gelap",
            category="INFRA-PJU", opd="DISHUB", kecamatan="Wlingi", hour=0)
    result = runner.invoke(app, ["trends", "compute"])
    assert result.exit_code == 0, result.output
    assert "2 topics of 24 complaints" in result.output
    lines = [line for line in result.output.splitlines() if line.strip().startswith("topic ")]
    assert len(lines) == 2 and any("sampah" in line for line in lines) and any("lampu" in line for line in lines)
    assert {r.period for r in session.exec(select(TrendRun)).all()} == {"week", "month"}
