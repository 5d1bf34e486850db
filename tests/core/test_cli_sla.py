import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.factories import add_complaint, seeded

AD = str(Path(sys.executable).with_name("aduan"))


def aduan(db_url, *args):
    return subprocess.run([AD, "sla", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ADUAN_DATABASE_URL": db_url})


def test_sweep_and_status_from_the_command_line(db_url, session):
    seeded(session)
    add_complaint(session, external_id="C1", received_at=datetime(2025, 5, 9, 9, tzinfo=UTC))
    swept = aduan(db_url, "sweep", "--at", "2025-05-15T08:00")
    assert swept.returncode == 0, swept.stderr
    assert swept.stdout.startswith("2 ladder steps fired") and "1 letters" in swept.stdout
    again = aduan(db_url, "sweep", "--at", "2025-05-15T09:00")
    assert again.stdout.startswith("0 ladder steps fired")
    status = aduan(db_url, "status")
    assert "whatsapp sender: unconfigured" in status.stdout
    bad = aduan(db_url, "sweep", "--at", "kemarin")
    assert bad.returncode == 2 and "--at is not an ISO date/time" in bad.stderr
