"""A throw-away, real Dovecot IMAP server on 127.0.0.1, for the e-mail tests and the demo.

Not an emulator: Debian's `dovecot-imapd` binary (`make mailserver` installs it), run unprivileged in the
foreground (`dovecot -F -c <conf>`) with everything it keeps — config, sockets, state, logs, the maildirs —
in one temporary folder that is removed when it stops. Plain-text login without TLS is allowed because it
listens on loopback only. Run by root (CI, containers) it drops to `nobody`: Dovecot refuses to run its
login processes as root.

    with Dovecot() as server:                      # users {"pengaduan": "rahasia-imap"}
        uid = server.append("pengaduan", eml_bytes, when=datetime(...))
        config = server.connector_config("pengaduan")   # for the email_imap connector
        server.renumber("pengaduan")                # the folder gets a new UIDVALIDITY
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

DOVECOT_PATHS = ("/usr/sbin/dovecot", "/usr/bin/dovecot", "/usr/local/sbin/dovecot")
DEFAULT_USERS = {"pengaduan": "rahasia-imap"}
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_INDEX_FILES = ("dovecot-uidlist", "dovecot.index", "dovecot.index.log", "dovecot.index.log.2", "dovecot.index.cache")


class DovecotUnavailable(RuntimeError):
    """No dovecot binary here (install Debian's dovecot-imapd: `make mailserver`)."""


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    return found or next((p for p in DOVECOT_PATHS if os.access(p, os.X_OK)), None)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Dovecot:
    """One Dovecot instance; `start()`/`stop()` or a `with` block. Users live in a passwd-file."""

    def __init__(self, users: dict[str, str] | None = None, *, port: int | None = None, root: Path | None = None,
                 domain: str = "blitarkab.go.id", tls: bool = False):
        binary = dovecot_binary()
        if binary is None:
            raise DovecotUnavailable("dovecot tidak terpasang (apt-get install dovecot-imapd; `make mailserver`)")
        self.binary = binary
        self.users = dict(users or DEFAULT_USERS)
        self.domain = domain
        self.host = "127.0.0.1"
        self.port = port or free_port()
        # tls: a self-signed certificate for 127.0.0.1 (openssl, a dependency of dovecot-core), IMAPS on
        # `tls_port` and STARTTLS on `port`.
        self.tls = tls
        self.tls_port = free_port() if tls else 0
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="aduan-dovecot-"))
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:  # Dovecot refuses to run login processes as root: everything runs as nobody
            account = pwd.getpwnam("nobody")
        else:
            account = pwd.getpwuid(os.geteuid())
        self.account, self.uid, self.gid = account.pw_name, account.pw_uid, account.pw_gid
        self.group = _group_name(self.gid)
        self._write_files()

    # --- files -----------------------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def conf_path(self) -> Path:
        return self.root / "dovecot.conf"

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.root / "mail" / user
        return base if folder.upper() == "INBOX" else base / f".{folder}"

    def _write_files(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        lines = [f"{user}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{self.root / 'mail' / user}"
                 for user, password in self.users.items()]
        (self.root / "users").write_text("\n".join(lines) + "\n")
        if self.tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem")],
                           check=True, capture_output=True)
        ssl_lines = (f"ssl = yes\nssl_cert = <{self.root / 'cert.pem'}\nssl_key = <{self.root / 'key.pem'}"
                     if self.tls else "ssl = no")
        self.conf_path.write_text(f"""# A throw-away test/demo server (connectors/emulators/dovecot.py); loopback only.
protocols = imap
listen = {self.host}
base_dir = {self.root / 'run'}
state_dir = {self.root / 'state'}
instance_name = aduan-{self.port}
default_internal_user = {self.account}
default_internal_group = {self.group}
default_login_user = {self.account}
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {self.log_path}
mail_location = maildir:{self.root / 'mail'}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.root / 'users'}
}}
userdb {{
  driver = passwd-file
  args = {self.root / 'users'}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""")
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, self.uid, self.gid)

    # --- process ---------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> Dovecot:
        if self.proc is not None and self.proc.poll() is None:
            return self
        kwargs: dict[str, Any] = {}
        if os.geteuid() == 0:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.conf_path)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.root,
                                     start_new_session=True, **kwargs)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                output = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                raise RuntimeError(f"dovecot stopped at start (exit {self.proc.returncode}): {output.strip()} "
                                   f"{self.log_text()[-2000:]}")
            if self._greets():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot did not answer on {self.host}:{self.port}: {self.log_text()[-2000:]}")
            time.sleep(0.05)

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # the master stops its children and removes its sockets
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        """Stop and remove the folder (when it was made here)."""
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # --- mail ------------------------------------------------------------------------------------
    def client(self, user: str) -> IMAPClient:
        imap = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        imap.login(user, self.users[user])
        return imap

    def address(self, user: str) -> str:
        return f"{user}@{self.domain}"

    def create_folder(self, user: str, folder: str) -> None:
        with self.client(user) as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)

    def append(self, user: str, message: bytes, *, folder: str = "INBOX", when: datetime | None = None,
               flags: tuple = ()) -> int:
        """Deliver one message by IMAP APPEND; returns its UID. `when`: its INTERNALDATE (arrival time)."""
        with self.client(user) as imap:
            answer = imap.append(folder, message, flags=flags, msg_time=when)
        found = _APPENDUID.search(answer or b"")
        return int(found.group(2)) if found else 0

    def append_many(self, user: str, messages: list[tuple[bytes, datetime | None]], folder: str = "INBOX") -> list[int]:
        """Many messages over one connection (a demo's worth)."""
        uids = []
        with self.client(user) as imap:
            for message, when in messages:
                found = _APPENDUID.search(imap.append(folder, message, msg_time=when) or b"")
                uids.append(int(found.group(2)) if found else 0)
        return uids

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as imap:
            return int(imap.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def expunge_all(self, user: str, folder: str = "INBOX") -> None:
        with self.client(user) as imap:
            imap.select_folder(folder)
            uids = imap.search(["ALL"])
            if uids:
                imap.delete_messages(uids)
                imap.expunge()

    def renumber(self, user: str, folder: str = "INBOX") -> int:
        """What a restored or migrated mailbox does: the same messages under a new UIDVALIDITY (UIDs from 1).
        Stops the server, drops the folder's UID list and indexes, starts it again; returns the new UIDVALIDITY."""
        before = self.uidvalidity(user, folder)
        self.stop()
        base = self.root / "mail" / user
        for directory in {self.maildir(user, folder), base}:
            for name in _INDEX_FILES:
                (directory / name).unlink(missing_ok=True)
            for stale in directory.glob("dovecot.list.index*"):
                stale.unlink()
        self.start()
        after = self.uidvalidity(user, folder)
        if after == before:
            raise RuntimeError("dovecot kept the UIDVALIDITY after its indexes were dropped")
        return after

    def connector_config(self, user: str, **extra: Any) -> dict[str, Any]:
        """A ready `email_imap` connector config for this server (plain IMAP: loopback only)."""
        return {"host": self.host, "port": self.port, "security": "none", "username": user,
                "password": self.users[user], "own_addresses": [self.address(user)], **extra}


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
