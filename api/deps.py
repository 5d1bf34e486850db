"""Shared dependencies as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.read_source import REPLICA, choose_read_engine
from core.runtime.db import get_engine
from core.runtime.settings import Settings, get_settings


def engine_dep() -> Engine:
    return get_engine()


def session_dep(engine: Annotated[Engine, Depends(engine_dep)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(session_dep)]
EngineDep = Annotated[Engine, Depends(engine_dep)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def read_engine_dep(request: Request) -> Engine:
    """A read-only route that opens its own connections (the streamed exports): the replica while it is fresh
    enough, else the primary (api/read_source.py)."""
    return choose_read_engine(request)[0]


def read_session_dep(request: Request, primary: SessionDep) -> Iterator[Session]:
    """A read-only route's session: on the replica while it is fresh enough; otherwise the request's primary
    session itself (the one log-in used), so a read never holds two primary connections."""
    engine, source = choose_read_engine(request)
    if source != REPLICA:
        yield primary
        return
    with Session(engine, expire_on_commit=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(read_session_dep)]
ReadEngineDep = Annotated[Engine, Depends(read_engine_dep)]
