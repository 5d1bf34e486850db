"""The demo's e-mail channel: a throw-away real Dovecot on loopback holding the complaint mailbox
(pengaduan@blitarkab.go.id, connectors/emulators/email_samples.py), synced through the `email_imap` connector.

Without Dovecot installed (`make mailserver`) the demo says so and goes on without e-mail. The server lives as
long as the demo (its ExitStack), so the scheduled sync keeps working while the demo runs. Every run starts a
fresh server, hence a new UIDVALIDITY: the mailbox is read again and every message is recognised by its
Message-ID, so a second demo adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.emulators import email_samples
from connectors.emulators.dovecot import Dovecot, DovecotUnavailable
from core.entry.cli_common import decimal
from core.intake.instances import save_instance
from core.intake.sync import sync_instance

INSTANCE = "email-pengaduan"
USER = "pengaduan"


def load_email(engine: Engine, anchor: datetime, stack: ExitStack, *, seed: int, days: int,
               say: Callable[[str], None]) -> Dovecot | None:
    """Start the mailbox, deliver the e-mails by IMAP APPEND and pull them; the server, or None (skipped)."""
    try:
        server = Dovecot({USER: "demo-imap-password"})
    except DovecotUnavailable as exc:
        say(f"e-mail skipped: {exc}")
        return None
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.close()
        say(f"e-mail skipped: Dovecot did not start ({exc})")
        return None
    stack.callback(server.close)
    messages = email_samples.mailbox(seed=seed, anchor=anchor, days=days)
    server.append_many(USER, messages)
    with Session(engine, expire_on_commit=False) as session:
        save_instance(session, INSTANCE, "email_imap", server.connector_config(USER), schedule_seconds=300,
                      replace=True)
        session.commit()
    summary = sync_instance(INSTANCE, engine=engine)
    say(f"e-mail: {len(messages)} messages in a real Dovecot on {server.host}:{server.port}; sync {INSTANCE}: "
        f"{summary.fetched} fetched, {summary.new} new, {summary.updated} updated, {summary.skipped} skipped "
        f"({decimal(summary.duration_s)} s)" + (f"; error: {summary.error}" if summary.error else ""))
    return server
