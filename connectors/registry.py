"""Connectors are discovered through the `aduan.connectors` entry-point group."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from connectors.base import Connector

GROUP = "aduan.connectors"


class UnknownConnector(KeyError):
    pass


@lru_cache
def available() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        found[ep.name] = cls
    return found


def get(kind: str) -> type[Connector]:
    try:
        return available()[kind]
    except KeyError:
        known = ", ".join(sorted(available())) or "none"
        raise UnknownConnector(f"unknown connector kind {kind!r} (available: {known})") from None
