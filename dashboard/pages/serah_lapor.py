"""Serah ke SP4N-LAPOR!: complaints from the other channels (WhatsApp, 112, walk-ins…) in the LAPOR! manual-upload
template, batches of ≤ 100, through GET /export/lapor-manual.xlsx.

The API records what it hands back (complaint.handed_back_at) and leaves it out of the next download, so a
complaint is not entered into LAPOR! twice; "Sertakan yang sudah diserahkan" downloads them again on purpose.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import components, daily, ids, state

dash.register_page(__name__, path="/serah-lapor", name="Serah ke SP4N-LAPOR!",
                   title="Serah ke SP4N-LAPOR! — Aduan Terpadu", order=8)

PATH = "/serah-lapor"
NOT_HANDED = ("lapor",)  # complaints that came from LAPOR! are there already


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed(PATH, login.role):
        return html.Div([components.page_header("Serah ke SP4N-LAPOR!"),
                         components.no_access(reason="Penyerahan ke SP4N-LAPOR! hanya untuk admin.")],
                        className="container-fluid")
    channels, err = state.reference("channels", lambda c: c.channels())
    options = [{"label": c.get("label") or c["code"], "value": c["code"]} for c in channels or []
               if c.get("code") not in NOT_HANDED]
    filters = dbc.Row([
        dbc.Col([dbc.Label("Kanal", html_for=ids.HB_CHANNEL),
                 dcc.Dropdown(id=ids.HB_CHANNEL, options=options, value=[], multi=True,
                              placeholder="Semua kanal selain SP4N-LAPOR!")], xs=12, lg=5),
        dbc.Col([dbc.Label("Diterima dari", html_for=ids.HB_FROM), _date_picker(ids.HB_FROM)], xs=6, lg=2),
        dbc.Col([dbc.Label("sampai", html_for=ids.HB_TO), _date_picker(ids.HB_TO)], xs=6, lg=2),
        dbc.Col(dbc.Switch(id=ids.HB_INCLUDE, value=False, label="Sertakan yang sudah diserahkan"),
                xs=12, lg=3, className="d-flex align-items-end pb-2"),
    ], className="g-2 mb-3")
    how = html.Ul([
        html.Li("Berkas berisi satu lembar per batch (Batch 1, Batch 2, …), masing-masing paling banyak 100 baris: "
                "batas satu unggahan manual di SP4N-LAPOR!."),
        html.Li("Setiap aduan dalam berkas dicatat sebagai sudah diserahkan (tampil di rincian aduan) dan tidak "
                "ikut lagi di unduhan berikutnya."),
        html.Li("Aduan yang ditolak atau diarsipkan tidak ikut; data pelapor anonim disamarkan sesuai aturan akses."),
    ], className="small mb-0")
    return html.Div([
        components.page_header("Serah ke SP4N-LAPOR!", "Aduan dari kanal lain (WhatsApp, 112, loket…) dalam "
                                                       "format unggah manual SP4N-LAPOR!"),
        components.error_alert(err, "Data referensi"),
        dcc.Store(id=ids.HB_VERSION, data=0),
        components.panel("Pilih aduan", [
            filters,
            html.Div(_preview_cards(None), id=ids.HB_PREVIEW, className="mb-3"),
            html.Div([
                dbc.Button("Unduh XLSX & tandai diserahkan", id=ids.HB_DOWNLOAD_BUTTON, color="primary"),
                dcc.Download(id=ids.HB_DOWNLOAD),
            ], className="d-flex gap-2 align-items-center"),
        ], className="mb-3"),
        dcc.Loading(html.Div(id=ids.HB_RESULT, className="mb-3"), type="dot"),
        components.panel("Cara kerja", how),
    ], className="container-fluid daily-page")


def _date_picker(component_id: str) -> html.Div:
    """Indonesian dates (DD/MM/YYYY, Indonesian month names: assets/moment_id.js), as on Jelajah."""
    return html.Div(dcc.DatePickerSingle(id=component_id, display_format="DD/MM/YYYY", month_format="MMMM YYYY",
                                         placeholder="HH/BB/TTTT", first_day_of_week=1, clearable=True,
                                         className="date-id"))


def _preview_cards(preview: dict | None) -> dbc.Row:
    """'Akan diserahkan' (what the next download holds) and 'Sudah diserahkan' (left out unless asked for)."""
    cards = [dbc.Card(dbc.CardBody([html.Div(label, className="kpi-label"),
                                    html.Div(value, className="kpi-value kpi-md", id=f"hb-preview-{i}"),
                                    html.Div(hint, className="kpi-hint")]),
                      className="kpi-card h-100" + (" kpi-tone-success" if i == 0 else ""))
             for i, (label, value, hint) in enumerate(daily.preview_figures(preview))]
    return dbc.Row([dbc.Col(card, xs=6, md=3) for card in cards], className="g-3")


def _reason(err) -> str:
    return err.detail if err.status == 422 and err.detail else err.message


@callback(Output(ids.HB_PREVIEW, "children"),
          Input(ids.HB_CHANNEL, "value"), Input(ids.HB_FROM, "date"), Input(ids.HB_TO, "date"),
          Input(ids.HB_INCLUDE, "value"), Input(ids.HB_VERSION, "data"))
def preview(channels, received_from, received_to, include, _version):
    params = daily.handback_params(channels, received_from, received_to, bool(include))
    counts, err = state.fetch(lambda c: c.lapor_handback_preview(params))
    if err is not None:
        return dbc.Alert(["Jumlah belum dapat dihitung: ", _reason(err)], color="warning", className="py-2 mb-0")
    return _preview_cards(counts)


@callback(Output(ids.HB_DOWNLOAD, "data"), Output(ids.HB_RESULT, "children"), Output(ids.HB_VERSION, "data"),
          Input(ids.HB_DOWNLOAD_BUTTON, "n_clicks"),
          State(ids.HB_CHANNEL, "value"), State(ids.HB_FROM, "date"), State(ids.HB_TO, "date"),
          State(ids.HB_INCLUDE, "value"), State(ids.HB_VERSION, "data"),
          running=[(Output(ids.HB_DOWNLOAD_BUTTON, "disabled"), True, False)], prevent_initial_call=True)
def download(_clicks, channels, received_from, received_to, include, version):
    params = daily.handback_params(channels, received_from, received_to, bool(include))
    before, _ = state.fetch(lambda c: c.lapor_handback_preview(params))  # how many were handed back already
    if before is not None and not before.get("rows"):  # nothing to hand back: no empty file, nothing recorded
        sentence = daily.handback_sentence(daily.handback_summary({"x-total-rows": "0"}, before, bool(include)))
        return no_update, dbc.Alert(sentence, color="secondary", id="hb-empty"), no_update
    got, err = state.fetch(lambda c: c.lapor_handback(params))
    if err is not None:
        return no_update, dbc.Alert(["Unduhan gagal: ", _reason(err)], color="danger", id="hb-failed"), no_update
    content, headers = got
    summary = daily.handback_summary(headers, before, bool(include))
    stamp = state.now().astimezone(state.tz()).strftime("%Y%m%d-%H%M")
    sentence = daily.handback_sentence(summary)
    if not summary.get("rows"):
        return no_update, dbc.Alert(sentence, color="secondary", id="hb-empty"), (version or 0) + 1
    return dcc.send_bytes(content, f"serah-lapor-{stamp}.xlsx"), dbc.Alert(
        [html.Strong("Berkas diunduh. "), sentence, html.Div(
            "Unggah setiap lembar batch di menu unggah manual SP4N-LAPOR!.", className="small mt-1")],
        color="success", id="hb-done"), (version or 0) + 1
