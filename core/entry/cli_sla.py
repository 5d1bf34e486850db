"""`aduan sla …`: run the ladder sweep or the outbox by hand, and see the WhatsApp sender's state."""

from __future__ import annotations

from datetime import datetime

import typer

from core.entry.cli_common import settings_or_exit

sla_app = typer.Typer(help="SLA ladder, reminders and letters.", no_args_is_help=True)


def _settings():

    return settings_or_exit()


@sla_app.command("sweep")
def sweep(at: str = typer.Option(None, help="Pretend it is this local time (ISO), e.g. 2026-11-25T08:00")) -> None:
    """Pause/resume clocks and fire every due ladder step once."""
    from core.casework.escalation import run_sweep
    from core.runtime.db import get_engine

    settings = _settings()
    now = None
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            typer.secho(f"aduan sla sweep: --at is not an ISO date/time: {at!r}", fg="red", err=True)
            raise typer.Exit(2) from None
        now = moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)
    typer.echo(str(run_sweep(get_engine(), settings, now=now)))


@sla_app.command("send")
def send() -> None:
    """Send every due notification now."""
    from core.casework.outbox import dispatch_due
    from core.runtime.db import get_engine

    result = dispatch_due(get_engine(), _settings())
    if result.unconfigured:
        typer.echo("WhatsApp sending is not configured (ADUAN_WHATSAPP_TOKEN, ADUAN_WHATSAPP_PHONE_NUMBER_ID)")
    elif result.blocked:
        typer.secho("WhatsApp sending is stopped: the access token was rejected (190); set a new "
                    "ADUAN_WHATSAPP_TOKEN", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"sent {result.sent}, retry later {result.retried}, failed {result.failed}")


@sla_app.command("status")
def sender_status() -> None:
    """State of WhatsApp sending and of the outbox."""
    from core.casework.outbox import sender_health
    from core.runtime.db import session_scope

    settings = _settings()
    with session_scope() as session:
        health = sender_health(session, settings)
    typer.echo(f"whatsapp sender: {health['status']}" + (f" ({health['detail']})" if health["detail"] else ""))
    typer.echo(f"outbox: {health['pending']} pending, {health['sent']} sent, {health['failed']} failed")
