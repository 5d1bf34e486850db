"""Log-in, log-out and the wall TV's display-token entry: plain Flask routes beside the Dash pages.

Plain HTML forms on purpose: they work before any JavaScript loads, with password managers and the
Enter key. Every other page but the public one (/publik) needs a log-in; `gate` sends a browser without one
to /masuk and back.
"""

from __future__ import annotations

import functools
import logging
import secrets
from datetime import timedelta
from urllib.parse import quote

import flask

from core.runtime.logs import mask_url_secrets
from core.runtime.settings import Settings
from dashboard import browser_session, state
from dashboard.client import ApiError, ApiUnavailable

LOGIN_PATH = "/masuk"
DISPLAY_PATH = "/masuk/layar"
LOGOUT_PATH = "/keluar"
PASSWORD_PATH = "/masuk/sandi"
# Served without a log-in: the forms themselves, static files, and Dash's own endpoints (their data
# comes from the API, which refuses a browser without a log-in).
OPEN_PREFIXES = (LOGIN_PATH, LOGOUT_PATH, "/assets/", "/_dash-", "/_favicon.ico", "/_reload-hash", "/_alive")
# The public page (dashboard/pages/publik.py) is for everyone: it reads only the API's public routes, which are
# rate-limited per person (the dashboard forwards the browser's address).
PUBLIC_PATHS = ("/publik", "/publik/")

STALE_FORM = "Formulir kedaluwarsa atau tidak berasal dari halaman ini; silakan coba lagi."

PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Masuk — Aduan Terpadu</title>
<link rel="stylesheet" href="/assets/00_bootstrap-5.3.8.min.css">
<link rel="stylesheet" href="/assets/10_aduan.css">
</head><body class="login-body">
<main class="login-card card shadow-sm">
  <div class="card-body p-4">
    <div class="d-flex align-items-center gap-2 mb-3">
      <span class="brand-mark">AT</span>
      <div><div class="fw-bold fs-5">Aduan Terpadu</div><div class="text-muted small">{{ pemda }}</div></div>
    </div>
    {% if notice %}
    <div class="alert alert-{{ tone }} py-2" role="alert" id="login-message">{{ notice }}</div>
    {% endif %}
    {% if password_form %}
    <form method="post" action="/masuk/sandi" id="password-form">
      <input type="hidden" name="csrf" value="{{ csrf }}">
      <p class="mb-3">Ganti kata sandi untuk <strong>{{ username }}</strong>. Setelah diganti, semua sesi Anda
        berakhir dan Anda masuk lagi dengan kata sandi baru.</p>
      {% for name, label, auto in [("current", "Kata sandi saat ini", "current-password"),
                                   ("new", "Kata sandi baru (minimal 10 karakter)", "new-password"),
                                   ("repeat", "Ulangi kata sandi baru", "new-password")] %}
      <div class="mb-3">
        <label class="form-label" for="{{ name }}">{{ label }}</label>
        <input class="form-control" id="{{ name }}" name="{{ name }}" type="password" required
               autocomplete="{{ auto }}">
      </div>
      {% endfor %}
      <button class="btn btn-primary w-100" type="submit" id="password-submit">Ganti kata sandi</button>
      <a class="btn btn-link w-100 mt-1" href="/">Batal</a>
    </form>
    {% endif %}
    {% if show_form %}
    <form method="post" action="/masuk" id="login-form" autocomplete="on">
      <input type="hidden" name="csrf" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ next }}">
      <div class="mb-3">
        <label class="form-label" for="username">Nama pengguna</label>
        <input class="form-control" id="username" name="username" value="{{ username }}" required
               autocomplete="username" autocapitalize="none" {% if not username %}autofocus{% endif %}>
      </div>
      <div class="mb-3">
        <label class="form-label" for="password">Kata sandi</label>
        <input class="form-control" id="password" name="password" type="password" required
               autocomplete="current-password" {% if username %}autofocus{% endif %}>
      </div>
      <button class="btn btn-primary w-100" type="submit" id="login-submit">Masuk</button>
    </form>
    <p class="text-muted small mt-3 mb-0">Lupa kata sandi atau akun terkunci? Hubungi admin Diskominfo.</p>
    {% endif %}
  </div>
</main>
</body></html>"""


def install(server: flask.Flask, settings: Settings) -> None:
    server.secret_key = (settings.dashboard_secret.get_secret_value() if settings.dashboard_secret
                         else secrets.token_urlsafe(48))
    server.config.update(SESSION_COOKIE_NAME="aduan_sesi", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.dashboard_secure_cookies,
                         PERMANENT_SESSION_LIFETIME=timedelta(days=settings.display_token_days))
    server.before_request(gate)
    server.after_request(browser_session.save)
    server.add_url_rule(LOGIN_PATH, "login", login, methods=["GET", "POST"])
    server.add_url_rule(DISPLAY_PATH, "display_login", display_login, methods=["GET"])
    server.add_url_rule(LOGOUT_PATH, "logout", logout, methods=["POST"])
    server.add_url_rule(PASSWORD_PATH, "change_password", change_password, methods=["GET", "POST"])
    logging.getLogger("werkzeug").addFilter(_redact_tokens)


def gate():
    path = flask.request.path
    if path in PUBLIC_PATHS or path.startswith(OPEN_PREFIXES) or browser_session.current() is not None:
        return None
    if flask.request.method != "GET":
        return flask.abort(401)
    return flask.redirect(f"{LOGIN_PATH}?next={quote(flask.request.full_path.rstrip('?'), safe='/?=&')}")


def _safe_next(value: str | None) -> str:
    """Only a path on this dashboard (no open redirect to another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return "/" if value.startswith((LOGIN_PATH, LOGOUT_PATH)) else value


def _page(notice: str | None = None, tone: str = "danger", status: int = 200, show_form: bool = True,
          username: str = "", next_path: str = "/", password_form: bool = False):
    html = flask.render_template_string(PAGE, pemda=state.settings().pemda_name, notice=notice, tone=tone,
                                        show_form=show_form, username=username, next=next_path,
                                        password_form=password_form, csrf=browser_session.csrf_token())
    return flask.Response(html, status=status, headers={"Cache-Control": "no-store"})


def login():
    next_path = _safe_next(flask.request.values.get("next"))
    if flask.request.method == "GET":
        if browser_session.current() is not None:
            return flask.redirect(next_path)
        notice = ("Kata sandi sudah diganti; masuk dengan kata sandi baru." if flask.request.args.get("sandi")
                  else "Anda telah keluar." if flask.request.args.get("keluar") else None)
        return _page(notice, tone="success", next_path=next_path)
    username = (flask.request.form.get("username") or "").strip()
    password = flask.request.form.get("password") or ""
    if not browser_session.csrf_ok(flask.request.form.get("csrf")):
        return _page(STALE_FORM, status=400, username=username, next_path=next_path)
    if not username or not password:
        return _page("Isi nama pengguna dan kata sandi.", status=400, username=username, next_path=next_path)
    try:
        answer = state.client().login(username, password)
    except ApiError as exc:
        return _page(_login_failure(exc), status=exc.status or 503, username=username, next_path=next_path)
    browser_session.start(browser_session.login_data(answer))
    return flask.redirect(next_path)


def _sentence(api_text: str) -> str:
    """The API's messages start in lower case (they follow a field name there); a page shows a sentence."""
    return api_text[:1].upper() + api_text[1:]


def _login_failure(exc: ApiError) -> str:
    if isinstance(exc, ApiUnavailable):
        return exc.message
    if exc.status == 401:
        return "Nama pengguna atau kata sandi salah."
    if exc.status in (403, 423, 429) and exc.detail:  # disabled, locked until HH:MM, throttled: the API says
        return _sentence(exc.detail) + "."
    return exc.message


def display_login():
    """A wall TV opens `/masuk/layar?token=…` once; it then stays on the wall for the token's lifetime."""
    token = (flask.request.args.get("token") or "").strip()
    if not token:
        return _page("Tautan layar tidak lengkap: token tidak ada.", status=400, show_form=False)
    login = browser_session.BrowserLogin(browser_session.display_data(token, {}), browser_session.origin_headers())
    me, err = state.fetch(lambda c: c.me(), state.client().as_caller(login))
    if err is not None:
        text = "Token layar tidak berlaku (salah, kedaluwarsa, atau dicabut)." if err.status == 401 else err.message
        return _page(text, status=err.status or 503, show_form=False)
    if me.get("kind") != "key" or me.get("role") != "viewer":
        return _page("Token ini bukan token layar. Buat dengan `aduan users display-token NAMA`.", status=403,
                     show_form=False)
    browser_session.start(browser_session.display_data(token, me), permanent=True)
    return flask.redirect("/?kiosk=1")


def change_password():
    """Everyone changes the password an admin gave them; the API then ends all their log-ins."""
    login = browser_session.current()
    if login is None or login.kind != "user":
        return flask.redirect(LOGIN_PATH)
    username = login.data.get("username") or ""
    form = functools.partial(_page, show_form=False, password_form=True, username=username)
    if flask.request.method == "GET":
        return form()
    current, new = flask.request.form.get("current") or "", flask.request.form.get("new") or ""
    if not browser_session.csrf_ok(flask.request.form.get("csrf")):
        return form(STALE_FORM, status=400)
    if new != (flask.request.form.get("repeat") or ""):
        return form("Kata sandi baru dan ulangannya tidak sama.", status=400)
    _, err = state.fetch(lambda c: c.change_password(current, new))
    if err is not None:
        reason = "Kata sandi saat ini salah." if err.status == 401 else (err.detail or err.message)
        return form(_sentence(reason), status=err.status or 503)
    browser_session.end()
    return flask.redirect(f"{LOGIN_PATH}?sandi=1")


def logout():
    login = browser_session.current()
    if not browser_session.csrf_ok(flask.request.form.get("csrf")):
        return flask.redirect("/")  # a log-out button on another site must not end this log-in
    if login is not None and login.kind == "user":
        state.fetch(lambda c: c.logout(login.data.get("refresh_token")))  # ends the tokens at the API too
    browser_session.end()
    return flask.redirect(f"{LOGIN_PATH}?keluar=1")


def _redact_tokens(record: logging.LogRecord) -> bool:
    """Werkzeug's access log prints request lines; a display token in /masuk/layar?token=… must not appear
    (installed on its logger, so it holds however the dashboard is served)."""
    record.msg, record.args = mask_url_secrets(record.getMessage()), None
    return True
