"""Audit: who did what, when, from where — every write, import, configuration change and log-in (admins)."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import components, ids, shaping, state

dash.register_page(__name__, path="/audit", name="Audit", title="Jejak audit — Aduan Terpadu", order=5)

LIMIT = 500
COLUMNS = [
    {"field": "at", "headerName": "Waktu (WIB)", "width": 170, "pinned": "left"},
    {"field": "actor", "headerName": "Pelaku", "flex": 1, "minWidth": 220},
    {"field": "role", "headerName": "Peran", "width": 110},
    {"field": "action", "headerName": "Aksi", "width": 190},
    {"field": "target", "headerName": "Sasaran", "width": 160},
    {"field": "outcome", "headerName": "Hasil", "width": 110, "cellStyle": {"styleConditions": [
        {"condition": "params.data && params.data.outcome_code !== 'ok'",
         "style": {"color": "#9b2a1f", "fontWeight": 700}}]}},
    {"field": "status", "headerName": "HTTP", "width": 90},
    {"field": "ip", "headerName": "Alamat IP", "width": 140},
    {"field": "message", "headerName": "Keterangan", "flex": 1, "minWidth": 180},
    {"field": "request_id", "headerName": "ID permintaan", "width": 170},
]
OUTCOMES = [{"label": label, "value": code} for code, label in shaping.OUTCOME_LABELS.items()]
FILTERS = [Input(ids.AUDIT_ACTOR, "value"), Input(ids.AUDIT_ACTION, "value"), Input(ids.AUDIT_OUTCOME, "value"),
           Input(ids.AUDIT_SINCE, "value"), Input(ids.AUDIT_UNTIL, "value")]


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed("/audit", login.role):
        return html.Div([components.page_header("Jejak audit"),
                         components.no_access(reason="Jejak audit hanya dapat dibuka oleh admin.")],
                        className="container-fluid")
    return html.Div([
        components.page_header("Jejak audit", "Setiap perubahan, unggahan, konfigurasi dan log-in: siapa, kapan, "
                                              "apa, dari mana. Tidak dapat diubah."),
        dbc.Row([
            dbc.Col([dbc.Label("Pelaku", html_for=ids.AUDIT_ACTOR),
                     dbc.Input(id=ids.AUDIT_ACTOR, debounce=True, placeholder="user:12, key:3, username:budi")],
                    xs=12, md=6, xl=3),
            dbc.Col([dbc.Label("Aksi", html_for=ids.AUDIT_ACTION),
                     dbc.Input(id=ids.AUDIT_ACTION, debounce=True, placeholder="auth. · user. · key. · act")],
                    xs=12, md=6, xl=3),
            dbc.Col([dbc.Label("Hasil", html_for=ids.AUDIT_OUTCOME),
                     dbc.Select(id=ids.AUDIT_OUTCOME, options=[{"label": "Semua", "value": "all"}, *OUTCOMES],
                                value="all")], xs=12, md=4, xl=2),
            dbc.Col([dbc.Label("Dari", html_for=ids.AUDIT_SINCE), dbc.Input(id=ids.AUDIT_SINCE, type="date")],
                    xs=6, md=4, xl=2),
            dbc.Col([dbc.Label("Sampai", html_for=ids.AUDIT_UNTIL), dbc.Input(id=ids.AUDIT_UNTIL, type="date")],
                    xs=6, md=4, xl=2),
        ], className="g-2 filter-bar mb-3"),
        html.Div(id=ids.AUDIT_ERROR),
        html.Div("…", id=ids.AUDIT_COUNT, className="mb-2 fw-bold text-primary-emphasis"),
        dag.AgGrid(id=ids.AUDIT_GRID, columnDefs=COLUMNS, rowData=[], className="ag-theme-alpine",
                   defaultColDef={"sortable": True, "resizable": True, "filter": True},
                   dashGridOptions={"pagination": True, "paginationPageSize": 50,
                                    "localeText": components.grid_locale("Tidak ada entri yang cocok")},
                   style={"height": "640px", "width": "100%"}),
    ], className="container-fluid")


@callback(Output(ids.AUDIT_GRID, "rowData"), Output(ids.AUDIT_COUNT, "children"), Output(ids.AUDIT_ERROR, "children"),
          *FILTERS)
def show_entries(actor, action, outcome, since, until):
    params = {"actor": (actor or "").strip(), "action": (action or "").strip(),
              "outcome": None if outcome == "all" else outcome,
              "since": since, "until": until}
    page, err = state.fetch(lambda c: c.audit(params, LIMIT))
    if err:
        return [], "–", components.error_alert(err, "Jejak audit")
    items = page.get("items") or []
    more = f" ({LIMIT} terbaru; persempit filter untuk yang lebih lama)" if page.get("next_before_id") else ""
    return shaping.audit_rows(items, state.tz()), f"{shaping.fmt_int(len(items))} entri{more}", None
