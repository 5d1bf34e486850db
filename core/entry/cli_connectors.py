"""`aduan connector …`, `aduan sync …`, `aduan inbox replay`: configure, run and repair connectors."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlmodel import Session, select

from core.entry.cli_common import decimal

connector_app = typer.Typer(help="Connector instances configured in the database.", no_args_is_help=True)
inbox_app = typer.Typer(help="The inbox of payloads as received.", no_args_is_help=True)
console = Console(highlight=False)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"aduan: {message}", fg="red", err=True)
    return typer.Exit(code)


def _read_config(raw: str) -> dict:
    try:
        text = Path(raw[1:]).read_text(encoding="utf-8") if raw.startswith("@") else raw
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise _fail(f"--config: JSON tidak valid atau berkas tidak terbaca ({exc})") from None
    if not isinstance(data, dict):
        raise _fail("--config: harus objek JSON, mis. '{\"base_url\": \"…\"}'")
    return data


@connector_app.command("add")
def add(
    name: str = typer.Argument(..., help="Instance name, e.g. lapor-blitar"),
    kind: str = typer.Argument(..., help="Connector kind (see `aduan connector kinds`)"),
    config: str = typer.Option("{}", "--config", help="JSON object, or @file.json"),
    schedule: int = typer.Option(900, help="Sync every N seconds"),
    manual: bool = typer.Option(False, "--manual", help="No schedule: only synced on demand"),
    disabled: bool = typer.Option(False, "--disabled", help="Create it switched off"),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an instance of the same name"),
) -> None:
    """Add (or --replace) a connector instance; its config is validated by the connector."""
    from core.intake.instances import InstanceError, redacted, save_instance
    from core.runtime.db import get_engine

    data = _read_config(config)
    with Session(get_engine()) as session:
        try:
            instance = save_instance(session, name, kind, data, schedule_seconds=None if manual else schedule,
                                     enabled=not disabled, replace=replace)
        except InstanceError as exc:
            raise _fail(str(exc)) from None
        shown = json.dumps(redacted(instance), ensure_ascii=False)
    when = "manual" if instance.schedule_seconds is None else f"setiap {instance.schedule_seconds} dtk"
    console.print(f"konektor {instance.name} ({instance.kind}) disimpan, {when}, "
                  f"{'aktif' if instance.enabled else 'nonaktif'}: {shown}")


@connector_app.command("list")
def list_instances() -> None:
    """Instances with their status, last run and error (secrets hidden)."""
    from core.intake.instances import instance_rows, redacted
    from core.runtime.db import get_engine
    from models import ConnectorInstance

    with Session(get_engine()) as session:
        rows = instance_rows(session)
        configs = {i.name: redacted(i) for i in session.exec(select(ConnectorInstance)).all()}
    if not rows:
        console.print("belum ada konektor; tambahkan dengan `aduan connector add NAMA JENIS --config '{…}'`")
        return
    for row in rows:
        last = row["last_success_at"].strftime("%Y-%m-%d %H:%M UTC") if row["last_success_at"] else "-"
        when = f"setiap {row['schedule_seconds']} dtk" if row["schedule_seconds"] else "manual"
        typer.echo(f"{row['name']}  ({row['kind']}, kanal {row['channel'] or '?'}) "
                   f"{'aktif' if row['enabled'] else 'nonaktif'}, {when}")
        typer.echo(f"  status {row['status']}; sukses terakhir {last}; total {row['fetched_total']} diambil, "
                   f"{row['new_total']} baru, {row['updated_total']} diperbarui, {row['failed_total']} gagal; "
                   f"inbox gagal {row['inbox_failed']}")
        if row["last_error"]:
            typer.echo(f"  galat: {row['last_error']}")
        typer.echo(f"  konfigurasi: {json.dumps(configs[row['name']], ensure_ascii=False)}")


@connector_app.command("kinds")
def kinds() -> None:
    """Connector kinds installed (entry points of the `aduan.connectors` group)."""
    from core.intake import registry

    rows = [(name, f"kanal {cls.channel}", f"{cls.__module__}.{cls.__qualname__}")
            for name, cls in sorted(registry.available().items())]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(2)]
    for name, channel, target in rows:  # plain echo: rich would hard-wrap long rows at the terminal's width
        typer.echo(f"{name:<{widths[0]}}  {channel:<{widths[1]}}  {target}")


def _set_enabled(name: str, enabled: bool) -> None:
    from core.runtime.db import get_engine
    from models import ConnectorInstance
    from models.types import utcnow

    with Session(get_engine()) as session:
        instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).first()
        if instance is None:
            raise _fail(f"konektor {name!r} tidak ada")
        instance.enabled, instance.updated_at = enabled, utcnow()
        session.add(instance)
        session.commit()
    console.print(f"konektor {name} {'diaktifkan' if enabled else 'dinonaktifkan'}")


@connector_app.command("enable")
def enable(name: str) -> None:
    """Switch an instance on (scheduled syncs resume)."""
    _set_enabled(name, True)


@connector_app.command("disable")
def disable(name: str) -> None:
    """Switch an instance off (no scheduled syncs)."""
    _set_enabled(name, False)


def summary_line(s) -> str:
    line = (f"{s.name}: {s.status} — {s.fetched} diambil, {s.new} baru, {s.updated} diperbarui, "
            f"{s.unchanged} tetap, {s.failed} gagal, {s.skipped} dilewati; {s.pages} halaman, "
            f"{s.retries} percobaan ulang, {decimal(s.duration_s)} dtk")
    return line + (f"\n  galat: {s.error}" if s.error else "")


def run_sync(name: str | None, all_: bool) -> None:
    """Body of `aduan sync NAME` / `aduan sync --all`: progress while running, then the summary."""
    from core.intake.sync import NotPullable, UnknownInstance, enabled_pull_instances, sync_instance
    from core.runtime.db import get_engine

    if bool(name) == bool(all_):
        raise _fail("sebutkan satu NAMA konektor atau --all")
    if all_:
        with Session(get_engine()) as session:
            names = [i.name for i in enabled_pull_instances(session)]
        if not names:
            console.print("tidak ada konektor pull yang aktif")
            return
    else:
        names = [name]
    failed = False
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
               TimeElapsedColumn())
    for instance_name in names:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(f"sinkron {instance_name}", total=None, counts="")

            def show(s, task=task, bar=bar):
                bar.update(task, total=s.expected, completed=s.fetched,
                           counts=f"{s.fetched} diambil · {s.new} baru · {s.updated} diperbarui · {s.failed} gagal")

            try:
                summary = sync_instance(instance_name, progress=show)
            except UnknownInstance:
                raise _fail(f"konektor {instance_name!r} tidak ada (lihat `aduan connector list`)") from None
            except NotPullable as exc:
                raise _fail(f"{exc}: konektor ini menerima data lewat webhook/berkas, bukan sinkronisasi") from None
        console.print(summary_line(summary))
        failed = failed or summary.status != "ok"
    if failed:
        raise typer.Exit(1)


@inbox_app.command("replay")
def replay(
    channel: str = typer.Option(None, help="Only this channel"),
    include_skipped: bool = typer.Option(False, help="Also re-check payloads skipped as not-a-complaint"),
) -> None:
    """Re-normalise failed (and pending) inbox payloads, e.g. after fixing a mapping."""
    from core.intake.ingest import Resolver
    from core.intake.pipeline import replay as replay_records
    from core.intake.sync import FatalError, build_connector
    from core.runtime.db import get_engine
    from core.runtime.settings import get_settings
    from models import ConnectorInstance, RawRecord, RawState

    settings = get_settings()
    states = [RawState.failed, RawState.pending] + ([RawState.skipped] if include_skipped else [])
    with Session(get_engine(), expire_on_commit=False) as session:
        instances = {i.id: i for i in session.exec(select(ConnectorInstance)).all()}
        connectors: dict[int, object] = {}

        def connector_for(record: RawRecord):
            instance_id = record.connector_instance_id
            if instance_id is None:  # pushed payloads: any instance of that channel knows the mapping
                instance_id = next((i.id for i in instances.values() if _channel(i) == record.channel), None)
            if instance_id not in instances:
                raise _fail(f"tidak ada konektor untuk kanal {record.channel!r}; tambahkan dulu instansnya")
            if instance_id not in connectors:
                try:
                    connectors[instance_id] = build_connector(instances[instance_id], settings)
                except FatalError as exc:
                    raise _fail(str(exc)) from None
            return connectors[instance_id]

        counts = replay_records(session, connector_for, Resolver(session, settings), states=states, channel=channel)
    if not counts:
        console.print("tidak ada payload yang perlu diproses ulang")
        return
    console.print("diproses ulang: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))


def _channel(instance) -> str | None:
    from core.intake import registry

    cls = registry.available().get(instance.kind)
    return cls.channel if cls else None
