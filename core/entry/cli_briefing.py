"""`aduan briefing`: the weekly briefing PDF for the Bupati and the Sekda, on demand."""

from __future__ import annotations

from pathlib import Path

import typer

from core.entry.cli_common import cli_session, settings_or_exit


def briefing(
    week: str = typer.Option(None, "--week", "-w", help="ISO week, e.g. 2026-W49 (default: the last complete week)"),
    out: Path = typer.Option(None, "--out", "-o", dir_okay=False,
                             help="Where to write the PDF (default: ringkasan-mingguan-<week>.pdf here)"),
    send: bool = typer.Option(False, "--send", help="Also store it and queue it to ADUAN_BRIEFING_RECIPIENTS "
                                                    "through the outbox, as the worker does on Monday (once per week)"),
) -> None:
    """Make the weekly briefing (figures against the week before, the three biggest spikes, the five slowest OPDs,
    the issues closed) as a PDF of at most two pages."""
    from core.casework.outbox import GraphSender, SendError
    from core.entry.briefing import week_spikes
    from core.reporting.briefing import (
        Week,
        build_briefing,
        filename,
        render_briefing_pdf,
        send_briefing,
        store_briefing,
        summary_text,
    )
    from models.types import utcnow

    settings = settings_or_exit()
    now = utcnow()
    try:
        chosen = Week.parse(week) if week else Week.last_complete(now, settings)
    except ValueError as exc:
        typer.secho(f"aduan: --week: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    target = out or Path(filename(chosen))
    with cli_session() as session:
        spikes = week_spikes(session, settings, chosen)
        data = build_briefing(session, settings, chosen, spikes=spikes, now=now)
        content = render_briefing_pdf(data, settings)
        try:
            target.write_bytes(content)
        except OSError as exc:
            typer.secho(f"aduan: cannot write {target}: {exc.strerror or exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{target}: ringkasan minggu {chosen.code} ({len(content):,} bytes)")
        typer.echo(summary_text(data))
        if send:
            row = store_briefing(session, settings, chosen, spikes, now)
            session.commit()
            sender = GraphSender(settings)
            try:
                queued = send_briefing(session, settings, row, sender, now)
                session.commit()
            except SendError as exc:
                typer.secho(f"aduan: upload to WhatsApp failed: {exc.reason}", fg="red", err=True)
                raise typer.Exit(1) from None
            finally:
                sender.close()
            if not settings.briefing_recipients:
                typer.echo("stored; not queued: ADUAN_BRIEFING_RECIPIENTS is empty")
            elif not sender.configured:
                typer.echo("stored; not queued yet: WhatsApp sending is not configured (the worker queues it later)")
            else:
                typer.echo(f"stored; queued to {queued} recipients" if queued else "stored; already queued before")
