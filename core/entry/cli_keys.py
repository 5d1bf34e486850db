"""`aduan keys`: create, list and revoke API keys. A key's secret is shown once, at creation."""

from __future__ import annotations

import typer
from sqlmodel import select

from core.entry.cli_common import cli_session
from models import ApiKey, Opd, Role

app = typer.Typer(help="API keys (X-API-Key) and their roles.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Who or what uses the key, e.g. 'dashboard' or 'dinkes-admin'"),
    role: Role = typer.Option(..., "--role", help="viewer | analyst | opd_admin | admin"),
    opd: str = typer.Option(None, "--opd", help="OPD code (required for opd_admin)"),
) -> None:
    """Create a key and print its secret once; only a hash is stored."""
    from core.identity import audit
    from core.identity.keys import create_key

    with cli_session() as session:
        try:
            key, raw = create_key(session, name, role, opd)
        except ValueError as exc:
            typer.secho(f"aduan: {exc}", fg="red", err=True)
            raise typer.Exit(2) from None
        audit.record_cli(session.get_bind(), "key.create", f"key:{key.id}", {"name": name, "role": role.value})
    typer.echo(raw)
    typer.secho(f"key #{key.id} '{name}' ({role.value}{', ' + opd if opd else ''}) created; "
                "store the secret now, it is not shown again", err=True)


@app.command("list")
def list_keys() -> None:
    """Keys with id, prefix, role, OPD and status (never the secret)."""
    with cli_session() as session:
        opd = dict(session.exec(select(Opd.id, Opd.code)).all())
        keys = session.exec(select(ApiKey).order_by(ApiKey.id)).all()
    if not keys:
        typer.echo("no API keys yet: aduan keys create NAME --role ...")
        return
    typer.echo(f"{'ID':>4}  {'PREFIX':<10}  {'ROLE':<9}  {'OPD':<12}  {'STATUS':<7}  {'LAST USED':<16}  NAME")
    for k in keys:
        used = k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "-"
        status = "revoked" if k.revoked else "active"
        typer.echo(f"{k.id:>4}  {k.prefix:<10}  {k.role:<9}  {opd.get(k.opd_id, '-'):<12}  {status:<7}  "
                   f"{used:<16}  {k.name}")


@app.command("revoke")
def revoke(key_id: int = typer.Argument(..., help="Key id from `aduan keys list`")) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    from core.identity import audit

    with cli_session() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            typer.secho(f"aduan: no API key with id {key_id}", fg="red", err=True)
            raise typer.Exit(1)
        key.revoked = True
        session.add(key)
        session.commit()
        audit.record_cli(session.get_bind(), "key.revoke", f"key:{key_id}")
    typer.echo(f"key #{key_id} '{key.name}' revoked")
