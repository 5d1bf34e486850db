"""Shared dependencies as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine
from sqlmodel import Session

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
