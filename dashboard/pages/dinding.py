"""Dinding: the wall display for the command-room TV (and the Bupati's phone)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from dashboard import components, figures, ids, shaping, state, trends_view

dash.register_page(__name__, path="/", name="Dinding", title="Dinding — Aduan Terpadu")

TREND_DAYS = 30


def layout(**_query) -> html.Div:
    settings = state.settings()
    today = state.now().astimezone(state.tz()).date()
    return html.Div([
        dcc.Interval(id=ids.WALL_INTERVAL, interval=settings.refresh_seconds * 1000, n_intervals=0),
        dcc.Store(id=ids.WALL_VIEWPORT),
        html.Div([
            html.Div([
                html.H1(["Pantauan Aduan Masyarakat", components.scope_badge()], className="wall-title"),
                html.Div(f"{settings.pemda_name} · {shaping.long_date(today)}", className="wall-subtitle"),
            ]),
            html.Div([
                html.Span("Data per –", id=ids.WALL_ASOF, className="wall-asof"),
            ], className="text-end"),
        ], className="wall-header d-flex justify-content-between align-items-center flex-wrap gap-2"),
        html.Div(id=ids.WALL_STALE),
        html.Div(id=ids.WALL_ERROR),
        html.Div(id=ids.WALL_SPIKE),
        html.Div(components.kpi_row([shaping.Kpi(k, "…") for k in
                                     ("Aduan hari ini", "Bulan ini", "Belum selesai", "Lewat tenggat",
                                      "Penyelesaian", "Rata-rata tindak lanjut")], "xl"), id=ids.WALL_KPIS),
        html.Div(id=ids.WALL_CHANNELS, className="mb-3"),
        dbc.Row([
            dbc.Col(components.panel(f"Tren {TREND_DAYS} hari", _graph(ids.WALL_TREND),
                                     "aduan masuk dan selesai per hari"), xs=12, xl=5, className="mb-3"),
            dbc.Col(components.panel("Peta kecamatan", _graph(ids.WALL_MAP),
                                     f"{TREND_DAYS} hari · ukuran = jumlah, warna = % lewat tenggat"),
                    xs=12, md=6, xl=4, className="mb-3"),
            dbc.Col(components.panel("Lima OPD paling lambat", html.Div(id=ids.WALL_SLOW_OPD),
                                     "rata-rata hari tindak lanjut, semua periode"),
                    xs=12, md=6, xl=3, className="mb-3"),
        ], className="g-3 wall-charts"),
    ], className="wall container-fluid")


def _graph(id_: str):
    """A chart that takes the height the wall leaves it (CSS: .wall-graph), 470 px on narrow screens."""
    return components.graph(id_, 470, className="wall-graph")


# The browser reports the screen and each chart's size on every refresh: fonts, bubbles and where the map's
# names fit follow the screen (a 4K TV gets twice the 1080p sizes, not the same pixels on a quarter of it).
clientside_callback(ClientsideFunction("aduan", "wallViewport"), Output(ids.WALL_VIEWPORT, "data"),
                    Input(ids.WALL_INTERVAL, "n_intervals"), Input(ids.WALL_KPIS, "children"),
                    Input(ids.WALL_CHANNELS, "children"), Input(ids.WALL_STALE, "children"),
                    Input(ids.WALL_SPIKE, "children"))


def _scale(viewport: dict | None) -> float:
    """Type scale against a 1080-pixel-high screen (never below 1: phones keep the 1080p sizes)."""
    return max(1.0, min(3.0, ((viewport or {}).get("height") or 1080) / 1080))


def _size(viewport: dict | None, graph: str) -> tuple[float, float] | None:
    size = ((viewport or {}).get("graphs") or {}).get(graph)
    return (float(size[0]), float(size[1])) if size and size[0] and size[1] else None


def _window() -> list[tuple[str, str]]:
    start, end = shaping.last_n_days(state.now().astimezone(state.tz()).date(), TREND_DAYS)
    return [("received_from", start), ("received_to", end)]


@callback(Output(ids.WALL_KPIS, "children"), Output(ids.WALL_ASOF, "children"), Output(ids.WALL_STALE, "children"),
          Output(ids.WALL_ERROR, "children"), Input(ids.WALL_INTERVAL, "n_intervals"))
def refresh_headline(_n):
    got = state.fetch_many({"summary": lambda c: c.summary(), "connectors": lambda c: c.connectors(),
                            "freshness": lambda c: c.freshness()})
    (summary, err), (connectors, _), (freshness, _) = got["summary"], got["connectors"], got["freshness"]
    stale = shaping.staleness(summary, connectors, state.now(), state.settings().stale_minutes, state.tz(),
                              freshness)
    kpis = components.kpi_row(shaping.wall_kpis(summary or {}), "xl")
    warning = None
    if stale.stale:
        warning = dbc.Alert([html.Strong("Perhatian: data mungkin tidak mutakhir. "),
                             html.Span(" ".join(stale.reasons))], color="danger", className="wall-stale mb-3")
    return kpis, stale.as_of, warning, components.error_alert(err, "Ringkasan")


@callback(Output(ids.WALL_SPIKE, "children"), Input(ids.WALL_INTERVAL, "n_intervals"))
def refresh_spike(_n):
    """One line from the most unusual spike of today and this week (core.trends, stored by the worker); nothing
    when there is none, or when it cannot be read (the wall's other parts say when the API is away)."""
    spikes, _ = state.fetch(lambda c: c.trend_spikes(limit=1))
    line = trends_view.wall_line(spikes)
    if line is None:
        return None
    return html.Div([html.Span("⚠", className="wall-spike-mark", **{"aria-hidden": "true"}), html.Span(line)],
                    className="wall-spike mb-3", role="status")


@callback(Output(ids.WALL_CHANNELS, "children"), Input(ids.WALL_INTERVAL, "n_intervals"))
def refresh_channels(_n):
    window = _window()
    channels, _ = state.reference("channels", lambda c: c.channels())
    by_channel, err = state.fetch(lambda c: c.by_dimension("channel", window))
    if err:
        return components.error_alert(err, "Kanal")
    start, end = window[0][1], window[1][1]
    calls = {item.get("key"): (lambda c, code=item.get("key"): c.timeseries("day", [*window, ("channel", code)]))
             for item in by_channel or []}
    got = state.fetch_many({**calls, "__freshness": lambda c: c.freshness()})
    ages = shaping.channel_ages(got.pop("__freshness")[0])
    series = {code: shaping.fill_days(points or [], start, end) for code, (points, _) in got.items()}
    tiles = shaping.channel_tiles(channels or [], by_channel or [], series)
    return dbc.Row([dbc.Col(_tile(t, ages.get(t["code"])), xs=6, md=4, xl=True) for t in tiles], className="g-3")


def _age(age: shaping.ChannelAge | None):
    """The age of the channel's newest record (all time), red with a warning sign past the channel's limit."""
    if age is None:
        return None
    if age.stale:
        return html.Div(["⚠ ", age.text], className="tile-age tile-age-stale", title=f"melewati {age.hint}")
    return html.Div(age.text, className="tile-age", title=age.hint)


def _tile(tile: dict, age: shaping.ChannelAge | None = None) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div([tile["label"], html.Span(f" · {TREND_DAYS} hari", className="tile-window")],
                 className="tile-label"),
        html.Div([html.Span(shaping.fmt_int(tile["total"]), className="tile-value"),
                  html.Span(f"{shaping.fmt_int(tile['open'])} terbuka", className="tile-open")],
                 className="d-flex align-items-baseline justify-content-between"),
        _age(age),
        html.Img(src=figures.sparkline(tile["series"]), className="tile-spark d-block w-100",
                 alt=f"Aduan masuk per hari, {TREND_DAYS} hari", style={"height": "48px"}),
    ], className="py-2"), className="channel-tile h-100", id=f"tile-{tile['code']}")


@callback(Output(ids.WALL_TREND, "figure"), Input(ids.WALL_VIEWPORT, "data"))
def refresh_trend(viewport):
    window = _window()
    items, err = state.fetch(lambda c: c.timeseries("day", window))
    if err:
        return figures.empty(err.message)
    return figures.trend(shaping.fill_days(items or [], window[0][1], window[1][1]),
                         font_size=round(16 * _scale(viewport)))


@callback(Output(ids.WALL_MAP, "figure"), Input(ids.WALL_VIEWPORT, "data"))
def refresh_map(viewport):
    items, err = state.fetch(lambda c: c.by_dimension("kecamatan", _window()))
    if err:
        return figures.empty(err.message)
    scale = _scale(viewport)
    return figures.kecamatan_map(items or [], font_size=round(16 * scale), marker_scale=scale,
                                 size_px=_size(viewport, ids.WALL_MAP))


@callback(Output(ids.WALL_SLOW_OPD, "children"), Input(ids.WALL_INTERVAL, "n_intervals"))
def refresh_slow_opd(_n):
    items, err = state.fetch(lambda c: c.by_dimension("opd"))
    if err:
        return components.unavailable(err.message)
    rows = shaping.slowest_opd(items or [])
    if not rows:
        return components.unavailable("Belum ada tindak lanjut tercatat")
    return html.Ol([html.Li([
        html.Div(r.get("label") or r.get("key"), className="slow-name", title=r.get("label") or r.get("key")),
        html.Div([html.Span(shaping.fmt_days(r.get("avg_followup_days")), className="slow-days"),
                  html.Span(f"{shaping.fmt_int(r.get('overdue'))} lewat tenggat", className="slow-overdue")],
                 className="d-flex justify-content-between"),
    ], className="slow-item") for r in rows], className="slow-list")
