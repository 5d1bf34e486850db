"""Konektor: health of every connector instance, with a manual 'sync now' for admins."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, dcc, html, no_update

from dashboard import components, ids, shaping, state

dash.register_page(__name__, path="/konektor", name="Konektor", title="Konektor — Aduan Terpadu", order=4)


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed("/konektor", login.role):
        return html.Div([components.page_header("Kesehatan konektor"),
                         components.no_access(reason="Kesehatan konektor hanya dapat dibuka oleh admin dan analis.")],
                        className="container-fluid")
    return html.Div([
        dcc.Interval(id=ids.KONEKTOR_INTERVAL, interval=30_000, n_intervals=0),
        dcc.Store(id=ids.KONEKTOR_SYNCED),
        components.page_header("Kesehatan konektor", "Sinkronisasi tiap sumber aduan: kapan terakhir berhasil, "
                                                     "keterlambatan, jumlah data, dan galat"),
        html.Div(id=ids.KONEKTOR_RESULT),
        html.Div(id=ids.KONEKTOR_TABLE),
    ], className="container-fluid")


@callback(Output(ids.KONEKTOR_TABLE, "children"), Input(ids.KONEKTOR_INTERVAL, "n_intervals"),
          Input(ids.KONEKTOR_SYNCED, "data"))
def show_connectors(_n, _synced):
    got = state.fetch_many({"connectors": lambda c: c.connectors(), "me": lambda c: c.me(),
                            "freshness": lambda c: c.freshness()})
    connectors, err = got["connectors"]
    me = got["me"][0] or {}
    freshness, fresh_err = got["freshness"]
    ages = None if fresh_err else shaping.channel_ages(freshness)
    if err:
        return components.error_alert(err, "Konektor")
    if not connectors:
        return components.unavailable("Belum ada konektor yang dikonfigurasi")
    rows = shaping.connector_rows(connectors, state.now(), state.tz(), state.labels(), me.get("role"), ages)
    kpis = components.kpi_row(shaping.connector_kpis(connectors, state.now(), ages), "md")
    head = html.Thead(html.Tr([html.Th(h) for h in (
        "Konektor", "Kanal", "Status", "Terakhir berhasil", "Data terbaru", "Keterlambatan", "Diambil", "Baru",
        "Diperbarui", "Gagal", "Inbox gagal", "")]))
    body = html.Tbody([html.Tr([
        html.Td([html.Div(r["name"], className="fw-bold"), html.Div(r["kind"], className="text-muted small"),
                 html.Div(r["error"], className="connector-error") if r["error"] else None,
                 html.Div(f"{r['writeback_pending']} aksi menunggu dikirim ke hulu", className="small text-warning")
                 if r.get("writeback_pending") else None,
                 html.Details([html.Summary(f"{len(r['writeback_failed'])} aksi gagal dikirim ke hulu",
                                            className="small text-danger"),
                               html.Ul([html.Li(w) for w in r["writeback_failed"]], className="small mb-0")],
                              className="writeback-failed") if r.get("writeback_failed") else None]),
        html.Td(r["channel"]),
        html.Td(dbc.Badge(r["status"], color=r["tone"], className="fs-6")),
        html.Td([html.Div(r["last_success"]), html.Div(r["last_success_ago"], className="text-muted small")]),
        html.Td([html.Div(r["data_age"].removeprefix("data terbaru "),
                          className="data-age text-danger fw-bold" if r["data_stale"] else "data-age"),
                 html.Div(("melewati " if r["data_stale"] else "") + r["data_limit"], className="text-muted small")
                 if r["data_limit"] else None]),
        html.Td(r["lag"]),
        html.Td(r["fetched"]), html.Td(r["new"]), html.Td(r["updated"]),
        html.Td(str(r["failed"]), className="text-danger fw-bold" if r["failed"] else ""),
        html.Td(str(r["inbox_failed"]), className="text-danger fw-bold" if r["inbox_failed"] else ""),
        html.Td(dbc.Button("Sinkronkan sekarang", id={"type": ids.SYNC_BUTTON, "name": r["name"]}, size="sm",
                           color="primary", outline=True) if r["can_sync"] else None),
    ], id=f"connector-{r['name']}") for r in rows])
    return html.Div([kpis, dbc.Card(dbc.Table([head, body], hover=True, responsive=True,
                                              className="mb-0 align-middle connector-table"), className="panel p-2")])


@callback(Output(ids.KONEKTOR_RESULT, "children"), Output(ids.KONEKTOR_SYNCED, "data"),
          Input({"type": ids.SYNC_BUTTON, "name": ALL}, "n_clicks"), prevent_initial_call=True)
def sync_now(clicks):
    if not components.real_click(clicks):
        return no_update, no_update
    name = ctx.triggered_id["name"]
    result, err = state.fetch(lambda c: c.sync_connector(name))
    if err:
        message = "Hanya admin yang dapat menjalankan sinkronisasi." if err.status == 403 else err.message
        return dbc.Alert(f"Sinkronisasi {name}: {message}", color="warning", dismissable=True), no_update
    tone, text = shaping.sync_message(name, result)
    return dbc.Alert(text, color=tone, dismissable=True), state.now().isoformat()
