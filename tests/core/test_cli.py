import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

import models
from core.runtime.db import make_engine

AD = str(Path(sys.executable).with_name("aduan"))


def test_db_upgrade_creates_the_schema(db_url, tmp_path):
    # Start from an empty database: drop what the fixture migrated, then let the CLI build it.
    from core.runtime import migrate

    migrate.downgrade(db_url, "base")
    result = subprocess.run([AD, "db", "upgrade"], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "ADUAN_DATABASE_URL": db_url}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "schema at" in result.stdout
    engine = make_engine(db_url)
    assert set(models.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_db_upgrade_reports_unreachable_database_in_one_line(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = subprocess.run([AD, "db", "upgrade"], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "ADUAN_DATABASE_URL": url}, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("aduan: migration failed")
    assert "Traceback" not in result.stderr


def test_db_seed_loads_reference_data_once(db_url, tmp_path):
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url}
    first = subprocess.run([AD, "db", "seed"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("reference data: 40 OPD, 34 categories")
    again = subprocess.run([AD, "db", "seed"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert again.stdout == first.stdout


def test_demo_on_an_unreachable_database_says_so_in_one_line(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/aduan_no_such_db"
    result = subprocess.run([AD, "demo", "--no-serve"], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "ADUAN_DATABASE_URL": url}, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("aduan: migration failed") and "Traceback" not in result.stderr
