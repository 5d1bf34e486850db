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
from pathlib import Path
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
# Terminal colour codes (werkzeug colours its access lines): escaped in JSON they are noise, so never logged.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Per-request lines: the API's access log and the dashboard server's (werkzeug).
ACCESS_LOGGERS = ("aduan.access", "werkzeug")


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
        masked = mask_url_secrets(ANSI_ESCAPE.sub("", message))
        for secret in self.secrets:
            masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _OurHandler(logging.StreamHandler):
    """Marks the handler this module installed, so configuring again replaces it."""


class _AccessFile(logging.FileHandler):
    """Marks the access-log file handler, so diverting again replaces it."""


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
    handler.setFormatter(_formatter(settings))
    handler.addFilter(RequestContext(configured_secrets(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore"):  # they log every request URL, query string included
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


def _formatter(settings: Settings) -> logging.Formatter:
    if settings.log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT)


def access_log_to_file(settings: Settings, path: Path) -> logging.Handler:
    """Send the per-request lines to `path` only (not the terminal), e.g. for the demo, whose terminal
    keeps the log-ins and links readable; other lines still go where `configure_logging` sends them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _AccessFile(path, encoding="utf-8")
    handler.setFormatter(_formatter(settings))
    handler.addFilter(RequestContext(configured_secrets(settings)))
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _AccessFile)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler
