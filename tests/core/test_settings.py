import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.runtime.settings import SettingsError, load_settings

AD = Path(sys.executable).with_name("aduan")


def test_defaults_are_sqlite_and_jakarta(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ADUAN_DATABASE_URL", raising=False)
    s = load_settings()
    assert s.database_url == "sqlite:///./aduan.db"
    assert str(s.tz) == "Asia/Jakarta"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ADUAN_DATABASE_URL": "not a url"}, "ADUAN_DATABASE_URL: cannot parse database URL"),
        ({"ADUAN_DATABASE_URL": "mysql://x@y/z"}, "ADUAN_DATABASE_URL: unsupported database 'mysql'"),
        ({"ADUAN_TIMEZONE": "Asia/Atlantis"}, "ADUAN_TIMEZONE: unknown timezone 'Asia/Atlantis'"),
    ],
)
def test_bad_settings_stop_the_cli_with_one_line(env, expected, tmp_path):
    result = subprocess.run(
        [str(AD), "db", "upgrade"], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, **env}, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_load_settings_raises_settings_error(monkeypatch):
    monkeypatch.setenv("ADUAN_TIMEZONE", "Nowhere/City")
    with pytest.raises(SettingsError, match="unknown timezone"):
        load_settings()
