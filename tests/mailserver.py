"""A real Dovecot IMAP server for the e-mail tests (connectors/emulators/dovecot.py), and a TCP proxy in front
of it with fault knobs (refused connections, a connection cut mid-answer, a slow link).

`mailserver` (per test): a fresh Dovecot on a free loopback port with user `pengaduan`. Without the dovecot
binary the test is skipped with the reason, except in CI (CI=true), where that is a failure: `make test`
installs Debian's dovecot-imapd (`make mailserver`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.dovecot import Dovecot, dovecot_binary

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
EML = Path(__file__).parent / "connectors" / "fixtures" / "email"


def eml(name: str) -> bytes:
    """A fixture message (tests/connectors/fixtures/email/<name>.eml), as delivered."""
    return (EML / f"{name}.eml").read_bytes()


def require_dovecot() -> None:
    if dovecot_binary() is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd, or `make mailserver`)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def mailserver() -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.close()


class FaultProxy:
    """127.0.0.1:<port> → the server, byte for byte, unless told otherwise:
    - `refuse_next`: that many next connections are closed at once (the client sees EOF at the greeting);
    - `cut_after`: the next connection is cut once this many bytes came back from the server;
    - `delay`: seconds of latency added to each chunk the server sends."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.refuse_next = 0
        self.cut_after: int | None = None
        self.delay = 0.0
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"imap-proxy-{self.port}")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                if self.refuse_next > 0:
                    self.refuse_next -= 1
                    client.close()
                    continue
                cut, self.cut_after = self.cut_after, None
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, upstream, None, 0.0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, cut, self.delay), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, cut: int | None, delay: float) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if delay:
                    time.sleep(delay)
                if cut is not None and sent + len(data) > cut:
                    sink.sendall(data[: max(0, cut - sent)])
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def imap_proxy(mailserver) -> Iterator[FaultProxy]:
    proxy = FaultProxy(mailserver.host, mailserver.port)
    yield proxy
    proxy.close()
