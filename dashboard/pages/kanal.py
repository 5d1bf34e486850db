"""Kanal: one channel at a time — volume, status mix, response times, top categories, and the
channel's own signals (112 ghost/prank calls, Google ratings and replies, WhatsApp awaiting reply)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import components, figures, ids, shaping, state

dash.register_page(__name__, path="/kanal", name="Kanal", title="Kanal — Aduan Terpadu", order=1)

PERIODS = [("7", "7 hari"), ("30", "30 hari"), ("90", "90 hari"), ("365", "12 bulan")]


def layout(channel: str | None = None, **_query) -> html.Div:
    channels, err = state.reference("channels", lambda c: c.channels())
    options = [{"label": c.get("label") or c["code"], "value": c["code"]} for c in channels or []]
    if not options:  # the API is away: the page says so, the switch keeps the channel asked for
        options = [{"label": channel or "lapor", "value": channel or "lapor"}]
    codes = [o["value"] for o in options]
    selected = channel if channel in codes else codes[0]
    controls = [
        dbc.RadioItems(id=ids.KANAL_CHANNEL, options=options, value=selected, inline=True,
                       className="channel-switch", inputClassName="btn-check",
                       labelClassName="btn btn-outline-primary", labelCheckedClassName="active"),
        dbc.Select(id=ids.KANAL_PERIOD, options=[{"label": lbl, "value": v} for v, lbl in PERIODS], value="30",
                   style={"width": "9rem"}),
    ]
    return html.Div([
        components.page_header("Pemantauan per kanal", "Volume, status, kecepatan tanggapan dan kategori teratas",
                               controls),
        components.error_alert(err, "Daftar kanal"),
        html.Div(id=ids.KANAL_ERROR),
        html.Div(id=ids.KANAL_KPIS),
        dbc.Row([
            dbc.Col(components.panel("Volume aduan", components.graph(ids.KANAL_VOLUME, 320), "masuk dan selesai"),
                    xs=12, xl=8, className="mb-3"),
            dbc.Col(components.panel("Komposisi status", components.graph(ids.KANAL_STATUS, 320)),
                    xs=12, xl=4, className="mb-3"),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(components.panel("Kategori teratas", components.graph(ids.KANAL_CATEGORIES, 360)),
                    xs=12, xl=6, className="mb-3"),
            dbc.Col(html.Div(id=ids.KANAL_SPECIAL, className="h-100"), xs=12, xl=6, className="mb-3"),
        ], className="g-3"),
    ], className="container-fluid")


def _params(channel: str, period: str) -> list[tuple[str, str]]:
    days = int(period or 30)
    start, end = shaping.last_n_days(state.now().astimezone(state.tz()).date(), days)
    return [("channel", channel), ("received_from", start), ("received_to", end)]


@callback(Output(ids.KANAL_KPIS, "children"), Output(ids.KANAL_STATUS, "figure"), Output(ids.KANAL_ERROR, "children"),
          Input(ids.KANAL_CHANNEL, "value"), Input(ids.KANAL_PERIOD, "value"))
def show_summary(channel, period):
    params = _params(channel, period)
    summary, err = state.fetch(lambda c: c.summary(params))
    times, _ = state.fetch(lambda c: c.response_times(params))
    freshness, _ = state.fetch(lambda c: c.freshness())
    if err:
        return None, figures.empty(err.message), components.error_alert(err, "Ringkasan kanal")
    first = (times or {}).get("first_response") or {}
    kpis = [
        shaping.Kpi("Aduan", shaping.fmt_int(summary.get("total")), "dalam periode"),
        shaping.Kpi("Belum selesai", shaping.fmt_int(summary.get("open")), "masih terbuka", "warning"),
        shaping.Kpi("Lewat tenggat", shaping.fmt_int(summary.get("overdue")), "melewati batas waktu",
                    "danger" if summary.get("overdue") else "success"),
        shaping.Kpi("Penyelesaian", shaping.fmt_pct(summary.get("completion_pct")), "selesai / total",
                    shaping.completion_tone(summary.get("completion_pct")).replace("secondary", "primary")),
        shaping.Kpi("Median tanggapan", shaping.fmt_days(first.get("median_days")),
                    f"p90 {shaping.fmt_days(first.get('p90_days'))}"),
        shaping.Kpi("Dijawab ≤ 3 hari kerja", shaping.fmt_pct((times or {}).get("answered_within_3_working_days_pct")),
                    "dari aduan yang ditanggapi"),
    ]
    return (components.kpi_row(kpis, "lg"), figures.status_donut(summary.get("by_status") or {}, state.labels()),
            _data_age(shaping.channel_ages(freshness).get(channel)))


def _data_age(age: shaping.ChannelAge | None):
    """How old the channel's newest record is (all time, kabupaten-wide), and a warning past its limit."""
    if age is None:
        return None
    if age.stale:
        return dbc.Alert([html.Strong(f"{age.label}: {age.text}"),
                          f" — melewati {age.hint}; periksa konektornya di halaman Konektor."],
                         color="warning", className="data-age data-age-stale py-2 mb-3", id="kanal-data-age")
    return html.Div(f"{age.label}: {age.text} ({age.hint})", className="data-age text-muted small mb-2",
                    id="kanal-data-age")


@callback(Output(ids.KANAL_VOLUME, "figure"), Input(ids.KANAL_CHANNEL, "value"), Input(ids.KANAL_PERIOD, "value"))
def show_volume(channel, period):
    params = _params(channel, period)
    bucket = "week" if int(period or 30) > 90 else "day"
    items, err = state.fetch(lambda c: c.timeseries(bucket, params))
    if err:
        return figures.empty(err.message)
    if bucket == "day":
        items = shaping.fill_days(items or [], params[1][1], params[2][1])
    return figures.trend(items or [])


@callback(Output(ids.KANAL_CATEGORIES, "figure"), Input(ids.KANAL_CHANNEL, "value"), Input(ids.KANAL_PERIOD, "value"))
def show_categories(channel, period):
    items, err = state.fetch(lambda c: c.by_dimension("category", _params(channel, period)))
    if err:
        return figures.empty(err.message)
    return figures.hbar(shaping.top_n(items or [], 10), height=340)


@callback(Output(ids.KANAL_SPECIAL, "children"), Input(ids.KANAL_CHANNEL, "value"), Input(ids.KANAL_PERIOD, "value"))
def show_special(channel, period):
    params = _params(channel, period)
    if channel == "call112":
        return _calls_panel(params)
    if channel == "google_reviews":
        return _ratings_panel(params)
    if channel == "whatsapp":
        return _awaiting_panel(params)
    return _response_panel(params)


def _calls_panel(params):
    calls, err = state.fetch(lambda c: c.calls(params))
    if err:
        return components.panel("Panggilan 112", components.unavailable(err.message))
    totals = calls.get("totals") or {}
    badges = html.Div([dbc.Badge(f"{shaping.CALL_TYPE_LABELS.get(k, k)}: {shaping.fmt_int(v)}",
                                 className=f"me-2 call-badge call-{k}", color="secondary" if k == "ghost" else
                                 "danger" if k == "prank" else "primary")
                       for k, v in sorted(totals.items())], className="mb-2", id="kanal-call-totals")
    body = [badges, components.graph("kanal-calls", 290, figures.calls(shaping.calls_by_type(calls))),
            _handling_time(params)]
    return components.panel("Panggilan 112 per jenis", body, "ghost & prank dihitung, bukan aduan")


def _minutes(value: float | None) -> str:
    if value is None:
        return "–"
    return shaping.fmt_int(round(value)) if value >= 100 else f"{value:.1f}".replace(".", ",")


def _handling_time(params):
    """Emergencies handled in the CAD: minutes from receipt to `tanggal_selesai`, per category."""
    times, err = state.fetch(lambda c: c.call_handling_time(params))
    title = html.Div("Waktu penanganan darurat (menit): median, p90", className="fw-semibold mt-3 mb-1")
    if err:
        return html.Div([title, components.unavailable(err.message)], id="kanal-handling-time")
    items = times.get("items") or []
    if not items:
        return html.Div([title, components.unavailable("Belum ada panggilan darurat yang selesai dalam periode ini")],
                        id="kanal-handling-time")
    total = times.get("total") or {}
    rows = [html.Tr([html.Td(i.get("category_name")), html.Td(_minutes(i.get("median_minutes"))),
                     html.Td(_minutes(i.get("p90_minutes"))), html.Td(shaping.fmt_int(i.get("n")))]) for i in items]
    rows.append(html.Tr([html.Th("Semua darurat"), html.Th(_minutes(total.get("median_minutes"))),
                         html.Th(_minutes(total.get("p90_minutes"))), html.Th(shaping.fmt_int(total.get("n")))]))
    head = html.Thead(html.Tr([html.Th("Kategori"), html.Th("Median"), html.Th("p90"), html.Th("Selesai")]))
    return html.Div([title, dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0")],
                    id="kanal-handling-time")


def _ratings_panel(params):
    ratings, err = state.fetch(lambda c: c.ratings(params))
    if err:
        return components.panel("Ulasan Google", components.unavailable(err.message))
    stats = html.Div([
        html.Span(["Rata-rata ", html.Strong(f"{ratings.get('average') or 0:.1f}".replace(".", ",") + " ★")],
                  className="me-4"),
        html.Span(["Dibalas ", html.Strong(shaping.fmt_pct(ratings.get("reply_rate_pct")))]),
    ], className="mb-2 fs-5", id="kanal-rating-stats")
    body = [stats, components.graph("kanal-ratings", 280, figures.ratings(shaping.rating_rows(ratings)))]
    return components.panel("Sebaran bintang ulasan", body, "ulasan Google Maps layanan publik")


def _awaiting_panel(params):
    status = [("status", s) for s in shaping.AWAITING_RESPONSE]
    page, err = state.fetch(lambda c: c.complaints([("channel", "whatsapp"), *status], limit=12))
    if err:
        return components.panel("Percakapan WhatsApp menunggu balasan", components.list_unavailable(err))
    tz, labels = state.tz(), state.labels()
    rows = [html.Tr([html.Td(shaping.local_time(i.get("received_at"), tz)), html.Td(i.get("title")),
                     html.Td(i.get("opd_name") or "–"),
                     html.Td(components.status_badge(i.get("status"), labels.status(i.get("status"), "")))])
            for i in page.items]
    table = dbc.Table([html.Thead(html.Tr([html.Th("Diterima"), html.Th("Judul"), html.Th("OPD"), html.Th("Status")])),
                       html.Tbody(rows)], size="sm", hover=True, className="mb-0") if rows else \
        components.unavailable("Tidak ada percakapan yang menunggu balasan")
    more = " (12 terbaru)" if page.next_cursor else ""
    return components.panel("Percakapan WhatsApp menunggu balasan", table, f"belum ditanggapi OPD{more}")


def _response_panel(params):
    times, err = state.fetch(lambda c: c.response_times(params))
    if err:
        return components.panel("Waktu tanggapan", components.unavailable(err.message))
    rows = []
    for key, label in (("first_response", "Tanggapan pertama"), ("resolution", "Penyelesaian")):
        t = times.get(key) or {}
        rows.append(html.Tr([html.Td(label), html.Td(shaping.fmt_days(t.get("median_days"))),
                             html.Td(shaping.fmt_days(t.get("p90_days"))), html.Td(shaping.fmt_int(t.get("n")))]))
    head = html.Thead(html.Tr([html.Th(""), html.Th("Median"), html.Th("Persentil 90"), html.Th("Jumlah")]))
    table = dbc.Table([head, html.Tbody(rows)], className="mb-0")
    return components.panel("Waktu tanggapan", table, "dalam hari kerja")
