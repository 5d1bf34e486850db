"""Unggah aduan: a batch of ≤ 100 complaints from the template (CSV or XLSX), through POST /complaints/import.

The API checks every row first; one bad row and nothing is written (unless the petugas asks to keep the good
ones). Its row-numbered report is shown as a table: row, column, message.
"""

from __future__ import annotations

import base64
import binascii

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import components, daily, ids, shaping, state

dash.register_page(__name__, path="/unggah", name="Unggah aduan", title="Unggah aduan — Aduan Terpadu", order=7)

PATH = "/unggah"


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed(PATH, login.role):
        return html.Div([components.page_header("Unggah aduan"),
                         components.no_access(reason="Unggah aduan hanya untuk petugas pelayanan dan admin.")],
                        className="container-fluid")
    limit = state.settings().manual_import_max_rows
    steps = html.Ol([
        html.Li(["Unduh templat, lalu isi satu aduan per baris (lembar ", html.Code("Aduan"), "). Kolom ",
                 html.Code("judul"), " dan ", html.Code("isi"), " wajib; kategori, OPD, kecamatan dan desa "
                 "dipilih dari daftar di templat."]),
        html.Li(f"Paling banyak {limit} aduan per berkas (batas SP4N-LAPOR!). Bagi berkas yang lebih besar."),
        html.Li("Unggah berkas CSV atau XLSX. Semua baris diperiksa lebih dulu: bila satu baris saja bermasalah, "
                "tidak ada baris yang disimpan, dan daftar kesalahannya tampil di bawah."),
    ], className="mb-0")
    return html.Div([
        components.page_header(f"Unggah aduan (maks. {limit} baris)",
                               "Aduan yang dicatat di buku register atau formulir kertas, sekaligus satu berkas",
                               [dbc.Button("Unduh templat XLSX", id=ids.UP_TEMPLATE, color="success", outline=True),
                                dcc.Download(id=ids.UP_DOWNLOAD)], scoped=False),
        dbc.Row([
            dbc.Col(components.panel("Langkah", steps), xs=12, xl=5, className="mb-3"),
            dbc.Col(components.panel("Berkas", [
                dcc.Upload(id=ids.UP_UPLOAD, multiple=False, accept=".csv,.xlsx,text/csv,application/vnd."
                                                                     "openxmlformats-officedocument.spreadsheetml.sheet",
                           children=html.Div([html.Div("Tarik berkas ke sini atau klik untuk memilih",
                                                       className="fw-semibold"),
                                              html.Div("CSV atau XLSX dari templat", className="small text-muted")]),
                           className="upload-drop"),
                dbc.Switch(id=ids.UP_PARTIAL, value=False, className="mt-3",
                           label="Simpan baris yang benar saja dan lewati baris bermasalah"),
                html.Div(id=ids.UP_FILE, className="small text-muted"),
            ]), xs=12, xl=7, className="mb-3"),
        ], className="g-3"),
        dcc.Loading(html.Div([html.Div(id=ids.UP_RESULT), html.Div(id=ids.UP_ERRORS)]), type="dot"),
    ], className="container-fluid daily-page")


@callback(Output(ids.UP_DOWNLOAD, "data"), Output(ids.UP_RESULT, "children", allow_duplicate=True),
          Input(ids.UP_TEMPLATE, "n_clicks"), prevent_initial_call=True)
def download_template(_clicks):
    content, err = state.fetch(lambda c: c.import_template())
    if err:
        return no_update, components.error_alert(err, "Unduh templat")
    return dcc.send_bytes(content, "templat-aduan.xlsx"), no_update


def _decode(contents: str) -> bytes | None:
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        return None


@callback(Output(ids.UP_RESULT, "children"), Output(ids.UP_ERRORS, "children"), Output(ids.UP_FILE, "children"),
          Output(ids.UP_UPLOAD, "contents"),
          Input(ids.UP_UPLOAD, "contents"), State(ids.UP_UPLOAD, "filename"), State(ids.UP_PARTIAL, "value"),
          prevent_initial_call=True)
def upload(contents, filename, partial):
    if not contents:
        return no_update, no_update, no_update, no_update
    content = _decode(contents)
    shown = f"Berkas: {filename or 'tanpa nama'}"
    if content is None:
        return dbc.Alert("Berkas tidak dapat dibaca browser; coba pilih lagi.", color="danger"), None, shown, None
    answer, err = state.fetch(lambda c: c.import_complaints(filename or "unggahan.csv", content, bool(partial)))
    if err is not None and err.status not in (413, 415, 422):
        return components.error_alert(err, "Unggah aduan"), None, shown, None
    report = daily.upload_report(_report_body(err) if err else answer, err.status if err else 200)
    return _summary(report, partial), _tables(report), f"{shown} · {max(1, round(len(content) / 1024))} KB", None


def _report_body(err):
    """A refused file says {"message", "errors": []}; bad rows come as the full row report."""
    payload = err.payload
    if isinstance(payload, dict):
        return payload
    return err.detail or err.message


def _summary(report: dict, partial: bool) -> dbc.Alert:
    if report["ok"]:
        return dbc.Alert([html.Strong("Berhasil. "), report["message"]], color="success", id="up-ok")
    if report["saved"]:  # partial: the good rows were kept
        return dbc.Alert([html.Strong("Sebagian disimpan. "), report["message"]], color="warning", id="up-partial-ok")
    bad_rows = len({e["row"] for e in report["errors"]})
    return dbc.Alert([
        html.Div([html.Strong(daily.NOTHING_SAVED), " ", report["message"]]),
        html.Div(f"{shaping.fmt_int(bad_rows)} baris bermasalah; perbaiki berkas lalu unggah ulang."
                 if bad_rows else "Perbaiki berkas lalu unggah ulang.", className="small mt-1"),
    ], color="danger", id="up-failed")


def _tables(report: dict) -> html.Div:
    parts = []
    if report["errors"]:
        parts.append(components.panel(
            f"Kesalahan per baris ({shaping.fmt_int(len(report['errors']))})",
            dbc.Table([html.Thead(html.Tr([html.Th("Baris", style={"width": "6rem"}),
                                           html.Th("Kolom", style={"width": "14rem"}), html.Th("Pesan")])),
                       html.Tbody([html.Tr([html.Td(e["row"]), html.Td(e["column"]), html.Td(e["message"])])
                                   for e in report["errors"]])],
                      size="sm", striped=True, hover=True, className="mb-0", id="up-error-table"),
            "nomor baris seperti di spreadsheet (baris 1 = judul kolom)", className="mb-3"))
    if report["created"]:
        parts.append(components.panel(
            f"Aduan tersimpan ({shaping.fmt_int(len(report['created']))})",
            dbc.Table([html.Thead(html.Tr([html.Th("Baris", style={"width": "6rem"}), html.Th("Kode pelacakan"),
                                           html.Th("Keterangan")])),
                       html.Tbody([html.Tr([html.Td(c["row"]),
                                            html.Td(html.A(c["code"], href=daily.complaint_link(c["code"]))),
                                            html.Td(c["outcome"])]) for c in report["created"]])],
                      size="sm", striped=True, className="mb-0", id="up-created-table"), className="mb-3"))
    return html.Div(parts)
