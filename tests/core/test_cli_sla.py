from datetime import UTC, datetime

from typer.testing import CliRunner

from core.entry.cli import app
from tests.factories import add_complaint, seeded

runner = CliRunner()


def test_sweep_and_status_from_the_command_line(settings, session):
    seeded(session)
    add_complaint(session, external_id="C1", received_at=datetime(2025, 5, 9, 9, tzinfo=UTC))
    swept = runner.invoke(app, ["sla", "sweep", "--at", "2025-05-15T08:00"])
    assert swept.exit_code == 0, swept.output
    assert swept.output.startswith("2 ladder steps fired") and "1 letters" in swept.output
    again = runner.invoke(app, ["sla", "sweep", "--at", "2025-05-15T09:00"])
    assert again.output.startswith("0 ladder steps fired")
    assert "whatsapp sender: unconfigured" in runner.invoke(app, ["sla", "status"]).output
    assert "not configured" in runner.invoke(app, ["sla", "send"]).output
    bad = runner.invoke(app, ["sla", "sweep", "--at", "kemarin"])
    assert bad.exit_code == 2 and "--at is not an ISO date/time" in bad.output
