"""Dash application factory: a multi-page app that reads only the REST API.

Everything the browser loads is served by this process (Bootstrap CSS and Plotly's basic bundle vendored in
assets/, AG Grid and Dash's own bundles with `serve_locally`): the command room may have no internet. The basic
bundle (scatter, bar, pie: every chart here) is a third of the full plotly.js that dcc.Graph would fetch, which
took the wall's browser about a second to read before any chart could draw. Upgrading plotly.py: `npm pack
plotly.js-basic-dist-min@<its plotly.js version>`, then its plotly-basic.min.js becomes
assets/00_plotly-basic-<version>.min.js (tests/dashboard/test_app.py checks the two agree).
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask
from dash import ClientsideFunction, Input, Output, State, dcc, html

from core.runtime.settings import Settings
from dashboard import browser_session, components, ids, login, media, state

HERE = Path(__file__).parent


def create_dash(settings: Settings) -> dash.Dash:
    state.configure(settings)
    app = dash.Dash(
        "dashboard",  # a package name: pages import as dashboard.pages.* (once, whoever imports them)
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        title="Aduan Terpadu",
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # The page's language for screen readers and the browser (WCAG 3.1.1): Dash's own template has none.
    app.index_string = dash.dash._default_index.replace("<html>", '<html lang="id">', 1)
    login.install(app.server, settings)
    media.install(app.server)  # reporters' photos, relayed with the person's log-in

    def shell() -> html.Div:  # per page load: the menu and the user chip follow who is logged in
        # Nobody logged in can only be on the public page (login.gate), which has a header of its own.
        menu = components.navbar(settings.pemda_name, state.login(), _csrf()) if state.login() else None
        return html.Div([
            dcc.Location(id=ids.URL, refresh=False),
            html.Div(menu, id=ids.NAVBAR),
            html.Main(dash.page_container, className="app-main"),
        ], className="app-shell", lang="id")

    app.layout = shell
    app.server.after_request(_no_store)
    # Kiosk mode (?kiosk=1) and the public page hide navigation; done in the browser so the TV never shows it
    # flashing.
    app.clientside_callback(ClientsideFunction("aduan", "kioskClass"), Output(ids.NAVBAR, "className"),
                            Input(ids.URL, "search"), Input(ids.URL, "pathname"))
    app.clientside_callback("(n, open) => n ? !open : open", Output("app-navbar-collapse", "is_open"),
                            Input("app-navbar-toggler", "n_clicks"), State("app-navbar-collapse", "is_open"),
                            prevent_initial_call=True)
    return app


def _csrf() -> str:
    return browser_session.csrf_token() if state.login() else ""  # state.login(): None outside a request


def _no_store(response):
    """The layout carries the form token and the person's name: no shared cache may keep it."""
    if flask.has_request_context() and flask.request.path == "/_dash-layout":
        response.headers["Cache-Control"] = "no-store"
    return response
