import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from core.identity.keys import lookup
from core.identity.users import authenticate
from core.runtime.settings import get_settings
from models import AuditEntry
from tests.factories import seeded

AD = str(Path(sys.executable).with_name("aduan"))


def aduan(db_url, tmp_path, *args, stdin=None):
    return subprocess.run([AD, "users", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          input=stdin, env={**os.environ, "ADUAN_DATABASE_URL": db_url})


def test_add_list_disable_enable_and_passwd(session, db_url, tmp_path):
    seeded(session)
    made = aduan(db_url, tmp_path, "add", "sari", "--name", "Sari Wulandari", "--role", "opd_admin", "--opd",
                 "DPUPR", stdin="kuat-sekali-2026\nkuat-sekali-2026\n")  # prompted, hidden, confirmed
    assert made.returncode == 0, made.stderr
    assert authenticate(session, get_settings(), "sari", "kuat-sekali-2026").outcome == "ok"
    listed = aduan(db_url, tmp_path, "list").stdout
    assert "sari" in listed and "DPUPR" in listed and "active" in listed and "kuat-sekali" not in listed

    assert aduan(db_url, tmp_path, "disable", "sari").returncode == 0
    assert "disabled" in aduan(db_url, tmp_path, "list").stdout
    assert authenticate(session, get_settings(), "sari", "kuat-sekali-2026").outcome == "inactive"
    assert aduan(db_url, tmp_path, "enable", "sari").returncode == 0
    assert aduan(db_url, tmp_path, "passwd", "sari", "--password", "baru-lagi-2026").returncode == 0
    session.expire_all()
    assert authenticate(session, get_settings(), "sari", "baru-lagi-2026").outcome == "ok"

    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions == ["user.create", "user.update", "user.update", "user.update"]
    assert all(e.actor.startswith("cli:") for e in session.exec(select(AuditEntry)).all())


def test_bad_input_fails_with_one_line(session, db_url, tmp_path):
    seeded(session)
    weak = aduan(db_url, tmp_path, "add", "budi", "--name", "Budi", "--role", "viewer", "--password", "pendek")
    assert weak.returncode == 2 and "minimal" in weak.stderr and "Traceback" not in weak.stderr
    no_opd = aduan(db_url, tmp_path, "add", "budi", "--name", "Budi", "--role", "opd_admin",
                   "--password", "kuat-sekali-2026")
    assert no_opd.returncode == 2 and "opd" in no_opd.stderr
    missing = aduan(db_url, tmp_path, "disable", "nobody")
    assert missing.returncode == 1 and "no user" in missing.stderr


def test_display_token_is_a_read_only_key_that_expires(session, db_url, tmp_path):
    seeded(session)
    made = aduan(db_url, tmp_path, "display-token", "TV Pendopo", "--days", "90")
    assert made.returncode == 0, made.stderr
    key = lookup(session, made.stdout.strip())
    assert key.role == "viewer" and key.expires_at is not None and "/masuk/layar?token=" in made.stderr
