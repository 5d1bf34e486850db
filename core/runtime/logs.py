"""Process-wide logging: one JSON object per line (or plain text), each carrying the request id.

The request id is the one `asgi-correlation-id` keeps for the request being served (also sent back
as X-Request-ID), so an access line, an error and its audit entry can be joined. Configured secret
values and `token=`-like URL parameters are masked in every line as a last line of defence; code must
not log them in the first place.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO

from asgi_correlation_id import correlation_id
from pydantic import SecretStr
from pythonjsonlogger.json import JsonFormatter

from core.runtime.settings import Settings
from core.runtime.settings_doc import is_secret

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
MASK = "***"
SECRET_NAMES = r"token|key|secret|password|signature|auth"  # parameter names whose values are never logged
SECRET_NAME = re.compile(SECRET_NAMES, re.I)
# `?token=…` in a logged URL, e.g. werkzeug's access line for the wall display's `/masuk/layar?token=`.
SECRET_PARAM = re.compile(rf"([?&][^=&\s]*(?:{SECRET_NAMES})[^=&\s]*=)[^&\s\"']+", re.I)


def mask_url_secrets(text: str) -> str:
    return SECRET_PARAM.sub(r"\1" + MASK, text)


class RequestContext(logging.Filter):
    """Adds `request_id` to every record and masks known secret values in the message."""

    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = [s for s in secrets or [] if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = correlation_id.get()
        message = record.getMessage()
        masked = mask_url_secrets(message)
        for secret in self.secrets:
            masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _OurHandler(logging.StreamHandler):
    """Marks the handler this module installed, so configuring again replaces it."""


def configured_secrets(settings: Settings) -> list[str]:
    """Values of every setting the configuration reference treats as secret (SecretStr, *_token, *_key…)."""
    out = []
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        if is_secret(name, field) and value:
            out.append(value.get_secret_value() if isinstance(value, SecretStr) else str(value))
    return out


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Install the root handler (replacing one installed before) and return it."""
    handler = _OurHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                                       "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestContext(configured_secrets(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore"):  # they log every request URL, query string included
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
