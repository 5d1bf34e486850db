"""Connectors are discovered through the `aduan.connectors` entry-point group; core never imports the
`connectors` package, it only reads the declarations (core.intake.contract.Connector) it finds there."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import entry_points

from core.intake.contract import Connector

GROUP = "aduan.connectors"
KINDS = ("pull", "push", "file", "api")
log = logging.getLogger("aduan.connectors")


class UnknownConnector(KeyError):
    pass


@lru_cache
def available() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        try:
            cls = ep.load()
        except Exception:  # one broken plugin must not take the others down
            log.exception("connector plugin %s (%s) failed to load", ep.name, ep.value)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector) and getattr(cls, "kind", None) in KINDS):
            log.error("connector plugin %s (%s) is not a Connector class", ep.name, ep.value)
            continue
        found[ep.name] = cls
    return found


def refresh() -> None:
    """Forget what was discovered (after installing a plugin in a running process, in tests)."""
    available.cache_clear()


def get(kind: str) -> type[Connector]:
    try:
        return available()[kind]
    except KeyError:
        known = ", ".join(sorted(available())) or "none"
        raise UnknownConnector(f"unknown connector kind {kind!r} (available: {known})") from None


def of_kind(cls: type[Connector] | None, kind: str) -> bool:
    return cls is not None and getattr(cls, "kind", None) == kind
