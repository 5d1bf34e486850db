"""One OPD: its numbers, overdue complaints, escalation history and weekly trend."""

from __future__ import annotations

from datetime import timedelta

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import components, figures, ids, shaping, state

dash.register_page(__name__, path_template="/opd/<code>", name="Rincian OPD", title="Rincian OPD — Aduan Terpadu")

OVERDUE_COLUMNS = [
    {"field": "tracking_code", "headerName": "Kode", "width": 190},
    {"field": "received", "headerName": "Diterima", "width": 150},
    {"field": "title", "headerName": "Judul", "flex": 1, "minWidth": 260},
    {"field": "channel", "headerName": "Kanal", "width": 150},
    {"field": "kecamatan", "headerName": "Kecamatan", "width": 140},
    {"field": "status", "headerName": "Status", "width": 160},
]
STEP_LABELS = {"reminder": "Pengingat WhatsApp", "teguran_1": "Surat teguran 1", "teguran_2": "Surat teguran 2",
               "eskalasi": "Eskalasi ke atasan & Sekda"}


def layout(code: str | None = None, **_query) -> html.Div:
    code = (code or "").strip()
    tz = state.tz()
    opd_list, _ = state.reference("opd", lambda c: c.opd())
    name = next((o.get("name") for o in opd_list or [] if o.get("code") == code), code)
    params = [("opd", code)]
    summary, err = state.fetch(lambda c: c.summary(params))
    today = state.now().astimezone(tz).date()
    year_ago = (today - timedelta(days=365)).isoformat()
    rapor, _ = state.fetch(lambda c: c.rapor(year_ago, today.isoformat()))
    own = next((r for r in ((rapor or {}).get("rows") or []) if r.get("opd_code") == code), None)
    kpis = None
    if summary:
        kpis = components.kpi_row([
            shaping.Kpi("Total aduan", shaping.fmt_int(summary.get("total")), "sepanjang waktu"),
            shaping.Kpi("Belum selesai", shaping.fmt_int(summary.get("open")), "masih terbuka", "warning"),
            shaping.Kpi("Lewat tenggat", shaping.fmt_int(summary.get("overdue")), "melewati batas waktu",
                        "danger" if summary.get("overdue") else "success"),
            shaping.Kpi("Penyelesaian", shaping.fmt_pct(summary.get("completion_pct")), "selesai / total",
                        shaping.completion_tone(summary.get("completion_pct")).replace("secondary", "primary")),
            shaping.Kpi("Rata-rata tindak lanjut", shaping.fmt_days(summary.get("avg_followup_days")), "hari kerja"),
            shaping.Kpi("Bulan ini", shaping.fmt_int(summary.get("new_this_month")), "aduan masuk"),
            *_satisfaction_kpis(own),
        ], "lg")

    page, overdue_err = state.fetch(lambda c: c.complaints([*params, ("overdue", "true")], limit=100,
                                                           sort="received_at"))
    labels = state.labels()
    overdue_rows = [shaping.grid_row(i, tz, labels) for i in (page.items if page else [])]
    escalations, esc_err = state.fetch(lambda c: c.escalations(params))
    start = (today - timedelta(weeks=26)).isoformat()
    trend, trend_err = state.fetch(lambda c: c.timeseries("week", [*params, ("received_from", start)]))
    trend_fig = figures.empty(trend_err.message) if trend_err else figures.trend(trend or [])

    return html.Div([
        html.Div(dcc.Link("← Kembali ke rapor OPD", href="/opd"), className="mb-2"),
        components.page_header(name, f"Kode OPD {code}"),
        components.error_alert(err, "Ringkasan OPD"),
        html.Div(kpis, id=ids.OPD_DETAIL_KPIS),
        dbc.Row([
            dbc.Col(components.panel("Tren mingguan", components.graph(ids.OPD_DETAIL_TREND, 300, trend_fig),
                                     "26 minggu terakhir"), xs=12, xl=7, className="mb-3"),
            dbc.Col(components.panel("Riwayat eskalasi", _escalations(escalations, esc_err, tz),
                                     "pengingat, surat teguran, eskalasi"), xs=12, xl=5, className="mb-3"),
        ], className="g-3"),
        # No count beside "Tidak ada akses": the role may not list complaints, so there is nothing counted.
        components.panel("Aduan lewat tenggat" if overdue_err else
                         f"Aduan lewat tenggat ({len(overdue_rows)}{'+' if page and page.next_cursor else ''})",
                         components.list_unavailable(overdue_err) if overdue_err else dag.AgGrid(
                             id=ids.OPD_DETAIL_OVERDUE, rowData=overdue_rows, columnDefs=OVERDUE_COLUMNS,
                             className="ag-theme-alpine", defaultColDef={"sortable": True, "resizable": True},
                             dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                                              "paginationPageSize": 20,
                                              "localeText": components.grid_locale("Tidak ada aduan lewat tenggat")}),
                         "terlama di atas"),
    ], className="container-fluid")


def _satisfaction_kpis(row: dict | None) -> list:
    """The reporters' answers to "sudah beres?" over the last 12 months, and the reopened complaints."""
    if row is None:
        return []
    sat = row.get("satisfaction") or {}
    answered = (sat.get("sudah") or 0) + (sat.get("belum") or 0)
    return [
        shaping.Kpi("Kepuasan pelapor", shaping.fmt_pct(sat.get("pct")),
                    f"{sat.get('sudah') or 0} dari {answered} menjawab \"sudah beres\" · "
                    f"ditanya {sat.get('asked') or 0}",
                    shaping.completion_tone(sat.get("pct")).replace("secondary", "primary")),
        shaping.Kpi("Dibuka kembali", shaping.fmt_int(row.get("reopened") or 0), "12 bulan terakhir",
                    "warning" if row.get("reopened") else "success"),
    ]


def _escalations(items, err, tz):
    if err:
        return components.list_unavailable(err, "riwayat eskalasi per aduan")
    if not items:
        return components.unavailable("Belum ada eskalasi")
    rows = [html.Tr([html.Td(shaping.local_time(e.get("fired_at"), tz)),
                     html.Td(STEP_LABELS.get(e.get("step_code"), e.get("step_code"))),
                     html.Td(e.get("tracking_code")), html.Td(f"Level {e.get('level', 0)}")])
            for e in sorted(items, key=lambda e: e.get("fired_at") or "", reverse=True)[:15]]
    return dbc.Table([html.Thead(html.Tr([html.Th("Waktu"), html.Th("Langkah"), html.Th("Aduan"), html.Th("Level")])),
                      html.Tbody(rows)], size="sm", hover=True, className="mb-0", id=ids.OPD_DETAIL_ESCALATIONS)
