"""Dash application factory (pages arrive with the dashboard issue)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from core.settings import Settings


def create_dash(settings: Settings) -> dash.Dash:
    app = dash.Dash(__name__, external_stylesheets=[dbc.themes.BOOTSTRAP], title="Aduan Terpadu")
    app.layout = dbc.Container([html.H1("Aduan Terpadu"), html.P("Dasbor sedang disiapkan.")])
    return app
