"""Jelajah: the analyst's drill-down — filters, cross-filtering charts, a paged grid, one complaint's history.

The filter lives in the URL query string (same names as the API's filters), so a view can be shared.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)

from dashboard import components, detail, figures, ids, shaping, state
from dashboard.client import ApiError

dash.register_page(__name__, path="/jelajah", name="Jelajah", title="Jelajah aduan — Aduan Terpadu", order=3)

BLOCK = 50
# Cursors belong to one person's grid: another person's cursor at the same row would walk their own rows
# (another role sees other rows; a later reader sees newer ones), so the book is keyed by browser.
CURSORS = shaping.CursorBook(max_filters=2000)
SORTABLE = {"received": "received_at"}

GRID_COLUMNS = [
    {"field": "tracking_code", "headerName": "Kode", "width": 190, "pinned": "left"},
    {"field": "received", "headerName": "Diterima (WIB)", "width": 150, "sortable": True},
    {"field": "channel", "headerName": "Kanal", "width": 140},
    {"field": "title", "headerName": "Judul", "flex": 2, "minWidth": 260},
    {"field": "opd", "headerName": "OPD", "flex": 1, "minWidth": 200},
    {"field": "category", "headerName": "Kategori", "flex": 1, "minWidth": 160},
    {"field": "kecamatan", "headerName": "Kecamatan", "width": 130},
    {"field": "status", "headerName": "Status", "width": 160, "cellStyle": {"styleConditions": [
        {"condition": f"params.data && params.data.status_tone === '{tone}'", "style": {"color": colour,
                                                                                       "fontWeight": 700}}
        for tone, colour in (("red", "#9b2a1f"), ("yellow", "#7a5b00"), ("green", "#1e6b43"))]}},
    {"field": "overdue", "headerName": "Lewat tenggat", "width": 130,
     "cellStyle": {"color": "#c0392b", "fontWeight": 700}},
]
CHARTS = {"channel": ids.JL_CHART_CHANNEL, "status": ids.JL_CHART_STATUS, "category": ids.JL_CHART_CATEGORY,
          "kecamatan": ids.JL_CHART_KECAMATAN, "trend": ids.JL_CHART_TREND}


def _options(items, value_key="code", label_keys=("label", "name")) -> list[dict[str, str]]:
    out = []
    for item in items or []:
        value = item.get(value_key)
        label = next((item[k] for k in label_keys if item.get(k)), value)
        out.append({"label": label, "value": value})
    return out


def _dropdown(id_, label, options, value, placeholder="Semua", disabled=False):
    return html.Div([dbc.Label(label, html_for=id_),
                     dcc.Dropdown(id=id_, options=options, value=list(value), multi=True, placeholder=placeholder,
                                  clearable=not disabled, disabled=disabled)])


def layout(**query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed("/jelajah", login.role):
        return html.Div([components.page_header("Jelajah aduan"),
                         html.Div(components.no_access(), id=ids.JL_NO_ACCESS)], className="container-fluid")
    own_opd = login.opd_code if login is not None and login.role == "opd_admin" else None
    if own_opd:  # the API answers only this OPD anyway; the filter says so instead of offering the others
        query = {**query, "opd": own_opd}
    filters = shaping.Filters.from_query(query)
    channels, err = state.reference("channels", lambda c: c.channels())
    opd, _ = state.reference("opd", lambda c: c.opd())
    categories, _ = state.reference("categories", lambda c: c.categories())
    kecamatan, _ = state.reference("kecamatan", lambda c: c.kecamatan())
    statuses, _ = state.reference("statuses", lambda c: c.statuses())
    channel_opts = _options(channels)
    status_opts = _options(statuses)
    filter_bar = html.Div([
        dbc.Row([
            dbc.Col(_dropdown(ids.JL_CHANNEL, "Kanal", channel_opts, filters.channel), xs=12, md=6, xl=2),
            dbc.Col(_dropdown(ids.JL_OPD, "OPD", _options(opd), filters.opd, disabled=bool(own_opd)), xs=12, md=6,
                    xl=3),
            dbc.Col(_dropdown(ids.JL_CATEGORY, "Kategori", _options(categories), filters.category), xs=12, md=6, xl=2),
            dbc.Col(_dropdown(ids.JL_STATUS, "Status", status_opts, filters.status), xs=12, md=6, xl=2),
            dbc.Col(_dropdown(ids.JL_KECAMATAN, "Kecamatan", _options(kecamatan, "name", ("name",)),
                              filters.kecamatan), xs=12, md=6, xl=3),
        ], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Diterima dari", html_for=ids.JL_PERIOD + "-from"),
                     _date_picker(ids.JL_PERIOD + "-from", filters.received_from)], xs=6, xl=2),
            dbc.Col([dbc.Label("sampai", html_for=ids.JL_PERIOD + "-to"),
                     _date_picker(ids.JL_PERIOD + "-to", filters.received_to)], xs=6, xl=2),
            dbc.Col([dbc.Label("Cari teks", html_for=ids.JL_TEXT),
                     dbc.Input(id=ids.JL_TEXT, type="search", value=filters.q or "", debounce=True,
                               placeholder="judul, isi, kode…")], xs=12, xl=4),
            dbc.Col(dbc.Switch(id=ids.JL_OVERDUE, label="Hanya lewat tenggat", value=filters.overdue),
                    xs=6, xl=2, className="d-flex align-items-end pb-2"),
            dbc.Col(dbc.Button("Hapus filter", id=ids.JL_RESET, color="secondary", outline=True, className="w-100"),
                    xs=6, xl=2, className="d-flex align-items-end"),
        ], className="g-2"),
    ], className="filter-bar mb-3")
    actions = [dbc.Button("Ekspor CSV", id=ids.JL_CSV, color="primary", outline=True),
               dbc.Button("Ekspor XLSX", id=ids.JL_XLSX, color="success", outline=True),
               dcc.Download(id=ids.JL_DOWNLOAD)]
    return html.Div([
        dcc.Store(id=ids.JL_FILTERS, data=filters.to_dict()),
        dcc.Store(id=ids.JL_QUERY, data=filters.to_query()),
        dcc.Store(id="jl-sink-query"), dcc.Store(id="jl-sink-grid"), dcc.Store(id=ids.JL_DETAIL_ID),
        components.page_header("Jelajah aduan", "Klik batang grafik atau kecamatan untuk menyaring; klik baris "
                                                "untuk melihat riwayat aduan", actions),
        components.error_alert(err, "Data referensi"),
        filter_bar,
        html.Div(id=ids.JL_ERROR),
        html.Div(html.Span("…", id=ids.JL_COUNT), className="jl-count mb-2 fs-5 fw-bold text-primary-emphasis"),
        dbc.Row([
            dbc.Col(components.panel("Kanal", components.graph(ids.JL_CHART_CHANNEL, 230)), xs=12, md=6, xl=3,
                    className="mb-3"),
            dbc.Col(components.panel("Status", components.graph(ids.JL_CHART_STATUS, 230)), xs=12, md=6, xl=3,
                    className="mb-3"),
            dbc.Col(components.panel("Kategori teratas", components.graph(ids.JL_CHART_CATEGORY, 230)), xs=12, md=6,
                    xl=3, className="mb-3"),
            dbc.Col(components.panel("Kecamatan", components.graph(ids.JL_CHART_KECAMATAN, 230)), xs=12, md=6, xl=3,
                    className="mb-3"),
        ], className="g-3"),
        components.panel("Tren harian", components.graph(ids.JL_CHART_TREND, 200), "klik hari untuk menyaring",
                         className="mb-3"),
        dag.AgGrid(id=ids.JL_GRID, columnDefs=GRID_COLUMNS, rowModelType="infinite", className="ag-theme-alpine",
                   defaultColDef={"sortable": False, "resizable": True},
                   dashGridOptions={"cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": 1,
                                    "maxConcurrentDatasourceRequests": 1,
                                    "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True},
                                    "localeText": components.grid_locale("Tidak ada aduan yang cocok")},
                   style={"height": "560px", "width": "100%"}),
        dbc.Offcanvas(html.Div(id=ids.JL_DETAIL_BODY), id=ids.JL_DETAIL, title="Rincian aduan", placement="end",
                      is_open=False, style={"width": "560px"}),
    ], className="container-fluid")


def _date_picker(component_id: str, day: str | None) -> html.Div:
    """Indonesian dates whatever the browser's locale: DD/MM/YYYY in the box, Indonesian month and day names in
    the calendar (assets/moment_id.js switches the picker's bundled moment to its "id" locale), weeks from Monday."""
    return html.Div(dcc.DatePickerSingle(id=component_id, date=day, display_format="DD/MM/YYYY",
                                         month_format="MMMM YYYY", placeholder="HH/BB/TTTT", first_day_of_week=1,
                                         clearable=True, className="date-id"))


FILTER_INPUTS = [Input(ids.JL_CHANNEL, "value"), Input(ids.JL_OPD, "value"), Input(ids.JL_CATEGORY, "value"),
                 Input(ids.JL_STATUS, "value"), Input(ids.JL_KECAMATAN, "value"),
                 Input(ids.JL_PERIOD + "-from", "date"), Input(ids.JL_PERIOD + "-to", "date"),
                 Input(ids.JL_TEXT, "value"), Input(ids.JL_OVERDUE, "value")]
FILTER_OUTPUTS = [Output(i.component_id, i.component_property) for i in FILTER_INPUTS]


@callback(Output(ids.JL_FILTERS, "data"), Output(ids.JL_QUERY, "data"), *FILTER_INPUTS, prevent_initial_call=True)
def collect_filters(channel, opd, category, status, kecamatan, received_from, received_to, q, overdue):
    filters = shaping.Filters.from_inputs(channel, opd, category, status, kecamatan, received_from, received_to, q,
                                          overdue)
    return filters.to_dict(), filters.to_query()


clientside_callback(ClientsideFunction("aduan", "replaceQuery"), Output("jl-sink-query", "data"),
                    Input(ids.JL_QUERY, "data"))
clientside_callback(ClientsideFunction("aduan", "purgeGrid"), Output("jl-sink-grid", "data"),
                    Input(ids.JL_FILTERS, "data"), State(ids.JL_GRID, "id"))


@callback(*FILTER_OUTPUTS, *[Input(chart, "clickData") for chart in CHARTS.values()], Input(ids.JL_RESET, "n_clicks"),
          State(ids.JL_FILTERS, "data"), prevent_initial_call=True)
def cross_filter(*args):
    current = shaping.Filters.from_dict(args[-1])
    trigger = ctx.triggered_id
    if trigger == ids.JL_RESET:
        new = shaping.Filters()
    else:
        chart = next((name for name, chart_id in CHARTS.items() if chart_id == trigger), None)
        click = args[list(CHARTS).index(chart)] if chart else None
        new = shaping.apply_chart_click(current, chart, click) if chart else current
    if new == current and trigger != ids.JL_RESET:
        return [no_update] * len(FILTER_OUTPUTS)
    return (list(new.channel), list(new.opd), list(new.category), list(new.status), list(new.kecamatan),
            new.received_from, new.received_to, new.q or "", new.overdue)


def _without(filters: shaping.Filters, name: str) -> list[tuple[str, str]]:
    """Each chart shows the selection minus its own dimension, highlighting the chosen bars."""
    return filters.set(name, ()).params()


@callback(Output(ids.JL_COUNT, "children"), Output(ids.JL_CHART_STATUS, "figure"), Output(ids.JL_ERROR, "children"),
          Input(ids.JL_FILTERS, "data"))
def show_count_and_status(data):
    filters = shaping.Filters.from_dict(data)
    calls = {"all": lambda c: c.summary(filters.params())}
    if filters.status:  # the status chart shows every status, the chosen ones highlighted
        calls["by_status"] = lambda c: c.summary(_without(filters, "status"))
    got = state.fetch_many(calls)
    summary, err = got["all"]
    if err:
        return "–", figures.empty(err.message), components.error_alert(err, "Ringkasan")
    by_status = got.get("by_status", (None, None))[0]
    count = f"{shaping.fmt_int(summary.get('total'))} aduan cocok · {shaping.fmt_int(summary.get('open'))} terbuka · " \
            f"{shaping.fmt_int(summary.get('overdue'))} lewat tenggat"
    return count, figures.status_bars((by_status or summary).get("by_status") or {}, state.labels(),
                                      selected=filters.status), None


def _dimension_chart(name: str, data, top: int | None = None):
    filters = shaping.Filters.from_dict(data)
    items, err = state.fetch(lambda c: c.by_dimension(name, _without(filters, name)))
    if err:
        return figures.empty(err.message)
    selected = getattr(filters, name)
    if name == "kecamatan":
        return figures.kecamatan_map(items or [], selected=selected, labels=False)
    rows = shaping.top_n(items or [], top or 50)
    return figures.hbar(rows, selected=selected, label_width=28)


@callback(Output(ids.JL_CHART_CHANNEL, "figure"), Input(ids.JL_FILTERS, "data"))
def show_channels(data):
    return _dimension_chart("channel", data)


@callback(Output(ids.JL_CHART_CATEGORY, "figure"), Input(ids.JL_FILTERS, "data"))
def show_categories(data):
    return _dimension_chart("category", data, top=8)


@callback(Output(ids.JL_CHART_KECAMATAN, "figure"), Input(ids.JL_FILTERS, "data"))
def show_kecamatan(data):
    return _dimension_chart("kecamatan", data)


@callback(Output(ids.JL_CHART_TREND, "figure"), Input(ids.JL_FILTERS, "data"))
def show_trend(data):
    filters = shaping.Filters.from_dict(data)
    params = filters.params()
    if not filters.received_from:
        start, _ = shaping.last_n_days(state.now().astimezone(state.tz()).date(), 90)
        params.append(("received_from", start))
    items, err = state.fetch(lambda c: c.timeseries("day", params))
    if err:
        return figures.empty(err.message)
    return figures.trend(items or [], clickable=True)


@callback(Output(ids.JL_GRID, "getRowsResponse"), Input(ids.JL_GRID, "getRowsRequest"), State(ids.JL_FILTERS, "data"),
          prevent_initial_call=True)
def serve_rows(request, data):
    if not request:
        return no_update
    filters = shaping.Filters.from_dict(data)
    sort = "-received_at"
    for rule in request.get("sortModel") or []:
        if rule.get("colId") in SORTABLE:
            sort = ("-" if rule.get("sort") == "desc" else "") + SORTABLE[rule["colId"]]
    key = "|".join((state.browser_id(), filters.key(), sort))
    tz = state.tz()

    def fetch(cursor, limit):
        page = state.client().complaints(filters.params(), limit=limit, cursor=cursor, sort=sort)
        return page.items, page.next_cursor

    try:
        items, total = shaping.page_rows(fetch, CURSORS, key, request["startRow"], request["endRow"])
    except ApiError:  # the grid shows its empty overlay; the page's alert explains the API problem
        return {"rowData": [], "rowCount": 0}
    labels = state.labels()
    response = {"rowData": [shaping.grid_row(i, tz, labels) for i in items]}
    if total is not None:
        response["rowCount"] = total
    return response


@callback(Output(ids.JL_DETAIL, "is_open"), Output(ids.JL_DETAIL_BODY, "children"), Output(ids.JL_DETAIL, "title"),
          Output(ids.JL_DETAIL_ID, "data"),
          Input(ids.JL_GRID, "selectedRows"), Input(ids.JL_GRID, "cellClicked"), prevent_initial_call=True)
def open_detail(selected, _cell):
    # selectedRows carries the row's data; cellClicked lets a closed panel reopen on the same row.
    if not selected or selected[0].get("id") is None:
        return no_update, no_update, no_update, no_update
    complaint_id = selected[0]["id"]
    found, err = state.fetch(lambda c: c.complaint(complaint_id))
    if err:
        return True, components.error_alert(err, "Rincian aduan"), "Rincian aduan", None
    return True, detail.body(found), found.get("title") or "Rincian aduan", complaint_id


@callback(Output(ids.JL_DETAIL_BODY, "children", allow_duplicate=True),
          Output(ids.JL_ACTION_RESULT, "children"),
          Input({"type": ids.JL_ACTION, "action": ALL}, "n_clicks"), State(ids.JL_DETAIL_ID, "data"),
          State(ids.JL_ACTION_NOTE, "value"), State(ids.JL_ACTION_OPD, "value"), State(ids.JL_ACTION_REASON, "value"),
          prevent_initial_call=True)
def record_action(clicks, complaint_id, note, opd, reason):
    if not components.real_click(clicks) or complaint_id is None:
        return no_update, no_update
    new_body, refusal = detail.act(complaint_id, ctx.triggered_id["action"], note, opd, reason)
    return (new_body, no_update) if refusal is None else (no_update, refusal)


@callback(Output(ids.JL_DOWNLOAD, "data"), Output(ids.JL_ERROR, "children", allow_duplicate=True),
          Input(ids.JL_CSV, "n_clicks"), Input(ids.JL_XLSX, "n_clicks"), State(ids.JL_FILTERS, "data"),
          prevent_initial_call=True)
def export(_csv, _xlsx, data):
    fmt = "csv" if ctx.triggered_id == ids.JL_CSV else "xlsx"
    filters = shaping.Filters.from_dict(data)
    content, err = state.fetch(lambda c: c.export(fmt, filters.params()))
    if err:
        return no_update, components.error_alert(err, f"Ekspor {fmt.upper()}")
    stamp = state.now().astimezone(state.tz()).strftime("%Y%m%d-%H%M")
    return dcc.send_bytes(content, f"aduan-{stamp}.{fmt}"), None
