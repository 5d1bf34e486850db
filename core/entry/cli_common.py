"""What every `aduan` sub-command needs: valid settings or a one-line exit, and a database session."""

from __future__ import annotations

import typer
from sqlmodel import Session

from core.runtime.settings import SettingsError, get_settings


def settings_or_exit():
    try:
        return get_settings()
    except SettingsError as exc:
        typer.secho(f"aduan: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def cli_session() -> Session:
    from core.runtime.db import get_engine

    settings_or_exit()
    return Session(get_engine(), expire_on_commit=False)


def decimal(value: float, places: int = 1) -> str:
    """A number as Indonesians write it: decimal comma (12,5), as the dashboard does."""
    return f"{value:.{places}f}".replace(".", ",")
