import os
import subprocess
import sys
from pathlib import Path

from core.identity.keys import lookup
from tests.factories import seeded

AD = str(Path(sys.executable).with_name("aduan"))


def aduan(db_url, tmp_path, *args):
    return subprocess.run([AD, "keys", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "ADUAN_DATABASE_URL": db_url})


def test_create_prints_the_secret_once_then_list_and_revoke(session, db_url, tmp_path):
    seeded(session)
    made = aduan(db_url, tmp_path, "create", "dinkes-admin", "--role", "opd_admin", "--opd", "DINKES")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("adu_") and "not shown again" in made.stderr
    assert lookup(session, secret).role == "opd_admin"

    listed = aduan(db_url, tmp_path, "list")
    assert "dinkes-admin" in listed.stdout and "DINKES" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout

    key_id = listed.stdout.splitlines()[1].split()[0]
    assert aduan(db_url, tmp_path, "revoke", key_id).returncode == 0
    session.expire_all()
    assert lookup(session, secret) is None
    assert "revoked" in aduan(db_url, tmp_path, "list").stdout


def test_bad_requests_fail_with_one_line(session, db_url, tmp_path):
    seeded(session)
    no_opd = aduan(db_url, tmp_path, "create", "x", "--role", "opd_admin")
    assert no_opd.returncode == 2 and "memerlukan OPD (--opd)" in no_opd.stderr
    unknown = aduan(db_url, tmp_path, "create", "x", "--role", "viewer", "--opd", "NOPE")
    assert unknown.returncode == 2 and "kode OPD tidak dikenal" in unknown.stderr
    assert aduan(db_url, tmp_path, "revoke", "999").returncode == 1
