"""OPD: the rapor table for a period (Kemendagri SP4N-LAPOR! evaluation format) with downloads."""

from __future__ import annotations

from datetime import date, timedelta

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import components, ids, shaping, state

dash.register_page(__name__, path="/opd", name="OPD", title="Rapor OPD — Aduan Terpadu", order=2)


def _months(today: date, n: int = 13) -> list[dict[str, str]]:
    """The month in progress ("… (berjalan)") first, then the `n - 1` complete months before it."""
    out, day = [], today.replace(day=1)
    for i in range(n):
        label = shaping.month_label(day) + (" (berjalan)" if i == 0 else "")
        out.append({"label": label, "value": day.isoformat()})
        day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return out


ALL_CHANNELS = "*"  # not "": dbc.Select keeps "" for its hidden placeholder


def _channels() -> list[dict[str, str]]:
    channels, _ = state.reference("channels", lambda c: c.channels())
    return [{"label": "Semua kanal", "value": ALL_CHANNELS},
            *({"label": c.get("label") or c["code"], "value": c["code"]} for c in channels or [])]


def _pct_style(field: str) -> dict:
    return {"styleConditions": [
        {"condition": f"params.data.{field} == null", "style": {"color": "#8c96a3"}},
        {"condition": f"params.data.{field} >= 85", "style": {"backgroundColor": "#dcefe3", "color": "#1e6b43",
                                                             "fontWeight": 700}},
        {"condition": f"params.data.{field} >= 70", "style": {"backgroundColor": "#fbf0d6", "color": "#7a5b00",
                                                             "fontWeight": 700}},
        {"condition": "true", "style": {"backgroundColor": "#f7dcd8", "color": "#9b2a1f", "fontWeight": 700}},
    ]}


PREDIKAT_STYLE = {"styleConditions": [
    {"condition": f"params.value == '{name}'", "style": {"backgroundColor": colour, "color": "white",
                                                         "fontWeight": 700, "textAlign": "center"}}
    for name, colour in shaping.PREDIKAT_COLOURS.items()]}

NUM = {"type": "numericColumn", "width": 120, "filter": False}
# "80,0 % (4/5)": share of "sudah" among the reporters who answered "sudah beres?"; "–" when nobody answered.
SATISFACTION_FORMAT = ("(params.data.satisfaction || {}).pct == null ? '–' : "
                       "d3.format('.1f')(params.data.satisfaction.pct).replace('.', ',') + ' % (' + "
                       "params.data.satisfaction.sudah + '/' + "
                       "(params.data.satisfaction.sudah + params.data.satisfaction.belum) + ')'")
COLUMNS = [
    {"field": "opd_link", "headerName": "OPD", "cellRenderer": "markdown", "flex": 1, "minWidth": 280,
     "comparator": {"function": "(a, b) => (a || '').localeCompare(b || '')"}, "sortable": True},
    {"field": "total", "headerName": "Total", **NUM},
    {"field": "resolved", "headerName": "Selesai", **NUM},
    {"field": "in_progress", "headerName": "Proses", **NUM},
    {"field": "postponed", "headerName": "Tertunda", **NUM},
    {"field": "not_followed_up", "headerName": "Belum ditindaklanjuti", **NUM, "width": 170},
    {"field": "unverified", "headerName": "Belum terverifikasi", **NUM, "width": 160},
    {"field": "completion_pct", "headerName": "Penyelesaian", **NUM, "width": 150,
     "valueFormatter": {"function": "params.value == null ? '–' : "
                                    "d3.format('.1f')(params.value).replace('.', ',') + ' %'"},
     "cellStyle": _pct_style("completion_pct")},
    {"field": "avg_followup_days", "headerName": "Rata-rata TL (hari)", **NUM, "width": 160,
     "valueFormatter": {"function": "params.value == null ? '–' : d3.format('.1f')(params.value).replace('.', ',')"}},
    {"field": "predikat", "headerName": "Predikat", "width": 140, "cellStyle": PREDIKAT_STYLE},
    {"field": "reopened", "headerName": "Dibuka lagi", **NUM, "width": 120,
     "headerTooltip": "Berapa kali aduan dibuka kembali (pelapor menjawab \"belum beres\", atau petugas)"},
    {"field": "satisfaction.pct", "headerName": "Kepuasan pelapor", **NUM, "width": 160,
     "headerTooltip": "Jawaban \"1 Sudah\" atas pertanyaan \"sudah beres?\" setelah aduan selesai",
     "valueFormatter": {"function": SATISFACTION_FORMAT}, "cellStyle": _pct_style("satisfaction.pct")},
]


def layout(month: str | None = None, days: str | None = None, channel: str | None = None, **_query) -> html.Div:
    today = state.now().astimezone(state.tz()).date()
    months = _months(today)
    # The rapor is a monthly report: it opens on the last complete month; the month in progress is one click away.
    chosen = month if month in {m["value"] for m in months} else months[1]["value"]
    channels = _channels()
    controls = [
        dbc.Select(id=ids.OPD_MONTH, options=months, value=chosen, style={"width": "15rem"}),
        dbc.Select(id=ids.OPD_CHANNEL, options=channels, style={"width": "12rem"},
                   value=channel if channel in {c["value"] for c in channels} else ALL_CHANNELS),
        dbc.RadioItems(id=ids.OPD_DAYS, value=days if days in ("working", "calendar") else "working", inline=True,
                       options=[{"label": "Hari kerja", "value": "working"},
                                {"label": "Hari kalender", "value": "calendar"}]),
        dbc.Button("Unduh XLSX", id=ids.OPD_XLSX, color="success", outline=True),
        dbc.Button("Unduh PDF", id=ids.OPD_PDF, color="danger", outline=True),
        dcc.Download(id=ids.OPD_DOWNLOAD),
    ]
    return html.Div([
        components.page_header("Rapor OPD", "Penanganan aduan per perangkat daerah; klik nama OPD untuk rinciannya",
                               controls),
        html.Div(id=ids.OPD_ERROR),
        dag.AgGrid(id=ids.OPD_GRID, columnDefs=COLUMNS, rowData=[], className="ag-theme-alpine",
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"animateRows": False, "domLayout": "autoHeight",
                                    "localeText": components.grid_locale("Data belum tersedia")},
                   style={"width": "100%"}),
        html.Div([html.Span("Predikat: "), *[html.Span(name, className="predikat me-1", style={"background": c})
                                             for name, c in shaping.PREDIKAT_COLOURS.items()],
                  html.Span(" · warna penyelesaian: hijau ≥ 85 %, kuning ≥ 70 %, merah < 70 %", className="ms-2"),
                  html.Span(" · kepuasan pelapor: jawaban \"1 Sudah\" dari yang menjawab \"sudah beres?\" "
                            "(sudah/menjawab)", className="ms-2")],
                 className="text-muted small mt-2"),
    ], className="container-fluid")


def _channel(value: str | None) -> str | None:
    return None if value in (None, "", ALL_CHANNELS) else value


def _period(month: str) -> tuple[str, str]:
    return shaping.month_range(date.fromisoformat(month))


@callback(Output(ids.OPD_GRID, "rowData"), Output(ids.OPD_GRID, "dashGridOptions"), Output(ids.OPD_ERROR, "children"),
          Input(ids.OPD_MONTH, "value"), Input(ids.OPD_DAYS, "value"), Input(ids.OPD_CHANNEL, "value"),
          State(ids.OPD_GRID, "dashGridOptions"))
def show_rapor(month, days, channel, grid_options):
    start, end = _period(month)
    rapor, err = state.fetch(lambda c: c.rapor(start, end, days, _channel(channel)))
    if err:
        return [], no_update, components.error_alert(err, "Rapor")
    options = {**(grid_options or {}), "pinnedBottomRowData": shaping.rapor_total_row(rapor)}
    return shaping.rapor_rows(rapor), options, None


@callback(Output(ids.OPD_DOWNLOAD, "data"), Output(ids.OPD_ERROR, "children", allow_duplicate=True),
          Input(ids.OPD_XLSX, "n_clicks"), Input(ids.OPD_PDF, "n_clicks"),
          State(ids.OPD_MONTH, "value"), State(ids.OPD_DAYS, "value"), State(ids.OPD_CHANNEL, "value"),
          prevent_initial_call=True)
def download_rapor(_xlsx, _pdf, month, days, channel):
    fmt = "xlsx" if ctx.triggered_id == ids.OPD_XLSX else "pdf"
    start, end = _period(month)
    content, err = state.fetch(lambda c: c.rapor_file(fmt, start, end, days, _channel(channel)))
    if err:
        return no_update, components.error_alert(err, f"Unduh rapor {fmt.upper()}")
    suffix = f"-{_channel(channel)}" if _channel(channel) else ""
    return dcc.send_bytes(content, f"rapor-opd-{start[:7]}{suffix}.{fmt}"), None
