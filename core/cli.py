"""The `aduan` command line."""

from __future__ import annotations

import sys

import typer

from core import cli_keys
from core.cli_connectors import connector_app, inbox_app
from core.settings import SettingsError, get_settings

app = typer.Typer(help="Aduan Terpadu: integrated public-complaint dashboard.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cli_keys.app, name="keys")
app.add_typer(connector_app, name="connector")
app.add_typer(inbox_app, name="inbox")


def settings_or_exit():
    try:
        return get_settings()
    except SettingsError as exc:
        typer.secho(f"aduan: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Create or migrate the schema to the latest revision."""
    from core import migrate

    settings = settings_or_exit()
    try:
        migrate.upgrade(settings.database_url, revision)
    except Exception as exc:  # operational errors (DB down, permissions) get one line, not a traceback
        typer.secho(f"aduan: migration failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
                    fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"schema at {migrate.head_revision(settings.database_url)} on {_safe_url(settings.database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the configured database."""
    from core import migrate
    from core.db import get_engine

    settings_or_exit()
    typer.echo(migrate.current_revision(get_engine()) or "empty")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    api_only: bool = typer.Option(False, help="Serve only the API"),
    dashboard_only: bool = typer.Option(False, help="Serve only the dashboard"),
) -> None:
    """Serve the REST API and the dashboard."""
    from core.serve import serve_all

    serve_all(settings_or_exit(), api_only=api_only, dashboard_only=dashboard_only)


@app.command()
def worker(once: bool = typer.Option(False, help="Run each job once and exit")) -> None:
    """Run schedules: connector syncs, SLA sweep, escalation, notification outbox."""
    settings_or_exit()
    try:
        from core.worker import run_worker
    except ImportError:
        typer.echo("worker: no jobs are available yet")
        return
    run_worker(once=once)


@app.command()
def sync(
    name: str = typer.Argument(None, help="Connector instance name"),
    all_: bool = typer.Option(False, "--all", help="Sync every enabled instance"),
) -> None:
    """Pull new and changed records from upstream connectors."""
    settings_or_exit()
    from core.cli_connectors import run_sync

    run_sync(name, all_)


@app.command()
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve API + dashboard after loading"),
) -> None:
    """Migrate, load a realistic demo kabupaten through the real connectors, and serve."""
    settings = settings_or_exit()
    from core import migrate

    migrate.upgrade(settings.database_url)
    try:
        from core.demo import load_demo
    except ImportError:
        typer.echo("demo: schema ready; demo data is not available yet")
    else:
        load_demo(settings)
    if serve_after:
        from core.serve import serve_all

        serve_all(settings)


from core.cli_imports import import_112, replay_webhooks  # noqa: E402

app.command("import-112")(import_112)
app.command("replay-webhooks")(replay_webhooks)


def main() -> None:  # pragma: no cover - console entry
    try:
        app()
    except SettingsError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        sys.exit(2)
