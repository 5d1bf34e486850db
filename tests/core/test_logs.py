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


def test_access_lines_go_to_their_file_without_colour_codes_and_the_terminal_stays_quiet(monkeypatch, tmp_path):
    from core.runtime.logs import ACCESS_LOGGERS, access_log_to_file

    monkeypatch.chdir(tmp_path)
    settings = load_settings(log_format="json", log_level="WARNING")
    root = logging.getLogger()
    level = root.level
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in ACCESS_LOGGERS}
    terminal = io.StringIO()
    handler = configure_logging(settings, stream=terminal)
    access = access_log_to_file(settings, tmp_path / "var" / "access.log")
    try:
        # werkzeug colours its access lines for a terminal
        logging.getLogger("werkzeug").info('127.0.0.1 - - "\x1b[36mGET /assets/a.css HTTP/1.1\x1b[0m" 304 -')
        logging.getLogger("aduan.access").info("GET /api/v1/complaints 200 3.1 ms")
        logging.getLogger("aduan.test").warning("still on the terminal")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, (lvl, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.removeHandler(access)
            logger.setLevel(lvl)
            logger.propagate = propagate
        access.close()
    lines = [json.loads(line) for line in (tmp_path / "var" / "access.log").read_text().splitlines()]
    assert [line["message"] for line in lines] == ['127.0.0.1 - - "GET /assets/a.css HTTP/1.1" 304 -',
                                                   "GET /api/v1/complaints 200 3.1 ms"]
    assert "GET" not in terminal.getvalue() and "still on the terminal" in terminal.getvalue()
