"""The labels the API serves (GET /channels, GET /statuses), for pure shaping tests without a server."""

from __future__ import annotations

from api.routes.reference import list_statuses
from core.intake.channels import CHANNEL_LABELS
from dashboard.shaping import Labels

LABELS = Labels.from_api([{"code": code, "label": label} for code, label in CHANNEL_LABELS.items()],
                         [status.model_dump(mode="json") for status in list_statuses(None)])
