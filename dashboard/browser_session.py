"""Who is using this browser: a person's log-in or a wall TV's display token, kept in the dashboard's
signed, HttpOnly session cookie and sent to the API on their behalf.

The dashboard decides nothing about access: it forwards the person's own token, so the API alone decides
what they see. An access token lives minutes; it is refreshed shortly before it expires (or when the API
says it has), and the cookie is rewritten after the request. When the log-in is over (logged out, disabled,
expired) the cookie is cleared and the next page asks the person to log in again.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import flask
import httpx

SESSION_KEY = "login"
CSRF_KEY = "csrf"
BROWSER_ID_KEY = "sid"
REFRESH_MARGIN_SECONDS = 60
_G_KEY = "aduan_login"


def origin_headers() -> dict[str, str]:
    """The browser's address and agent, so the API's audit log and log-in throttling see the person, not us."""
    request = flask.request
    headers = {"User-Agent": (request.user_agent.string or "browser")[:200] + " via aduan-dashboard"}
    if request.remote_addr:
        headers["X-Forwarded-For"] = request.remote_addr
    return headers


@dataclass
class BrowserLogin:
    """One browser's credentials for this request (implements `dashboard.client.Credentials`)."""

    data: dict[str, Any]
    origin: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    ended: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def kind(self) -> str:
        return self.data.get("kind", "user")

    @property
    def role(self) -> str:
        return self.data.get("role", "viewer")

    @property
    def opd_code(self) -> str | None:
        return self.data.get("opd_code")

    def _bearer(self) -> dict[str, str]:
        return {**self.origin, "Authorization": f"Bearer {self.data['access_token']}"}

    def headers(self, http: httpx.Client) -> dict[str, str]:
        if self.kind == "user" and self.data.get("expires_at", 0) - time.time() < REFRESH_MARGIN_SECONDS:
            self.refresh(http, None)
        return self._bearer()

    def refresh(self, http: httpx.Client, rejected: dict[str, str] | None) -> bool:
        with self._lock:  # the page's parallel API calls share this object
            if rejected is not None and rejected.get("Authorization") != self._bearer()["Authorization"]:
                return True  # another call refreshed meanwhile
            if self.ended or self.kind != "user" or not self.data.get("refresh_token"):
                self.ended = rejected is not None
                return False
            try:
                response = http.post("/auth/refresh", json={"refresh_token": self.data["refresh_token"]},
                                     headers=self.origin)
            except httpx.HTTPError:
                return False  # the API is away: keep the log-in, the page shows the outage
            if response.status_code != 200:
                self.ended = True
                return False
            self.data = login_data(response.json())
            self.changed = True
            return True


@dataclass
class Anonymous:
    """No log-in yet (the log-in form itself): only the browser's origin is forwarded."""

    origin: dict[str, str]

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return dict(self.origin)

    def refresh(self, http: httpx.Client, rejected: dict[str, str] | None) -> bool:
        return False


def login_data(token_answer: dict[str, Any]) -> dict[str, Any]:
    """What the cookie keeps from POST /auth/login or /auth/refresh."""
    user = token_answer.get("user") or {}
    return {"kind": "user", "access_token": token_answer["access_token"],
            "refresh_token": token_answer["refresh_token"],
            "expires_at": time.time() + int(token_answer.get("expires_in", 0)),
            "name": user.get("name"), "username": user.get("username"), "role": user.get("role"),
            "opd_code": user.get("opd_code")}


def display_data(token: str, me: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "display", "access_token": token, "name": me.get("name"), "role": me.get("role"),
            "opd_code": me.get("opd_code"), "opd_name": me.get("opd_name")}


def current() -> BrowserLogin | None:
    """This request's log-in (None outside a request or before log-in)."""
    if not flask.has_request_context():
        return None
    if _G_KEY not in flask.g:
        data = flask.session.get(SESSION_KEY)
        setattr(flask.g, _G_KEY, BrowserLogin(dict(data), origin_headers()) if data else None)
    return flask.g.get(_G_KEY)


def credentials() -> BrowserLogin | Anonymous | None:
    login = current()
    if login is not None:
        return login
    return Anonymous(origin_headers()) if flask.has_request_context() else None


def csrf_token() -> str:
    """The form token of this browser (its forms post it back; another site's forms can't know it)."""
    if CSRF_KEY not in flask.session:
        flask.session[CSRF_KEY] = secrets.token_urlsafe(24)
    return flask.session[CSRF_KEY]


def browser_id() -> str | None:
    """A random id of this browser's log-in session (None outside a request). Not a secret: it only keys
    what the dashboard keeps per person between requests, such as the Jelajah grid's cursors."""
    if not flask.has_request_context():
        return None
    if BROWSER_ID_KEY not in flask.session:
        flask.session[BROWSER_ID_KEY] = secrets.token_urlsafe(12)
    return flask.session[BROWSER_ID_KEY]


def csrf_ok(sent: str | None) -> bool:
    expected = flask.session.get(CSRF_KEY)
    return bool(sent and expected and hmac.compare_digest(sent, expected))


def start(data: dict[str, Any], permanent: bool = False) -> None:
    flask.session.clear()
    flask.session[SESSION_KEY] = data
    flask.session[BROWSER_ID_KEY] = secrets.token_urlsafe(12)
    flask.session.permanent = permanent
    flask.g.pop(_G_KEY, None)


def end() -> None:
    flask.session.clear()
    flask.g.pop(_G_KEY, None)


def save(response: flask.Response) -> flask.Response:
    """After each request: keep refreshed tokens, forget a log-in the API ended."""
    login = flask.g.get(_G_KEY)
    if login is not None and login.ended:
        flask.session.pop(SESSION_KEY, None)
    elif login is not None and login.changed:
        flask.session[SESSION_KEY] = login.data
    return response
