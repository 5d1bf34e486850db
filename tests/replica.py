"""A real PostgreSQL primary and a streaming hot standby on loopback, for the read-replica tests.

Not an emulator: the installed PostgreSQL server binaries (`pg_config --bindir`, or /usr/lib/postgresql/*/bin)
run `initdb` for a primary (wal_level=replica, a replication line in pg_hba.conf, trust on 127.0.0.1 only),
then `pg_basebackup -R` copies it into a standby that streams from it. Both listen on free loopback ports
and keep everything (data directories, sockets, logs) in one temporary folder, removed when they stop.
Run by root (CI, containers) every server command runs as the `postgres` account: initdb and postgres
refuse to run as root.

`streaming_pair` (per test session): a started pair, its primary migrated. Without the binaries the tests are
skipped with the reason, except in CI (CI=true), where that is a failure. The PostgreSQL half of `make test`
runs them (ADUAN_TEST_DATABASE_URL set); the SQLite half skips them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SERVER_PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
DATABASE = "aduan"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (Debian: apt-get install postgresql)."""


def postgres_bindir() -> Path | None:
    """Where initdb, pg_ctl, pg_basebackup and postgres live: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/<major>/bin that has them all."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    majors = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                    if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(p) for p in majors]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in SERVER_PROGRAMS):
            return bindir
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class StreamingPair:
    """A primary and its streaming standby; `start()`/`stop()` or a `with` block."""

    def __init__(self, root: Path | None = None):
        bindir = postgres_bindir()
        if bindir is None:
            raise PostgresUnavailable("PostgreSQL server binaries not found (pg_config --bindir, "
                                      "/usr/lib/postgresql/*/bin): apt-get install postgresql")
        self.bindir = bindir
        self.host = "127.0.0.1"
        self.primary_port = free_port()
        self.standby_port = free_port()
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="aduan-replica-"))
        self.primary_dir = self.root / "primary"
        self.standby_dir = self.root / "standby"
        # initdb and postgres refuse root: run them as the postgres account (or whoever we are)
        self.account = pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        self.started_in: float | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> StreamingPair:
        began = time.monotonic()
        self._run("initdb", "-D", self.primary_dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale",
                  "--no-sync", "--no-instructions")
        with open(self.primary_dir / "postgresql.conf", "a") as conf:
            conf.write(self._common_conf(self.primary_port) + "wal_level = replica\nmax_wal_senders = 5\n"
                       "wal_keep_size = '64MB'\n")
        with open(self.primary_dir / "pg_hba.conf", "w") as hba:
            hba.write(f"local all all trust\nhost all all {self.host}/32 trust\n"
                      f"host replication all {self.host}/32 trust\n")
        self._pg_ctl(self.primary_dir, "start")
        self._run("pg_basebackup", "-h", self.host, "-p", str(self.primary_port), "-U", "postgres",
                  "-D", self.standby_dir, "-R", "-X", "stream", "-c", "fast", "--no-sync")
        with open(self.standby_dir / "postgresql.conf", "a") as conf:
            # the copy ends with the primary's settings: the last line of a setting wins
            conf.write(self._common_conf(self.standby_port) + "hot_standby = on\nhot_standby_feedback = on\n")
        self._pg_ctl(self.standby_dir, "start")
        self.wait_streaming()
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> None:
        for data_dir in (self.standby_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                self._pg_ctl(data_dir, "stop", "-m", "immediate", check=False)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def stop_standby(self) -> None:
        self._pg_ctl(self.standby_dir, "stop", "-m", "fast")

    def start_standby(self) -> None:
        self._pg_ctl(self.standby_dir, "start")
        self.wait_streaming()

    def __enter__(self) -> StreamingPair:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------------

    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)

    def engine(self, port: int, database: str = DATABASE) -> Engine:
        return create_engine(self.url(port, database), poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def create_database(self, name: str = DATABASE) -> None:
        admin = self.engine(self.primary_port, "postgres")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()

    # -- replication ------------------------------------------------------------------------------

    def standby_sql(self, sql: str) -> object:
        standby = self.engine(self.standby_port, "postgres")
        try:
            with standby.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            standby.dispose()

    def pause_replay(self) -> None:
        self.standby_sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby_sql("SELECT pg_wal_replay_resume()")

    def wait_streaming(self, timeout: float = 30) -> None:
        """Until the standby is in recovery and its WAL receiver streams from the primary."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.standby_sql("SELECT status FROM pg_stat_wal_receiver") == "streaming":
                    return
            except Exception:  # noqa: BLE001 - still starting
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby is not streaming after {timeout} s; log: {self.log_tail()}")
            time.sleep(0.05)

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        primary = self.engine(self.primary_port, "postgres")
        with primary.connect() as conn:
            target = conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
        primary.dispose()
        deadline = time.monotonic() + timeout
        while not self.standby_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not replay up to {target} in {timeout} s")
            time.sleep(0.02)

    # -- plumbing ---------------------------------------------------------------------------------

    def _common_conf(self, port: int) -> str:
        return (f"\n# aduan test harness\nport = {port}\nlisten_addresses = '{self.host}'\n"
                f"unix_socket_directories = '{self.root}'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nshared_buffers = '32MB'\nmax_connections = 100\n"
                "logging_collector = off\n")

    def _pg_ctl(self, data_dir: Path, action: str, *args: str, check: bool = True) -> None:
        log = self.root / f"{data_dir.name}.log"
        self._run("pg_ctl", "-D", data_dir, "-l", log, "-w", "-t", "60", action, *args, check=check)

    def log_tail(self, lines: int = 20) -> str:
        parts = []
        for name in ("primary", "standby"):
            path = self.root / f"{name}.log"
            if path.exists():
                parts.append(f"[{name}] " + " | ".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(parts)

    def _run(self, program: str, *args: object, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *map(str, args)]
        as_other = os.geteuid() == 0
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root,
                                user=self.account.pw_uid if as_other else None,
                                group=self.account.pw_gid if as_other else None,
                                env={**os.environ, "LC_ALL": "C", "HOME": str(self.root)})
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
                               f"\n{self.log_tail()}")
        return result


def require_postgres_binaries() -> None:
    if postgres_bindir() is None:
        message = "PostgreSQL server binaries not found (apt-get install postgresql)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def streaming_pair() -> Iterator[StreamingPair]:
    """A primary (database `aduan`, migrated) and its streaming standby, for the whole session."""
    from core.runtime import migrate

    require_postgres_binaries()
    pair = StreamingPair()
    try:
        pair.start()
        pair.create_database()
        migrate.upgrade(pair.primary_url)
        pair.wait_caught_up()
        yield pair
    finally:
        pair.stop()
