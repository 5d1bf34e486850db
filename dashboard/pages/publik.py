"""Publik: track a complaint by its code and see the kabupaten's figures, without logging in.

Served to anyone (dashboard/login.py lets /publik through). It calls only the API's public routes and always
as nobody (`state.public_client`: no one's credentials, even when staff are logged in), forwarding the
browser's address so that the API's rate limit counts each person. Most people arrive from the link in a
WhatsApp message (/publik?kode=<code>): the page is laid out for a phone first.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids, publik_view, state

dash.register_page(__name__, path="/publik", name="Publik", title="Lacak aduan — Aduan Terpadu")

FIGURE_MONTHS = 12
LACAK, ANGKA = "lacak", "angka"
TABS = ((LACAK, "Lacak aduan", ids.PUB_TAB_LACAK, ids.PUB_PANEL_LACAK),
        (ANGKA, "Angka", ids.PUB_TAB_ANGKA, ids.PUB_PANEL_ANGKA))


def layout(kode: str | None = None, tab: str | None = None, **_query) -> html.Div:
    settings = state.settings()
    code = (kode or "").strip()
    active = ANGKA if tab == ANGKA and not code else LACAK
    result, shown = _lookup(code) if code else (None, None)
    panels = {
        LACAK: [publik_view.lookup_form(code),
                html.Div(result, id=ids.PUB_RESULT, className="pub-result", **{"aria-live": "polite"})],
        ANGKA: html.Div(html.P("Memuat angka…", className="pub-help"), id=ids.PUB_FIGURES,
                        **{"aria-live": "polite"}),
    }
    return html.Div([
        html.Header([
            html.Div([html.Span("AT", className="brand-mark", **{"aria-hidden": "true"}),
                      html.Div("Layanan Aduan Masyarakat", className="pub-kicker")], className="pub-brand"),
            html.H1(settings.pemda_name, className="pub-title"),
            html.P("Lacak aduan Anda dengan kodenya, dan lihat angka penanganan aduan di kabupaten ini.",
                   className="pub-lead"),
        ], className="pub-header"),
        # WAI-ARIA tabs: buttons that say which one is shown, each controlling its panel.
        html.Div([html.Button(label, id=tab_id, type="button", role="tab", n_clicks=0,
                              className="pub-tab active" if name == active else "pub-tab",
                              **{"aria-selected": "true" if name == active else "false", "aria-controls": panel})
                  for name, label, tab_id, panel in TABS],
                 id=ids.PUB_TABS, role="tablist", className="pub-tabs", **{"aria-label": "Bagian halaman"}),
        *(html.Div(panels[name], id=panel, role="tabpanel", hidden=name != active, className="pub-panel",
                   **{"aria-labelledby": tab_id})
          for name, _, tab_id, panel in TABS),
        html.P("Halaman ini tidak pernah menampilkan nama, nomor, atau alamat pelapor, isi aduan yang bersifat "
               "rahasia, maupun isi aduan yang belum diverifikasi.", className="pub-foot"),
        dcc.Store(id=ids.PUB_ACTIVE, data=active),
        dcc.Store(id=ids.PUB_SHOWN_CODE, data=shown),
        html.Div(id=ids.PUB_URL_SYNC, hidden=True),
    ], className="pub")


def _lookup(code: str) -> tuple[Any, str | None]:
    """What the result area shows for a code, and the code as the API knows it (None when not found)."""
    code = code.strip()
    if not code:
        return publik_view.problem(None, code), None
    data, err = state.fetch(lambda c: c.public_complaint(code), state.public_client())
    if err is not None:
        return publik_view.problem(err, code), None
    return publik_view.complaint_view(data, state.tz()), data["tracking_code"]


@callback(Output(ids.PUB_RESULT, "children"), Output(ids.PUB_SHOWN_CODE, "data"),
          Input(ids.PUB_FORM, "n_submit"), State(ids.PUB_CODE, "value"), prevent_initial_call=True)
def look_up(_submitted, code):
    return _lookup(code or "")


@callback(Output(ids.PUB_ACTIVE, "data"),
          *(Output(tab_id, prop) for _, _, tab_id, _ in TABS for prop in ("className", "aria-selected")),
          *(Output(panel, "hidden") for _, _, _, panel in TABS),
          *(Input(tab_id, "n_clicks") for _, _, tab_id, _ in TABS), prevent_initial_call=True)
def switch_tab(*_clicks):
    active = next((name for name, _, tab_id, _ in TABS if tab_id == ctx.triggered_id), None)
    if active is None:
        raise PreventUpdate
    tabs = [value for name, *_ in TABS
            for value in (("pub-tab active", "true") if name == active else ("pub-tab", "false"))]
    return active, *tabs, *(name != active for name, *_ in TABS)


@callback(Output(ids.PUB_FIGURES, "children"), Input(ids.PUB_ACTIVE, "data"))
def show_figures(active):
    if active != ANGKA:
        raise PreventUpdate
    data, err = state.fetch(lambda c: c.public_figures(FIGURE_MONTHS), state.public_client())
    if err is not None:
        text = (err.detail[:1].upper() + err.detail[1:] + ".") if err.status == 429 and err.detail else err.message
        return dbc.Alert(text, color="warning", className="pub-alert")
    return publik_view.figures_view(data, state.tz())


# The address bar follows what is shown (?kode=… or ?tab=angka), so it can be shared or reloaded.
clientside_callback(ClientsideFunction("publik", "syncUrl"), Output(ids.PUB_URL_SYNC, "children"),
                    Input(ids.PUB_SHOWN_CODE, "data"), Input(ids.PUB_ACTIVE, "data"))
