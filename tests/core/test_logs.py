"""Log setup: JSON or text lines with the request id; configured secrets are masked."""

import io
import json
import logging

from core.runtime.logs import configure_logging
from core.runtime.settings import load_settings


def test_configured_secrets_are_masked_even_if_code_logs_them(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    secret = "EAAG-whatsapp-token-jangan-bocor"
    settings = load_settings(whatsapp_token=secret, log_format="text")
    buffer, root = io.StringIO(), logging.getLogger()
    level = root.level
    handler = configure_logging(settings, stream=buffer)
    try:
        logging.getLogger("aduan.test").warning("sending with %s", secret)
        logging.getLogger("werkzeug").info('"GET /masuk/layar?token=layar-rahasia HTTP/1.1" 200 -')
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    out = buffer.getvalue()
    assert secret not in out and "layar-rahasia" not in out
    assert "sending with ***" in out and "token=***" in out


def test_configuring_again_replaces_the_handler_and_json_lines_parse(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    first = configure_logging(load_settings(log_format="text"), stream=io.StringIO())
    buffer = io.StringIO()
    second = configure_logging(load_settings(log_format="json", log_level="WARNING"), stream=buffer)
    try:
        assert first not in root.handlers and second in root.handlers
        logging.getLogger("aduan.test").info("not shown")
        logging.getLogger("aduan.test").warning("shown %d", 1, extra={"connector": "lapor1"})
    finally:
        root.removeHandler(second)
        root.setLevel(level)
    assert root.handlers == before
    [line] = [json.loads(x) for x in buffer.getvalue().splitlines()]
    assert line["message"] == "shown 1" and line["connector"] == "lapor1" and line["request_id"] is None
