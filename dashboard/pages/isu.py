"""Isu: what the complaints are about — topics found in their text over time, spikes far above their usual, and
issues (one problem reported many times, across channels).

The page only reads what the worker's trends job stored (GET /api/v1/trends/*): it never computes topics. For
analysts and admins (and an OPD admin, for its own OPD); a viewer sees the summary, without example complaints
and without the links to Jelajah.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard import components, figures, ids, shaping, state, trends_view

dash.register_page(__name__, path="/isu", name="Isu", title="Isu dan tren — Aduan Terpadu", order=4)

PERIODS = [("week", "Minggu ini"), ("month", "Bulan ini")]
BRIEFING_ROLES = {"admin", "analyst"}  # GET /briefing.pdf

RATIO_CAP = 10.0  # colours stop at 10× (a floor-level baseline can make a ratio of 100): "≥ 10×" is the top
SPIKE_RATIO = figures.Shade(
    value=lambda i: min(RATIO_CAP, i.get("ratio") or 1.0), low=1.0, floor=4.0,
    tick=lambda v: f"≥ {trends_view.times(v)}" if v >= RATIO_CAP else trends_view.times(v),
    hover=lambda i: ("<br>".join(i.get("spikes") or []) + f"<br>{i.get('total', 0)} aduan, "
                     f"{trends_view.times(i.get('ratio'))} biasanya") if i.get("spikes") else "Tidak ada lonjakan")


def _role() -> str | None:
    login = state.login()
    return login.role if login is not None else None


def _drills() -> bool:
    """Whether this reader may open Jelajah (viewers read aggregates only)."""
    return components.page_allowed("/jelajah", _role())


def layout(period: str | None = None, **_query) -> html.Div:
    role = _role()
    if role is not None and not components.page_allowed("/isu", role):
        return html.Div([components.page_header("Isu dan tren"),
                         components.no_access(reason="Halaman ini untuk analis, admin dan pimpinan.")],
                        className="container-fluid")
    chosen = period if period in dict(PERIODS) else "week"
    controls = [dbc.RadioItems(id=ids.ISU_PERIOD, options=[{"label": lbl, "value": v} for v, lbl in PERIODS],
                               value=chosen, inline=True, className="channel-switch", inputClassName="btn-check",
                               labelClassName="btn btn-outline-primary", labelCheckedClassName="active")]
    if role in BRIEFING_ROLES:
        controls += [dbc.Button("Ringkasan mingguan (PDF)", id=ids.ISU_BRIEFING, color="primary", outline=True),
                     dcc.Download(id=ids.ISU_BRIEFING_DOWNLOAD)]
    viewer_note = html.Div("Ringkasan untuk pimpinan: contoh aduan dan rincian hanya untuk analis dan admin.",
                           className="text-muted small mb-2", id="isu-viewer-note") if role == "viewer" else None
    return html.Div([
        dcc.Location(id=ids.ISU_GO, refresh="callback-nav"),
        components.page_header("Isu dan tren", "Topik dari teks aduan, lonjakan yang tidak biasa, dan isu lintas "
                                               "kanal", controls),
        viewer_note,
        html.Div(id=ids.ISU_ERROR),
        html.Div(id=ids.ISU_BRIEFING_ERROR),
        html.Div(id=ids.ISU_SUMMARY, className="isu-summary mb-3"),
        dbc.Row([
            dbc.Col(components.panel("Topik dari waktu ke waktu", components.graph(ids.ISU_TOPICS_CHART, 400),
                                     "aduan per hari, topik teramai" + (" · klik garis untuk membuka Jelajah"
                                                                        if _drills() else "")),
                    xs=12, xl=7, className="mb-3"),
            dbc.Col(components.panel("Topik", html.Div(components.unavailable("Memuat…"), id=ids.ISU_TOPICS,
                                                       className="isu-scroll"),
                                     "kata kunci · jumlah · tren · tempat · kanal"), xs=12, xl=5, className="mb-3"),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(components.panel("Lonjakan", html.Div(components.unavailable("Memuat…"), id=ids.ISU_SPIKES,
                                                          className="isu-scroll isu-scroll-short"),
                                     "hari ini dan minggu ini, paling tidak biasa dahulu"),
                    xs=12, xl=4, className="mb-3"),
            dbc.Col(components.panel("Peta lonjakan", components.graph(ids.ISU_MAP, 360),
                                     "per kecamatan · ukuran = aduan, warna = kali biasanya"),
                    xs=12, md=6, xl=4, className="mb-3"),
            dbc.Col(components.panel("Isu lintas kanal", html.Div(components.unavailable("Memuat…"), id=ids.ISU_ISSUES,
                                                                  className="isu-scroll isu-scroll-short"),
                                     "aduan yang sama dari banyak pelapor"),
                    xs=12, md=6, xl=4, className="mb-3"),
        ], className="g-3"),
    ], className="container-fluid isu")


def _when(iso: str | None) -> str:
    return shaping.local_time(iso, state.tz()) if iso else "belum pernah"


@callback(Output(ids.ISU_SUMMARY, "children"), Output(ids.ISU_TOPICS_CHART, "figure"),
          Output(ids.ISU_TOPICS, "children"), Output(ids.ISU_ERROR, "children"), Input(ids.ISU_PERIOD, "value"))
def show_topics(period):
    answer, err = state.fetch(lambda c: c.trend_topics(period or "week"))
    if err:
        return None, figures.empty(err.message), components.unavailable(err.message), \
            components.error_alert(err, "Topik")
    topics = answer.get("topics") or []
    today = state.now().astimezone(state.tz()).date()
    start, end = answer.get("start"), answer.get("end")
    span = trends_view.period_text(start, end) if start and end else ""
    counted = sum(t.get("count") or 0 for t in topics)
    summary = html.Div([
        html.Span(f"{shaping.fmt_int(len(topics))} topik", className="fw-bold"),
        f" dari {shaping.fmt_int(counted)} aduan · {span} · dihitung {_when(answer.get('computed_at'))}",
    ], id="isu-topic-summary")
    if answer.get("computed_at") is None:
        message = "Topik periode ini belum dihitung oleh worker (dihitung tiap malam)."
        return summary, figures.empty(message), components.unavailable(message), None
    chart = figures.topic_lines(trends_view.chart_series(answer, today))
    return summary, chart, _topic_list(topics, start, end), None


def _topic_list(topics: list[dict], start: str | None, end: str | None):
    if not topics:
        return components.unavailable("Belum ada topik untuk periode ini")
    drills, items = _drills(), []
    for t in sorted(topics, key=lambda t: -(t.get("count") or 0)):
        label = t.get("label") or "–"
        href = trends_view.jelajah_href(t.get("complaint_filter"), start, end)
        places = ", ".join(k.get("name") for k in (t.get("top_kecamatan") or [])[:3] if k.get("name"))
        opds = ", ".join(o.get("name") or o.get("code") for o in (t.get("top_opd") or [])[:2])
        details = " · ".join(x for x in (trends_view.trend_text(t), places, opds,
                                         trends_view.channels_text(t.get("channels") or [])) if x)
        examples = [html.Li([html.Span(e.get("tracking_code"), className="isu-code"), " ",
                             html.Span(e.get("text"), className="isu-example-text")], className="isu-example")
                    for e in (t.get("examples") or [])[:2]]
        items.append(html.Li([
            html.Div([html.A(label, href=href, className="isu-topic-label") if drills else
                      html.Span(label, className="isu-topic-label"),
                      dbc.Badge(f"{shaping.fmt_int(t.get('count'))} aduan", color="primary", className="ms-2")],
                     className="d-flex justify-content-between align-items-baseline gap-2"),
            html.Div(details, className="isu-detail"),
            html.Ul(examples, className="isu-examples") if examples else None,
        ], className="isu-item isu-topic", id=f"isu-topic-{t.get('id')}"))
    return html.Ol(items, className="isu-list")


@callback(Output(ids.ISU_GO, "href"), Input(ids.ISU_TOPICS_CHART, "clickData"), prevent_initial_call=True)
def open_topic(click):
    """A point of a topic's line opens Jelajah on that topic (its `customdata`)."""
    points = (click or {}).get("points") or []
    href = points[0].get("customdata") if points else None
    return href if href and _drills() else no_update


@callback(Output(ids.ISU_SPIKES, "children"), Output(ids.ISU_MAP, "figure"), Input(ids.ISU_PERIOD, "value"))
def show_spikes(_period):
    got = state.fetch_many({"spikes": lambda c: c.trend_spikes(limit=50), "kecamatan": lambda c: c.kecamatan()})
    (answer, err), (kecamatan, _) = got["spikes"], got["kecamatan"]
    if err:
        return components.unavailable(err.message), figures.empty(err.message)
    spikes = answer.get("spikes") or []
    items = trends_view.spike_map_items(spikes, kecamatan or [])
    spiked = {i["key"] for i in items}
    context = [{"key": k.get("name"), "label": " ", "total": 0, "lat": k.get("lat"), "lon": k.get("lon")}
               for k in kecamatan or [] if k.get("name") not in spiked]
    chart = figures.kecamatan_map([*items, *context], shade=SPIKE_RATIO) if items else \
        figures.empty("Tidak ada lonjakan hari ini maupun minggu ini")
    if not spikes:
        return components.unavailable("Tidak ada lonjakan hari ini maupun minggu ini"), chart
    return html.Ol([_spike_item(s) for s in spikes], className="isu-list"), chart


def _spike_item(spike: dict) -> html.Li:
    window = "hari ini" if spike.get("window") == "day" else "minggu ini"
    label = spike.get("label") or "–"
    if spike.get("kind") == "topic":
        href = trends_view.jelajah_href({"q": label.split(" · ")[0]}, spike.get("period_start"),
                                        spike.get("period_end"))
    else:
        href = trends_view.spike_href(spike)
    numbers = (f"{shaping.fmt_int(spike.get('count'))} aduan · biasanya "
               f"{(spike.get('expected') or 0):.1f}".replace(".", ",") + f" · {window}")
    return html.Li([
        html.Div([html.A(label, href=href, className="isu-topic-label") if _drills() else
                  html.Span(label, className="isu-topic-label"),
                  dbc.Badge(trends_view.times(spike.get("ratio")), color="danger", className="ms-2")],
                 className="d-flex justify-content-between align-items-baseline gap-2"),
        html.Div(f"{numbers} · {trends_view.channels_text(spike.get('channels') or [])}", className="isu-detail"),
    ], className="isu-item isu-spike")


@callback(Output(ids.ISU_ISSUES, "children"), Input(ids.ISU_PERIOD, "value"))
def show_issues(_period):
    issues, err = state.fetch(lambda c: c.trend_issues(limit=20))
    if err:
        return components.list_unavailable(err, "isu")
    if not issues:
        return components.unavailable("Belum ada aduan yang digabung sebagai satu isu")
    labels, drills = state.labels(), _drills()
    rows = []
    for issue in issues:
        title = issue.get("title") or "–"
        head = f"{title} — {issue['kecamatan']}" if issue.get("kecamatan") else title
        rows.append(html.Li([
            html.Div([html.A(head, href=trends_view.jelajah_href({"q": issue.get("tracking_code")}),
                             className="isu-topic-label") if drills else html.Span(head, className="isu-topic-label"),
                      html.Span(issue.get("opd") or "", className="isu-code ms-2")],
                     className="d-flex justify-content-between align-items-baseline gap-2"),
            html.Div(trends_view.issue_line(issue, labels.status(issue.get("status"), "")), className="isu-detail"),
        ], className="isu-item isu-issue"))
    return html.Ol(rows, className="isu-list")


@callback(Output(ids.ISU_BRIEFING_DOWNLOAD, "data"), Output(ids.ISU_BRIEFING_ERROR, "children"),
          Input(ids.ISU_BRIEFING, "n_clicks"), prevent_initial_call=True)
def download_briefing(clicks):
    if not clicks:
        return no_update, no_update
    content, err = state.fetch(lambda c: c.briefing_pdf())
    if err:
        return no_update, components.error_alert(err, "Ringkasan mingguan")
    stamp = state.now().astimezone(state.tz()).strftime("%Y%m%d")
    return dcc.send_bytes(content, f"ringkasan-mingguan-{stamp}.pdf"), None
