"""Serve the API (uvicorn) and the dashboard (WSGI) side by side on localhost.

With `workers` > 1 (ADUAN_API_WORKERS, `aduan serve --workers N`) uvicorn's supervisor starts N API processes
that share the one listening socket (the kernel hands each connection to one of them); the dashboard stays a
thread of the supervising process. What the processes must agree on lives in the database: log-in lock-outs
and throttles (core.identity.throttle), the outbox claim (SKIP LOCKED), the token secret. Prometheus counters
go to files in a fresh PROMETHEUS_MULTIPROC_DIR made here before the workers start, summed at each scrape
(api.metrics). SQLite is refused with several processes: its one writer would make them queue on each other.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import uvicorn
from sqlalchemy.engine import make_url
from uvicorn.supervisors import Multiprocess
from werkzeug.serving import make_server

from core.intake.tabular import stop_parsers
from core.runtime.logs import access_log_to_file, configure_logging
from core.runtime.settings import Settings, SettingsError, get_settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ApiServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame) -> None:
        # uvicorn waits for requests in flight: one waiting on an XLSX worker must not hold up the shutdown.
        stop_parsers()
        super().handle_exit(sig, frame)


def check_workers(settings: Settings, workers: int) -> None:
    """Raise SettingsError when `workers` API processes can't run on this database."""
    if workers < 1:
        raise SettingsError(f"--workers must be at least 1 (got {workers})")
    if workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        raise SettingsError(
            f"{workers} API processes need PostgreSQL: SQLite lets one process write at a time, so the others would "
            "wait on its lock and time out. Use --workers 1 (or ADUAN_API_WORKERS=1) with SQLite, or set "
            "ADUAN_DATABASE_URL=postgresql+psycopg://…")


def worker_app():
    """The app factory each API process imports (`core.entry.serve:worker_app`, uvicorn `factory=True`).

    Runs in the worker, after uvicorn installed its signal handlers: settings come from the environment the
    supervisor passed on."""
    from api.main import create_app

    settings = get_settings()
    configure_logging(settings)
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if callable(previous):
            signal.signal(sig, _stopping_parsers(previous))
    app = create_app()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        # At the end of a graceful shutdown (uvicorn then re-raises the signal, so atexit would not run): this
        # process's live gauges leave the sum. Its counters stay, as Prometheus expects of counters.
        pid = os.getpid()
        app.router.add_event_handler("shutdown", lambda: multiprocess.mark_process_dead(pid))
    return app


def _stopping_parsers(previous):
    def handler(sig, frame):
        # As ApiServer.handle_exit: a request waiting on an XLSX worker must not hold up the shutdown.
        stop_parsers()
        previous(sig, frame)

    return handler


def _serve_workers(settings: Settings, workers: int) -> None:
    """N uvicorn processes on one socket, supervised from this process (which keeps serving the dashboard)."""
    owned = None
    if not os.environ.get(MULTIPROC_ENV):
        owned = tempfile.mkdtemp(prefix="aduan-prometheus-")
        os.environ[MULTIPROC_ENV] = owned  # before the workers are spawned: they inherit it
    else:  # the operator's directory: wiped, as prometheus_client asks, so old processes' counts don't add up
        directory = Path(os.environ[MULTIPROC_ENV])
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    config = uvicorn.Config("core.entry.serve:worker_app", factory=True, workers=workers, host=settings.api_host,
                            port=settings.api_port, log_level="warning", log_config=None, access_log=False,
                            proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies)
    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        if owned:
            shutil.rmtree(owned, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)


def serve_all(settings: Settings, api_only: bool = False, dashboard_only: bool = False,
              ready_message: str | None = None, access_log: Path | None = None, workers: int = 1) -> None:
    """`access_log`: write the per-request lines there instead of the terminal (one API process only);
    `workers`: API processes (more than 1 needs PostgreSQL)."""
    if not dashboard_only:
        check_workers(settings, workers)
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

    print(f"API:       {base}:{settings.api_port}/api/v1  (docs: {base}:{settings.api_port}/docs)"
          + (f"  {workers} processes" if workers > 1 else ""), flush=True)
    if ready_message:
        print(ready_message, flush=True)
    try:
        if workers > 1:
            _serve_workers(settings, workers)
        else:
            _serve_one(settings)
    finally:
        if dash_server:
            dash_server.shutdown()


def _serve_one(settings: Settings) -> None:
    from api.main import create_app

    api_server = ApiServer(
        # log_config=None keeps our handler; uvicorn's access log would print raw query strings.
        uvicorn.Config(create_app(), host=settings.api_host, port=settings.api_port, log_level="warning",
                       log_config=None, access_log=False, proxy_headers=True,
                       forwarded_allow_ips=settings.trusted_proxies)
    )
    api_server.run()
