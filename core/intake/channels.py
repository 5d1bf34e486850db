"""Channel codes and their display labels. Channels are open: plugins and data may add more."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from models import Complaint

CHANNEL_LABELS = {
    "lapor": "SP4N-LAPOR!",
    "whatsapp": "WhatsApp",
    "call112": "Call Center 112",
    "google_reviews": "Ulasan Google",
    "manual": "Loket / Manual",
    "open311": "Open311",
}


def channel_label(code: str | None) -> str:
    if code is None:
        return "(tanpa kanal)"
    return CHANNEL_LABELS.get(code) or declared(code, "channel_label") or code.replace("_", " ").title()


def declared(channel: str, attribute: str) -> str | None:
    """What an installed connector of this channel declares (e.g. its label), if any."""
    from core.intake.registry import available

    try:
        kinds = available().values()
    except Exception:  # a broken plugin must not take labels down with it
        return None
    return next((getattr(cls, attribute) for cls in kinds
                 if getattr(cls, "channel", None) == channel and getattr(cls, attribute, None)), None)


def known_channels(session: Session) -> list[dict[str, str]]:
    """Built-in channels, those of installed connector plugins, and any seen in the data."""
    codes = dict.fromkeys(CHANNEL_LABELS)
    try:
        from core.intake.registry import available

        for cls in available().values():
            codes.setdefault(getattr(cls, "channel", None) or "", None)
    except Exception:  # a broken plugin must not take the reference list down with it
        pass
    for code in session.execute(select(Complaint.channel).distinct()).scalars():
        codes.setdefault(code, None)
    return [{"code": code, "label": channel_label(code)} for code in codes if code]
