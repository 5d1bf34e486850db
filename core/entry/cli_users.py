"""`aduan users`: accounts of pemda staff, and display tokens for wall TVs. Every change is audited."""

from __future__ import annotations

import typer
from sqlmodel import select

from core.entry.cli_common import cli_session, settings_or_exit
from models import Opd, Role, User

app = typer.Typer(help="People who log in to the dashboard and the API.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"aduan: {message}", fg="red", err=True)
    raise typer.Exit(code)


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Log-in name, e.g. 'sari.dpupr'"),
    name: str = typer.Option(..., "--name", help="Full name, shown in complaint histories"),
    role: Role = typer.Option(..., "--role", help="admin | analyst | opd_admin | viewer | petugas"),
    opd: str = typer.Option(None, "--opd", help="OPD code (required for opd_admin)"),
    password: str = typer.Option(None, "--password", envvar="ADUAN_NEW_PASSWORD",
                                 help="Initial password; prompted (hidden) when omitted"),
) -> None:
    """Create an account."""
    from core.identity import audit, users

    if password is None:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    with cli_session() as session:
        try:
            user = users.create_user(session, username, name, role, password, opd)
        except users.UserError as exc:
            _fail(f"{exc.field}: {exc}")
        audit.record_cli(session.get_bind(), "user.create", f"user:{user.id}",
                         {"username": user.username, "role": role.value, "opd": opd})
    typer.echo(f"user #{user.id} {user.username} ({role.value}{', ' + opd if opd else ''}) created")


@app.command("list")
def list_users() -> None:
    """Accounts with role, OPD and status (never a password)."""
    with cli_session() as session:
        opd = dict(session.exec(select(Opd.id, Opd.code)).all())
        rows = session.exec(select(User).order_by(User.username)).all()
    if not rows:
        typer.echo("no users yet: aduan users add USERNAME --name ... --role ...")
        return
    typer.echo(f"{'ID':>4}  {'USERNAME':<20}  {'ROLE':<9}  {'OPD':<12}  {'STATUS':<8}  {'LAST LOG-IN':<16}  NAME")
    for u in rows:
        seen = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "-"
        status = "active" if u.active else "disabled"
        typer.echo(f"{u.id:>4}  {u.username:<20}  {u.role:<9}  {opd.get(u.opd_id, '-'):<12}  {status:<8}  "
                   f"{seen:<16}  {u.name}")


def _set_active(username: str, active: bool) -> None:
    from core.identity import audit, users

    with cli_session() as session:
        user = users.by_username(session, username)
        if user is None:
            _fail(f"no user {username!r}", 1)
        users.update_user(session, user, active=active)
        audit.record_cli(session.get_bind(), "user.update", f"user:{user.id}", {"active": active})
    typer.echo(f"user {user.username} {'enabled' if active else 'disabled; their log-ins ended'}")


@app.command("disable")
def disable(username: str = typer.Argument(..., help="Log-in name")) -> None:
    """Disable an account: every log-in of theirs stops working at once. Nothing is deleted."""
    _set_active(username, False)


@app.command("enable")
def enable(username: str = typer.Argument(..., help="Log-in name")) -> None:
    """Enable an account again (also lifts a lock-out)."""
    _set_active(username, True)


@app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="Log-in name"),
    password: str = typer.Option(None, "--password", envvar="ADUAN_NEW_PASSWORD",
                                 help="New password; prompted (hidden) when omitted"),
) -> None:
    """Set a new password (ends the user's log-ins and lifts a lock-out)."""
    from core.identity import audit, users

    if password is None:
        password = typer.prompt("Kata sandi baru", hide_input=True, confirmation_prompt=True)
    with cli_session() as session:
        user = users.by_username(session, username)
        if user is None:
            _fail(f"no user {username!r}", 1)
        try:
            users.update_user(session, user, password=password)
        except users.UserError as exc:
            _fail(str(exc))
        audit.record_cli(session.get_bind(), "user.update", f"user:{user.id}", {"password": "changed"})
    typer.echo(f"password of {user.username} changed")


@app.command("display-token")
def display_token(
    name: str = typer.Argument(..., help="Where the screen hangs, e.g. 'TV Pendopo'"),
    days: int = typer.Option(None, "--days", help="Days valid (default ADUAN_DISPLAY_TOKEN_DAYS)"),
) -> None:
    """A read-only token for the wall display on a TV; open the dashboard at /masuk/layar?token=<token>."""
    from core.identity import audit
    from core.identity.keys import create_display_token

    settings = settings_or_exit()
    with cli_session() as session:
        key, raw = create_display_token(session, name, days or settings.display_token_days)
        audit.record_cli(session.get_bind(), "key.create_display", f"key:{key.id}", {"name": name})
    typer.echo(raw)
    typer.secho(f"display token #{key.id} '{key.name}' valid until {key.expires_at:%Y-%m-%d}; "
                f"open http://<dashboard>/masuk/layar?token=<token> on the TV", err=True)
