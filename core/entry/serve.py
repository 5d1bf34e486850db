"""Serve the API (uvicorn) and the dashboard (WSGI) side by side on localhost."""

from __future__ import annotations

import threading
from pathlib import Path

import uvicorn
from werkzeug.serving import make_server

from core.intake.tabular import stop_parsers
from core.runtime.logs import access_log_to_file, configure_logging
from core.runtime.settings import Settings


class ApiServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame) -> None:
        # uvicorn waits for requests in flight: one waiting on an XLSX worker must not hold up the shutdown.
        stop_parsers()
        super().handle_exit(sig, frame)


def serve_all(settings: Settings, api_only: bool = False, dashboard_only: bool = False,
              ready_message: str | None = None, access_log: Path | None = None) -> None:
    """`access_log`: write the per-request lines there instead of the terminal."""
    configure_logging(settings)
    if access_log is not None:
        access_log_to_file(settings, access_log)
    base = f"http://{settings.api_host}"
    dash_server = None
    if not api_only:
        from dashboard.app import create_dash

        dash_app = create_dash(settings)
        dash_server = make_server(settings.api_host, settings.dashboard_port, dash_app.server, threaded=True)
        print(f"Dashboard: {base}:{settings.dashboard_port}/", flush=True)
        if dashboard_only:
            dash_server.serve_forever()
            return
        threading.Thread(target=dash_server.serve_forever, daemon=True, name="dashboard").start()

    from api.main import create_app

    api_server = ApiServer(
        # log_config=None keeps our handler; uvicorn's access log would print raw query strings.
        uvicorn.Config(create_app(), host=settings.api_host, port=settings.api_port, log_level="warning",
                       log_config=None, access_log=False, proxy_headers=True,
                       forwarded_allow_ips=settings.trusted_proxies)
    )
    print(f"API:       {base}:{settings.api_port}/api/v1  (docs: {base}:{settings.api_port}/docs)", flush=True)
    if ready_message:
        print(ready_message, flush=True)
    try:
        api_server.run()
    finally:
        if dash_server:
            dash_server.shutdown()
