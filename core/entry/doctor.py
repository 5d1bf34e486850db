"""`aduan doctor`: check settings, database, schema, connectors and upstreams; say what to fix.

Every check yields one `Finding`; none raises. Output never contains a secret: URLs are shown
as scheme://host:port only and error texts are scrubbed of every configured secret value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError
from sqlalchemy import func, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from core.intake import registry
from core.intake.instances import instances_with_state
from core.intake.sync import config_problems
from core.runtime import migrate
from core.runtime.db import make_engine
from core.runtime.logs import MASK, configured_secrets
from core.runtime.partitions import missing_months
from core.runtime.settings import Settings, SettingsError, load_settings
from models import ConnectorInstance, Opd, Role, ServiceState, SyncState, User

Level = Literal["OK", "WARN", "FAIL"]
REACH_TIMEOUT_SECONDS = 5.0
USER_INFO = re.compile(r"(://[^/:@\s]*:)[^@\s]*@")  # the password in a database URL


@dataclass
class Finding:
    level: Level
    check: str
    message: str

    def line(self) -> str:
        return f"{self.level:<4} {self.check}: {self.message}"


def origin(url: str) -> str:
    """scheme://host:port of a URL, so paths, queries and user info never reach the output."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def reachable(check: str, url: str, fix: str) -> Finding:
    """Any HTTP answer proves the host is reachable (401/403: it wants credentials, as an API does); no
    answer is a failure. 404/410 at a path is a warning: something answers there, but not at this path, so
    the configured URL is probably wrong (a typo, a moved API); at a bare host ("/") it says nothing, many
    APIs have no page there. A 5xx says the upstream itself is unwell."""
    try:
        response = httpx.get(url, timeout=REACH_TIMEOUT_SECONDS, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Finding("FAIL", check, f"cannot reach {origin(url)} ({exc.__class__.__name__}); {fix}")
    code = response.status_code
    if code in (404, 410) and urlsplit(url).path.strip("/"):
        return Finding("WARN", check, f"{origin(url)} answers HTTP {code} (not found) at the configured path: "
                                      "check the path in the URL")
    if code >= 500:
        return Finding("WARN", check, f"{origin(url)} answers HTTP {code}: the upstream reports an error of its own")
    return Finding("OK", check, f"{origin(url)} answers (HTTP {code})")


def check_settings(settings: Settings) -> Iterator[Finding]:
    if settings.whatsapp_phone_number_id and settings.whatsapp_token is None:
        yield Finding("FAIL", "whatsapp", "ADUAN_WHATSAPP_PHONE_NUMBER_ID is set but ADUAN_WHATSAPP_TOKEN is not: "
                                          "set the system-user access token, or unset the phone number id")
    elif settings.whatsapp_phone_number_id:
        yield Finding("OK", "whatsapp", f"sending from phone number id {settings.whatsapp_phone_number_id}")
    else:
        yield Finding("WARN", "whatsapp", "ADUAN_WHATSAPP_PHONE_NUMBER_ID is unset: reminders wait in the outbox "
                                          "until WhatsApp sending is configured")
    if settings.dashboard_secret is None:
        yield Finding("WARN", "dashboard", "ADUAN_DASHBOARD_SECRET is unset: log-ins end whenever the dashboard "
                                           "restarts, and several dashboard processes cannot share them; set a "
                                           "random secret of 32+ characters")
    exposed = settings.api_host not in ("127.0.0.1", "localhost")
    if exposed and not settings.dashboard_secure_cookies:
        yield Finding("WARN", "dashboard", f"serving on {settings.api_host} with session cookies allowed over "
                                           "plain HTTP: put it behind TLS and set ADUAN_DASHBOARD_SECURE_COOKIES=true")
    if exposed and settings.metrics_enabled and settings.metrics_token is None:
        yield Finding("WARN", "metrics", f"/metrics is open to anyone reaching {settings.api_host}: set "
                                         "ADUAN_METRICS_TOKEN or restrict access at the proxy")


def check_database(settings: Settings, engine: Engine) -> Iterator[Finding]:
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():  # connecting would create an empty file
        yield Finding("FAIL", "database", f"{url.database} does not exist: run `aduan db upgrade` "
                                          "(or fix ADUAN_DATABASE_URL)")
        return
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # whatever the driver raises, the operator gets one line
        yield Finding("FAIL", "database", f"cannot connect to {shown} ({exc.__class__.__name__}): check "
                                          "ADUAN_DATABASE_URL and that the database server is running")
        return
    yield Finding("OK", "database", f"connected to {shown}")
    head, current = migrate.head_revision(), migrate.current_revision(engine)
    if current == head:
        yield Finding("OK", "migrations", f"schema at head ({head})")
        yield from check_schema_content(settings, engine)
    elif current is None:
        yield Finding("FAIL", "migrations", "the database has no schema: run `aduan db upgrade`")
    elif _known_revision(settings, current):
        yield Finding("FAIL", "migrations", f"schema at {current}, this version needs {head}: "
                                            "run `aduan db upgrade`")
    else:
        yield Finding("FAIL", "migrations", f"schema at {current}, unknown to this version (head {head}): "
                                            "the database was migrated by a newer aduan; upgrade this install")


def _known_revision(settings: Settings, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(migrate.alembic_config(settings.database_url)).get_revision(revision)
    except CommandError:
        return False
    return True


def check_schema_content(settings: Settings, engine: Engine) -> Iterator[Finding]:
    with Session(engine) as session:
        opds = session.exec(select(func.count()).select_from(Opd)).one()
        stored_secret = session.exec(select(ServiceState).where(ServiceState.name == "auth_secret")).first()
        admins = session.exec(select(func.count()).select_from(User).where(
            User.role == Role.admin, User.active.is_(True))).one()
    if opds:
        yield Finding("OK", "reference data", f"{opds} OPD loaded")
    else:
        yield Finding("WARN", "reference data", "no OPD in the database: run `aduan db seed`")
    if admins:
        yield Finding("OK", "users", f"{admins} active admin account(s) can log in to the dashboard")
    else:
        yield Finding("WARN", "users", "no active admin account: nobody can manage users from the dashboard or API; "
                                       "run `aduan users add USERNAME --name … --role admin`")
    if settings.auth_secret is not None:
        yield Finding("OK", "log-in", "tokens signed with ADUAN_AUTH_SECRET")
    else:
        where = "the secret stored in the database" if stored_secret else "a secret generated at the first log-in"
        yield Finding("OK", "log-in", f"ADUAN_AUTH_SECRET is unset: tokens signed with {where}")
    yield from check_partitions(engine)


def check_partitions(engine: Engine) -> Iterator[Finding]:
    """PostgreSQL: this month's and next month's partitions exist (the worker makes them ahead)."""
    if engine.dialect.name != "postgresql":
        return
    missing = missing_months(engine, months_ahead=1)
    if missing:
        yield Finding("WARN", "partitions", f"missing {', '.join(missing)}: their rows go to the DEFAULT partition; "
                                            "start `aduan worker` (it makes the months ahead every 6 hours)")
    else:
        yield Finding("OK", "partitions", "this month's and next month's partitions exist")


def check_connectors(settings: Settings, engine: Engine) -> Iterator[Finding]:
    with Session(engine) as session:
        rows = instances_with_state(session)
    if not rows:
        yield Finding("WARN", "connectors", "none configured: add one with `aduan connector add`")
    for instance, state in rows:
        yield from check_instance(instance, state, configured_secrets(settings))


def check_instance(instance: ConnectorInstance, state: SyncState | None, secrets: list[str]) -> Iterator[Finding]:
    check = f"connector {instance.name}"
    if not instance.enabled:
        yield Finding("OK", check, "disabled (not checked)")
        return
    try:
        cls = registry.get(instance.kind)
    except registry.UnknownConnector:
        yield Finding("FAIL", check, f"kind {instance.kind!r} is not installed: install its plugin "
                                     f"or switch it off with `aduan connector disable {instance.name}`")
        return
    try:
        config = cls.Config.model_validate(instance.config)
    except ValidationError as exc:
        yield Finding("FAIL", check, f"invalid config ({config_problems(exc)}): fix it with "
                                     f"`aduan connector add {instance.name} {instance.kind} --replace --config …`")
        return
    secrets = [*secrets, *(str(instance.config.get(f)) for f in cls.secret_fields if instance.config.get(f))]
    if state is not None and state.status == "error":
        yield Finding("WARN", check, f"last sync failed: {_scrub(state.last_error or '?', secrets)[:300]}")
    else:
        yield Finding("OK", check, f"{instance.kind} config valid, last sync {state.status if state else 'never'}")
    yield from check_source(check, config, getattr(cls, "probe_path", ""))


def check_source(check: str, config: Any, probe_path: str = "") -> Iterator[Finding]:
    """`probe_path`: what the connector reads below its base URL (its class's `probe_path`), if it says."""
    url = getattr(config, "base_url", None) or getattr(config, "url", None)
    if url:
        url = str(url).rstrip("/") + probe_path if probe_path else str(url)
        yield reachable(f"{check} upstream", url, "check the URL in its config, DNS and the firewall")
    folder = getattr(config, "folder", None)
    if folder and not Path(folder).is_dir():
        yield Finding("FAIL", f"{check} folder", f"{folder} is not a readable folder: create it or fix the config")


def check_read_replica(settings: Settings, primary: Engine) -> Iterator[Finding]:
    """ADUAN_READ_DATABASE_URL: reachable, a standby, and within the lag setting (else reads use the primary)."""
    if not settings.read_database_url:
        return
    from core.runtime.replica import ReadRouter, replica_engine

    where = make_url(settings.read_database_url).render_as_string(hide_password=True)
    router = ReadRouter(replica_engine(settings), settings.read_replica_max_lag_seconds, 1.0, primary=primary)
    try:
        state = router.measure()
    finally:
        router.dispose()
    if not state.reachable:
        yield Finding("WARN", "read replica", f"{where} unreachable ({state.error}): reads use the primary; check "
                      "ADUAN_READ_DATABASE_URL, that the standby runs and accepts this host in pg_hba.conf")
    elif not state.standby:
        yield Finding("WARN", "read replica", f"{where} is not a standby (not in recovery): its lag cannot be "
                      "measured; point ADUAN_READ_DATABASE_URL at a streaming replica of the primary")
    elif not state.fresh_enough(settings.read_replica_max_lag_seconds):
        yield Finding("WARN", "read replica", f"{where} is {state.lag_seconds:.1f} s behind (more than "
                      f"ADUAN_READ_REPLICA_MAX_LAG_SECONDS={settings.read_replica_max_lag_seconds:g}): reads use "
                      "the primary until it catches up; check the standby's log and pg_stat_replication")
    else:
        yield Finding("OK", "read replica", f"{where} streaming, {state.lag_seconds:.1f} s behind")


def check_whatsapp_upstream(settings: Settings) -> Iterator[Finding]:
    if settings.whatsapp_phone_number_id:
        yield reachable("whatsapp upstream", settings.whatsapp_graph_base_url,
                        "check ADUAN_WHATSAPP_GRAPH_BASE_URL, DNS, the firewall or the outgoing proxy")


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, MASK)
    return message


def run_checks(settings: Settings | None = None) -> list[Finding]:
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            shown = USER_INFO.sub(r"\1" + MASK + "@", str(exc))
            return [Finding("FAIL", "settings", f"{shown}: fix these ADUAN_* variables (environment or .env)")]
    findings = [Finding("OK", "settings", "loaded"), *check_settings(settings)]
    engine = make_engine(settings.database_url)
    try:
        findings += check_database(settings, engine)
        if any(f.check == "migrations" and f.level == "OK" for f in findings):
            findings += check_connectors(settings, engine)
        findings += check_read_replica(settings, engine)
    finally:
        engine.dispose()
    findings += check_whatsapp_upstream(settings)
    return findings
