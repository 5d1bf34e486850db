"""The `aduan` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from core.entry import cli_keys, cli_users
from core.entry.cli_common import settings_or_exit
from core.entry.cli_connectors import connector_app, inbox_app
from core.entry.cli_sla import sla_app
from core.entry.cli_trends import trends_app
from core.entry.cli_triage import triage_app
from core.runtime.settings import SettingsError

app = typer.Typer(help="Aduan Terpadu: integrated public-complaint dashboard.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(connector_app, name="connector")
app.add_typer(inbox_app, name="inbox")
app.add_typer(sla_app, name="sla")
app.add_typer(triage_app, name="triage")
app.add_typer(trends_app, name="trends")
app.add_typer(cli_keys.app, name="keys")
app.add_typer(cli_users.app, name="users")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Create or migrate the schema to the latest revision."""
    from core.runtime import migrate

    settings = settings_or_exit()
    upgrade_or_exit(settings, revision)
    typer.echo(f"schema at {migrate.head_revision()} on {_safe_url(settings.database_url)}")


def upgrade_or_exit(settings, revision: str = "head") -> None:
    from core.runtime import migrate

    try:
        migrate.upgrade(settings.database_url, revision)
    except Exception as exc:  # operational errors (DB down, permissions) get one line, not a traceback
        typer.secho(f"aduan: migration failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
                    fg="red", err=True)
        raise typer.Exit(1) from None


@db_app.command("seed")
def db_seed(data_dir: Path = typer.Option(None, exists=True, file_okay=False,
                                          help="Folder with opd.json, categories.json, regions.json "
                                               "(default: Kabupaten Blitar's, shipped with the package)")) -> None:
    """Load reference data: OPD tree, category tree, SLA tiers, escalation ladder, kecamatan/desa.

    Idempotent: codes already present are left as they are."""
    from sqlmodel import Session, func, select

    from core.reference.seed import seed_reference
    from core.runtime.db import get_engine
    from models import Category, Opd, Region

    settings = settings_or_exit()
    try:
        with Session(get_engine()) as session:
            seed_reference(session, settings, data_dir)
            counts = [session.exec(select(func.count()).select_from(m)).one() for m in (Opd, Category, Region)]
    except (OSError, ValueError, KeyError) as exc:
        typer.secho(f"aduan: cannot load reference data: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo("reference data: {} OPD, {} categories, {} kecamatan/desa".format(*counts))


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the configured database."""
    from core.runtime import migrate
    from core.runtime.db import get_engine

    settings_or_exit()
    typer.echo(migrate.current_revision(get_engine()) or "empty")


@db_app.command("archive-raw")
def db_archive_raw(
    after_months: int = typer.Option(None, "--after-months", min=1,
                                     help="Archive months older than this many "
                                          "(default ADUAN_RAW_ARCHIVE_AFTER_MONTHS)"),
    directory: Path = typer.Option(None, "--dir", file_okay=False,
                                   help="Where the files go (default ADUAN_RAW_ARCHIVE_DIR)"),
) -> None:
    """PostgreSQL: write old months of raw payloads to <dir>/raw_record_YYYY_MM.jsonl.gz, read each file back
    and check it, then drop the month's partition. Running it again does nothing for months already done."""
    from core.runtime.db import get_engine
    from core.runtime.raw_archive import ArchiveRefused, archive_raw

    settings = settings_or_exit()
    try:
        result = archive_raw(get_engine(), after_months or settings.raw_archive_after_months,
                             directory or settings.raw_archive_dir)
    except ArchiveRefused as exc:
        typer.secho(f"aduan: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(result))


@db_app.command("reconcile-rollup")
def db_reconcile_rollup() -> None:
    """Check the daily rollup of the statistics against the complaints now and rebuild every day that differs
    (the worker does it every night; the first run after migration 0116 on a database with complaints builds it)."""
    from core.reporting.rollup import reconcile
    from core.runtime.db import get_engine

    settings = settings_or_exit()
    result = reconcile(get_engine(), settings.tz)
    typer.echo(f"rollup {'built' if result.rebuilt else 'checked'}: {result.rows} rows, "
               f"{result.drifted_days} days differed and were rebuilt")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    api_only: bool = typer.Option(False, help="Serve only the API"),
    dashboard_only: bool = typer.Option(False, help="Serve only the dashboard"),
    workers: int = typer.Option(None, "--workers", help="API processes (default ADUAN_API_WORKERS, 1); "
                                "more than 1 needs PostgreSQL"),
) -> None:
    """Serve the REST API and the dashboard."""
    from core.entry.serve import serve_all

    settings = settings_or_exit()
    serve_all(settings, api_only=api_only, dashboard_only=dashboard_only,
              workers=settings.api_workers if workers is None else workers)


@app.command()
def worker(once: bool = typer.Option(False, help="Run each job once and exit")) -> None:
    """Run schedules: connector syncs, SLA sweep, escalation, notification outbox."""
    settings_or_exit()
    from core.entry.worker import WorkerAlreadyRunning, run_worker

    try:
        run_worker(once=once)
    except WorkerAlreadyRunning as exc:
        typer.secho(f"aduan worker: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None


@app.command()
def doctor() -> None:
    """Check settings, database, schema, connectors and upstreams; print what to fix (exit 1 on a failure)."""
    from core.entry.doctor import run_checks

    colours = {"OK": "green", "WARN": "yellow", "FAIL": "red"}
    findings = run_checks()
    for finding in findings:
        typer.secho(finding.line(), fg=colours[finding.level])
    failed = sum(f.level == "FAIL" for f in findings)
    warned = sum(f.level == "WARN" for f in findings)
    typer.echo(f"{failed} failed, {warned} warning(s), {len(findings) - failed - warned} ok")
    if failed:
        raise typer.Exit(1)


@app.command()
def sync(
    name: str = typer.Argument(None, help="Connector instance name"),
    all_: bool = typer.Option(False, "--all", help="Sync every enabled instance"),
) -> None:
    """Pull new and changed records from upstream connectors."""
    settings_or_exit()
    from core.entry.cli_connectors import run_sync

    run_sync(name, all_)


@app.command()
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve API + dashboard after loading"),
) -> None:
    """Migrate, load a realistic demo kabupaten through the real connectors, and serve."""
    import threading

    from core.entry.demo import keep_arriving, load_demo
    from core.entry.serve import serve_all

    settings = settings_or_exit()
    upgrade_or_exit(settings)
    demo_run = load_demo(settings)
    if not serve_after:
        demo_run.stack.close()
        return
    stop = threading.Event()
    threading.Thread(target=keep_arriving, args=(demo_run, stop), daemon=True, name="demo-arrivals").start()
    dashboard = f"http://{settings.api_host}:{settings.dashboard_port}"
    access_log = Path("var/demo/access.log")
    # Printed last, once the servers have said where they listen, and kept on screen: each request's line
    # goes to the access log file, not the terminal.
    lines = [f"admin API key (shown once): {demo_run.admin_key}",
             f"log in at {dashboard}/masuk (new passwords each run):",
             *(f"  {login.username:<9} {login.password}   {login.what}" for login in demo_run.logins),
             f"wall TV (no log-in): {dashboard}/masuk/layar?token={demo_run.display_token}",
             *([f"a complaint on the public page (no log-in): {demo_run.public_url}"] if demo_run.public_url else []),
             *([f"its reporter's WhatsApp conversation (Meta emulator): {demo_run.conversation_url}"]
               if demo_run.conversation_url else []),
             f"each request is logged to {access_log}",
             "ready — Ctrl+C to stop"]
    quiet = {} if "log_level" in settings.model_fields_set else {"log_level": "WARNING"}
    try:
        serve_all(demo_run.settings.model_copy(update=quiet), ready_message="\n".join(f"[demo] {x}" for x in lines),
                  access_log=access_log)
    finally:
        stop.set()
        demo_run.stack.close()


from core.entry.cli_briefing import briefing  # noqa: E402
from core.entry.cli_imports import import_112, replay_webhooks  # noqa: E402

app.command("import-112")(import_112)
app.command("replay-webhooks")(replay_webhooks)
app.command("briefing")(briefing)


def main() -> None:  # pragma: no cover - console entry
    try:
        app()
    except SettingsError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        sys.exit(2)
