"""Each channel's lifecycle (core.intake.contract.Lifecycle) as its connector declares it, with the
settings' overrides applied. Channels without a connector class (manual entry, unknown plugins) get
the default: the status is ours, the full ladder applies."""

from __future__ import annotations

from functools import lru_cache

from core.intake import registry
from core.intake.channels import channel_label
from core.intake.contract import Lifecycle
from core.runtime.settings import Settings

DEFAULT = Lifecycle()


@lru_cache
def _declared() -> dict[str, Lifecycle]:
    found: dict[str, Lifecycle] = {}
    for cls in registry.available().values():
        channel = getattr(cls, "channel", None)
        if channel and channel not in found:
            found[channel] = getattr(cls, "lifecycle", DEFAULT)
    return found


def refresh() -> None:
    _declared.cache_clear()


def lifecycle_of(channel: str, settings: Settings | None = None) -> Lifecycle:
    declared = _declared().get(channel, DEFAULT)
    if settings is not None and channel in settings.ladder_exempt:
        return Lifecycle(**{**declared.__dict__, "ladder_exempt": frozenset(settings.ladder_exempt[channel])})
    return declared


def ladder_exempt(lifecycle: Lifecycle, category_code: str | None, parent_code: str | None = None) -> bool:
    """Whether a complaint of this category is handled upstream to the end (off the ladder)."""
    exempt = lifecycle.ladder_exempt
    return "*" in exempt or bool({category_code, parent_code} & exempt)


def upstream_name(channel: str, settings: Settings | None = None) -> str:
    """Who a write-back goes to, in words: the status owner ("SP4N-LAPOR!"), else the channel ("Ulasan Google")."""
    lifecycle = lifecycle_of(channel, settings)
    return lifecycle.status_owner if lifecycle.upstream_owned else channel_label(channel)
