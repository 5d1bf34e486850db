"""Configured connector instances: create/update them (config validated by the connector's own
model, secrets kept out of every output) and report their health for the CLI, API and dashboard."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from core.intake import registry
from core.intake.sync import config_problems, is_running
from core.intake.writeback import writeback_problems
from core.runtime.settings import get_settings
from models import ConnectorInstance, RawRecord, RawState, SyncState
from models.types import utcnow

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class InstanceError(ValueError):
    """Bad name, kind or config; the message names the field (Bahasa Indonesia)."""


def validate_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as the connector's pydantic model accepts it (only what was given is stored)."""
    try:
        cls = registry.get(kind)
    except registry.UnknownConnector:
        known = ", ".join(sorted(registry.available())) or "tidak ada"
        raise InstanceError(f"jenis konektor {kind!r} tidak dikenal (tersedia: {known})") from None
    try:
        model = cls.Config.model_validate(config)
    except ValidationError as exc:
        raise InstanceError(f"konfigurasi tidak valid: {config_problems(exc)}") from None
    return model.model_dump(mode="json", exclude_unset=True)


def save_instance(session: Session, name: str, kind: str, config: dict[str, Any], *,
                  schedule_seconds: int | None = 900, enabled: bool = True, replace: bool = False) -> ConnectorInstance:
    if not NAME.match(name):
        raise InstanceError("nama: huruf kecil, angka, '-' atau '_', maksimal 64 karakter")
    if schedule_seconds is not None and schedule_seconds < 10:
        raise InstanceError("jadwal: minimal 10 detik (atau kosong untuk manual saja)")
    stored = validate_config(kind, config)
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).first()
    if instance is not None and not replace:
        raise InstanceError(f"nama: konektor {name!r} sudah ada (pakai --replace untuk mengganti)")
    if instance is None:
        instance = ConnectorInstance(name=name, kind=kind)
    instance.kind, instance.config = kind, stored
    instance.schedule_seconds, instance.enabled, instance.updated_at = schedule_seconds, enabled, utcnow()
    session.add(instance)
    session.commit()
    session.refresh(instance)
    return instance


def redacted(instance: ConnectorInstance) -> dict[str, Any]:
    try:
        return registry.get(instance.kind).redact(instance.config)
    except registry.UnknownConnector:  # unknown plugin: hide every value rather than guess
        return dict.fromkeys(instance.config, "***")


def instances_with_state(session: Session) -> list[tuple[ConnectorInstance, SyncState | None]]:
    """Every configured instance by name, with its sync state (None before its first run)."""
    return list(session.exec(select(ConnectorInstance, SyncState).join(
        SyncState, SyncState.connector_instance_id == ConnectorInstance.id, isouter=True)
        .order_by(ConnectorInstance.name)).all())


def instance_rows(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per instance in the shape of `GET /api/v1/connectors`."""
    now = now or utcnow()
    settings = get_settings()
    failed = dict(session.exec(
        select(RawRecord.connector_instance_id, func.count()).where(RawRecord.state == RawState.failed)
        .group_by(RawRecord.connector_instance_id)).all())
    kinds = registry.available()
    writebacks = writeback_problems(session)
    out = []
    for instance, state in instances_with_state(session):
        status = state.status if state else "never"
        if status == "running" and not is_running(state, settings, now):
            status = "error"  # the run died without saying so
        cls = kinds.get(instance.kind)
        out.append({
            "name": instance.name,
            "kind": instance.kind,
            "channel": cls.channel if cls else None,
            "pullable": registry.of_kind(cls, "pull"),
            "enabled": instance.enabled,
            "schedule_seconds": instance.schedule_seconds,
            "status": status,
            "last_run_at": state.last_run_at if state else None,
            "last_success_at": state.last_success_at if state else None,
            "last_error": (state.last_error if state else None) or (
                "sinkronisasi terhenti tanpa kabar (proses mati?)" if status == "error" and state
                and state.status == "running" else None),
            "lag_seconds": round((now - state.last_success_at).total_seconds()) if state and state.last_success_at
            else None,
            "fetched_total": state.fetched_total if state else 0,
            "new_total": state.new_total if state else 0,
            "updated_total": state.updated_total if state else 0,
            "failed_total": state.failed_total if state else 0,
            "inbox_failed": failed.get(instance.id, 0),
            "last_counts": {k: v for k, v in (state.last_counts or {}).items() if k not in ("owner", "host", "pid")}
            if state else None,
            **writebacks.get(cls.channel if cls else None, {"writeback_pending": 0, "writeback_failed": []}),
        })
    return out
