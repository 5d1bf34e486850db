"""`aduan import-112` and `aduan replay-webhooks`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.entry.cli_common import settings_or_exit

MAX_PRINTED_PROBLEMS = 50


def import_112(
    file: Path = typer.Argument(None, exists=True, dir_okay=False, help="112 CAD export (CSV or XLSX)"),
    instance: str = typer.Option(None, "--instance", "-i", help="call112 connector instance (mapping, source)"),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON"),
) -> None:
    """Import a 112 call-centre export; without FILE, import what is new at the instance's folder/URL."""
    from core.intake import registry
    from core.intake.file_import import file_connector, import_file, read_capped, sync_instance
    from core.intake.sync import context
    from core.runtime.db import session_scope
    from core.runtime.settings import get_settings

    settings_or_exit()
    if file is None and instance is None:
        typer.secho("aduan: give a FILE or --instance", fg="red", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        try:
            if file is None:
                reports = sync_instance(session, instance)
            else:
                inst, connector = (file_connector(session, instance) if instance
                                   else (None, registry.get("call112")({}, context(get_settings()))))
                reports = [import_file(session, connector, read_capped(file), file.name, inst)]
        except LookupError as exc:
            typer.secho(f"aduan: {exc}", fg="red", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    for report in [] if as_json else reports:
        _print_report(report)
    if not reports and not as_json:
        typer.echo("no new files")
    if any(r.rows == 0 and r.problems for r in reports):
        raise typer.Exit(2)


def _print_report(report) -> None:
    typer.echo(f"{report.filename}: {report.rows} rows — {report.new} new, {report.updated} updated, "
               f"{report.unchanged} unchanged, {report.not_complaints} ghost/prank (counted, not complaints), "
               f"{report.failed} bad")
    for problem in report.problems[:MAX_PRINTED_PROBLEMS]:
        where = f"baris {problem.row}" if problem.row else "berkas"
        typer.echo(f"  {where:<10} {problem.column or '-':<16} {problem.message}")
    if len(report.problems) > MAX_PRINTED_PROBLEMS:
        typer.echo(f"  … dan {len(report.problems) - MAX_PRINTED_PROBLEMS} masalah lain (pakai --json)")
    for column, values in report.unmapped.items():
        listed = ", ".join(f"{v} ({n})" for v, n in sorted(values.items(), key=lambda kv: -kv[1]))
        typer.echo(f"  {column} tanpa pemetaan: {listed}")


def replay_webhooks(name: str = typer.Argument(None, help="Webhook connector instance (default: all)")) -> None:
    """Normalise webhook deliveries that were landed but never normalised (e.g. after a crash)."""
    from core.intake.webhooks import replay_pending
    from core.runtime.db import session_scope

    settings_or_exit()
    with session_scope() as session:
        counts = replay_pending(session, name)
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing pending")
