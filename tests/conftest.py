"""Test database fixtures.

The suite runs once per backend: SQLite by default, PostgreSQL when ADUAN_TEST_DATABASE_URL
points at one (the Makefile does both). Each test gets a clean, fully migrated database:
a copy of a migrated SQLite file, or a PostgreSQL database whose tables are truncated.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

import models
from core.runtime import db as core_db
from core.runtime import migrate
from core.runtime import settings as core_settings
from tests.browser import browser, page  # noqa: F401  (browser fixtures for any test package)
from tests.mailserver import imap_proxy, mailserver  # noqa: F401  (a real Dovecot for the e-mail tests)
from tests.replica import streaming_pair  # noqa: F401  (a real primary + streaming standby)

TEST_URL = os.environ.get("ADUAN_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def backend_name() -> str:
    return make_url(TEST_URL).get_backend_name() if TEST_URL else "sqlite"


def _pg_admin_engine(url: str) -> Engine:
    return core_db.make_engine(url, isolation_level="AUTOCOMMIT", poolclass=None)


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory) -> Iterator[str]:
    if not TEST_URL:
        template = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{template}"
        migrate.upgrade(url)
        yield url
        return
    admin = _pg_admin_engine(TEST_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        message = f"PostgreSQL at {TEST_URL} is unreachable: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = f"aduan_t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(TEST_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    core_db.get_engine.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_TABLES = ", ".join(f'"{t.name}"' for t in reversed(models.metadata.sorted_tables))


@pytest.fixture
def db_url(migrated_url, tmp_path) -> str:
    if migrated_url.startswith("sqlite"):
        target = tmp_path / "aduan.db"
        shutil.copyfile(make_url(migrated_url).database, target)
        return f"sqlite:///{target}"
    engine = core_db.make_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_url


@pytest.fixture
def settings(db_url, monkeypatch) -> Iterator[core_settings.Settings]:
    """Point the whole application (settings, engine, API, CLI) at this test's database."""
    monkeypatch.setenv("ADUAN_DATABASE_URL", db_url)
    # Every first sync of the suite would pay a reader process's start (~2 s); the reader process has its
    # own tests (tests/core/test_read_process.py) and runs the bad-day and killed-sync tests too.
    monkeypatch.setenv("ADUAN_SYNC_READER_PROCESS", "never")
    monkeypatch.chdir(os.path.dirname(__file__))  # no stray .env from the developer's checkout
    core_settings.get_settings.cache_clear()
    core_db.get_engine.cache_clear()
    yield core_settings.get_settings()
    core_db.get_engine().dispose()
    core_db.get_engine.cache_clear()
    core_settings.get_settings.cache_clear()


@pytest.fixture
def engine(settings) -> Engine:
    return core_db.get_engine()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
