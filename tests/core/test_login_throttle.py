"""Log-in counters shared by every API process (core.identity.throttle): concurrent attempts lose no count.

Threads stand in for processes here (each has its own connection); tests/core/test_serve_workers.py does the
same through four real `aduan serve` processes on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from core.identity import throttle
from core.identity.users import authenticate, create_user
from models import LoginThrottle, User
from models.types import utcnow

PASSWORD = "sandi-yang-benar-123"
AD = str(Path(sys.executable).with_name("aduan"))


def _attempts(engine, settings, username: str, n: int) -> Counter:
    def attempt(i: int) -> str:
        with Session(engine, expire_on_commit=False) as s:
            return authenticate(s, settings, username, f"tebakan-salah-{i}").outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(attempt, range(n)))


def test_concurrent_wrong_passwords_lock_after_exactly_the_configured_number(engine, session, settings):
    create_user(session, "sari", "Sari", "analyst", PASSWORD)
    outcomes = _attempts(engine, settings, "sari", 16)
    assert outcomes == {"bad_credentials": settings.login_max_failures - 1,
                        "locked": 16 - settings.login_max_failures + 1}
    assert authenticate(session, settings, "sari", PASSWORD).outcome == "locked"
    session.expire_all()
    sari = session.exec(select(User).where(User.username == "sari")).one()
    assert sari.failed_logins == 0 and sari.locked_until > utcnow()


def test_a_name_no_account_has_locks_the_same_way_without_an_account(engine, session, settings):
    outcomes = _attempts(engine, settings, "Siapa ", 16)
    assert outcomes == {"bad_credentials": settings.login_max_failures - 1,
                        "locked": 16 - settings.login_max_failures + 1}
    assert session.exec(select(User)).all() == []
    row = session.get(LoginThrottle, "name:siapa")
    assert row.failures == 0 and row.locked_until > utcnow()


def test_the_right_password_clears_the_count_but_not_a_lock(session, settings):
    create_user(session, "budi", "Budi", "analyst", PASSWORD)
    for i in range(settings.login_max_failures - 1):
        assert authenticate(session, settings, "budi", f"salah-{i}").outcome == "bad_credentials"
    assert authenticate(session, settings, "budi", PASSWORD).outcome == "ok"
    assert authenticate(session, settings, "budi", "salah-lagi").outcome == "bad_credentials"  # counting anew
    budi = session.exec(select(User).where(User.username == "budi")).one()
    budi_id = budi.id
    now = utcnow()
    locked = throttle.record_account_failure(session, budi_id, now, 2, timedelta(minutes=15))
    assert locked is not None  # a second failure with a limit of two
    assert not throttle.clear_account_failures(session, budi_id, now)  # a racing right password can't unlock it


def test_address_counts_in_a_window_and_old_counters_are_pruned(session):
    now = utcnow()
    window = timedelta(minutes=15)
    assert [throttle.hit_address(session, "10.0.0.9", now, window)[0] for _ in range(3)] == [1, 2, 3]
    throttle.refund_address(session, "10.0.0.9")
    assert throttle.hit_address(session, "10.0.0.9", now, window)[0] == 3
    later = now + window + timedelta(seconds=1)
    count, ends = throttle.hit_address(session, "10.0.0.9", later, window)
    assert (count, ends) == (1, later + window)  # a new window
    throttle.record_name_failure(session, "lama", now, 5, window)
    assert throttle.prune(session, later + window + timedelta(seconds=1), window) == 2
    assert session.exec(select(LoginThrottle)).all() == []


def test_serve_refuses_several_processes_on_sqlite(tmp_path):
    env = {**os.environ, "ADUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    result = subprocess.run([AD, "serve", "--api-only", "--workers", "4"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    assert "4 API processes need PostgreSQL" in result.stderr and "--workers 1" in result.stderr
    env["ADUAN_API_WORKERS"] = "3"
    result = subprocess.run([AD, "serve", "--api-only"], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert result.returncode == 2 and "3 API processes need PostgreSQL" in result.stderr
