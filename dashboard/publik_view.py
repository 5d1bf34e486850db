"""The public page's pieces (dashboard/pages/publik.py): pure functions, data in, components out.

Everything shown comes from the API's public routes (GET /public/complaints/{code}, GET /public/figures), which
already leave out the reporter, rahasia text and staff names: this module only lays it out. Mobile first
(390 px wide), Bahasa Indonesia, semantic HTML (headings, lists, tables with captions, labelled inputs).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import figures, ids
from dashboard.client import ApiError
from dashboard.components import GRAPH_CONFIG
from dashboard.shaping import MONTHS_ID, fmt_days, fmt_int, fmt_pct, parse_time

EXAMPLE_CODE = "WA-1A2B3C4D5E6F"
# Jakarta CRM colours: waiting red, in process yellow, done green (classes with readable contrast in the CSS).
TONES = {"unverified": "red", "verified": "red", "dispatched": "red", "in_progress": "yellow",
         "postponed": "yellow", "resolved": "green", "rejected": "grey", "archived": "grey"}
ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def when(value: str | datetime | None, tz: ZoneInfo, with_time: bool = True) -> str:
    """`23 November 2026 pukul 09.00 WIB` (local), or "–"."""
    moment = parse_time(value) if isinstance(value, str) or value is None else value
    if moment is None:
        return "–"
    local = moment.astimezone(tz)
    day = f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}"
    if not with_time:
        return day
    zone = ZONES.get(str(tz.key), local.tzname() or "")
    return f"{day} pukul {local:%H.%M} {zone}".rstrip()


def month_name(value: str | date) -> str:
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{MONTHS_ID[day.month - 1]} {day.year}"


# --- Lacak aduan -----------------------------------------------------------------------------------

def lookup_form(code: str = "") -> html.Div:
    return html.Div(dbc.Form([
        dbc.Label("Kode aduan", html_for=ids.PUB_CODE, className="pub-label"),
        html.Div([
            dbc.Input(id=ids.PUB_CODE, value=code, type="text", placeholder=f"mis. {EXAMPLE_CODE}",
                      autoComplete="off", autoFocus=not code, maxLength=40, className="pub-input"),
            dbc.Button("Lacak", id=ids.PUB_SUBMIT, type="submit", color="primary", className="pub-submit"),
        ], className="pub-search"),
        html.Div("Kode ada di pesan balasan WhatsApp atau tanda terima aduan Anda.", id="pub-code-help",
                 className="pub-help"),
    ], id=ids.PUB_FORM), role="search", **{"aria-label": "Lacak aduan dengan kodenya"})


def problem(err: ApiError | None, code: str) -> dbc.Alert:
    """Why a look-up gave no complaint, in a sentence for a citizen."""
    if err is None or not code:
        text = f"Masukkan kode aduan, misalnya {EXAMPLE_CODE}."
    elif err.status == 404:
        text = f"Kode aduan {code} tidak ditemukan. Periksa kembali kode pada pesan yang Anda terima."
    elif err.status == 422:
        text = "Kode aduan tidak valid: 3–40 karakter berupa huruf, angka, tanda hubung (-) atau garis bawah (_)."
    elif err.status == 429:
        detail = err.detail or "terlalu banyak permintaan; coba lagi sebentar lagi"
        text = detail[:1].upper() + detail[1:] + "."
    else:
        text = err.message
    return dbc.Alert(text, color="warning", className="pub-alert", id="pub-problem")


def _fact(label: str, value: Any) -> html.Div:
    return html.Div([html.Dt(label), html.Dd(value if value not in (None, "") else "–")], className="pub-fact")


def complaint_view(data: dict[str, Any], tz: ZoneInfo) -> html.Article:
    tone = TONES.get(data.get("status") or "", "grey")
    facts = [
        _fact("Kanal", data.get("channel_label")),
        _fact("OPD penanggung jawab", data.get("opd_name") or "belum ditentukan"),
        _fact("Kategori", data.get("category_name")),
        _fact("Kecamatan", data.get("kecamatan")),
        _fact("Diterima", when(data.get("received_at"), tz)),
    ]
    if data.get("first_response_at"):
        facts.append(_fact("Ditanggapi OPD", when(data["first_response_at"], tz)))
    elif data.get("response_due_at") and data.get("status") not in ("rejected", "archived"):
        facts.append(_fact("Batas tanggapan OPD", when(data["response_due_at"], tz, with_time=False)))
    if data.get("resolved_at"):
        facts.append(_fact("Selesai", when(data["resolved_at"], tz)))
    elif data.get("resolution_due_at") and data.get("status") not in ("rejected", "archived"):
        facts.append(_fact("Target selesai", when(data["resolution_due_at"], tz, with_time=False)))
    if data.get("reject_reason_label"):
        facts.append(_fact("Alasan ditolak", data["reject_reason_label"]))
    content: list[Any] = []
    if data.get("title"):
        content.append(html.P(data["title"], className="pub-subject"))
    if data.get("body") and data.get("body") != data.get("title"):
        content.append(html.P(data["body"], className="pub-body"))
    if data.get("text_note"):
        content.append(html.P(data["text_note"], className="pub-note"))
    if data.get("merged_into"):
        parent = data["merged_into"]
        content.append(html.P(["Aduan ini sama dengan aduan ", html.A(parent, href=f"/publik?kode={parent}"),
                               "; pantau perkembangannya di sana."], className="pub-note"))
    return html.Article([
        html.Div([
            html.H2(["Aduan ", html.Span(data.get("tracking_code"), className="pub-code")], className="pub-h2"),
            html.Span(data.get("status_label"), className=f"pub-status pub-tone-{tone}", id="pub-status"),
        ], className="pub-card-head"),
        *content,
        html.Dl(facts, className="pub-facts"),
        html.H3("Perjalanan aduan", className="pub-h3"),
        timeline(data.get("timeline") or [], tz),
    ], className="pub-card", id="pub-complaint", **{"aria-label": f"Aduan {data.get('tracking_code')}"})


def timeline(steps: list[dict[str, Any]], tz: ZoneInfo) -> html.Ol:
    items = []
    for step in steps:
        moment = parse_time(step.get("at"))
        items.append(html.Li([
            html.Div([html.Span(step.get("label"), className="pub-step-label"),
                      html.Span(f"oleh {step.get('by')}", className="pub-step-by")], className="pub-step-head"),
            html.Time(when(moment, tz), dateTime=moment.isoformat() if moment else None, className="pub-step-at"),
            html.P(step["text"], className="pub-step-text") if step.get("text") else None,
        ], className=f"pub-step pub-step-{step.get('kind')}"))
    return html.Ol(items, className="pub-timeline", id="pub-timeline")


# --- Angka -------------------------------------------------------------------------------------------

def _tile(label: str, value: str, hint: str | None = None) -> html.Div:
    return html.Div([html.Div(value, className="pub-kpi-value"), html.Div(label, className="pub-kpi-label"),
                     html.Div(hint, className="pub-kpi-hint") if hint else None], className="pub-kpi")


def _predikat(name: str | None) -> html.Span:
    if not name:
        return html.Span("–")
    slug = name.lower().replace(" ", "-")
    return html.Span(name, className=f"pub-predikat pub-predikat-{slug}")


def rapor_table(rapor: dict[str, Any]) -> html.Table:
    """One row per OPD, phone-narrow: the name with its counts and follow-up days under it, the completion
    percentage and the predikat; the kabupaten total below."""
    def row(item: dict[str, Any], total: bool = False) -> html.Tr:
        days = item.get("avg_followup_days")
        followup = f"tindak lanjut {fmt_days(days)} kerja" if days is not None else "belum ada tindak lanjut"
        counts = f"{fmt_int(item.get('resolved'))} dari {fmt_int(item.get('total'))} selesai · {followup}"
        return html.Tr([
            html.Th([html.Div(item.get("opd_name"), className="pub-opd-name"),
                     html.Div(counts, className="pub-opd-sub")], scope="row"),
            html.Td(fmt_pct(item.get("completion_pct")), className="pub-num"),
            html.Td(_predikat(item.get("predikat"))),
        ], className="pub-total" if total else None, **{"data-opd": item.get("opd_code") or ("total" if total else "")})

    body = [row(item) for item in rapor.get("rows") or []]
    return html.Table([
        html.Caption(f"Rapor OPD {month_name(rapor['period_start'])}", className="visually-hidden"),
        html.Thead(html.Tr([html.Th("OPD", scope="col"), html.Th("Selesai", scope="col", className="pub-num"),
                            html.Th("Predikat", scope="col")])),
        html.Tbody(body or [html.Tr(html.Td("Belum ada aduan pada bulan ini.", colSpan=3))]),
        html.Tfoot(row(rapor["total"], total=True)) if rapor.get("total") else None,
    ], className="pub-table", id="pub-rapor")


def share_list(items: list[dict[str, Any]], list_id: str, limit: int | None = None) -> html.Ul:
    """Counts as a list with a bar each (the bar is decoration; the number is the text)."""
    shown = items[:limit] if limit else items
    top = max([i.get("total") or 0 for i in shown] or [0]) or 1
    return html.Ul([html.Li([
        html.Div([html.Span(i.get("label") or i.get("key") or "–", className="pub-share-label"),
                  html.Span([fmt_int(i.get("total")), html.Span(f" · {fmt_pct(i.get('completion_pct'))} selesai",
                                                               className="pub-share-sub")],
                            className="pub-share-value")], className="pub-share-head"),
        html.Div(html.Div(className="pub-bar-fill", style={"width": f"{100 * (i.get('total') or 0) / top:.1f}%"}),
                 className="pub-bar", **{"aria-hidden": "true"}),
    ], className="pub-share", **{"data-key": i.get("key") or ""}) for i in shown], className="pub-shares", id=list_id)


def months_table(months: list[dict[str, Any]]) -> html.Table:
    return html.Table([
        html.Caption("Aduan per bulan", className="visually-hidden"),
        html.Thead(html.Tr([html.Th("Bulan", scope="col"), html.Th("Diterima", scope="col", className="pub-num"),
                            html.Th("Selesai", scope="col", className="pub-num"),
                            html.Th("Penyelesaian", scope="col", className="pub-num")])),
        html.Tbody([html.Tr([html.Th(month_name(m["period_start"]), scope="row"),
                             html.Td(fmt_int(m.get("received")), className="pub-num"),
                             html.Td(fmt_int(m.get("resolved")), className="pub-num"),
                             html.Td(fmt_pct(m.get("completion_pct")), className="pub-num")],
                            **{"data-month": m["month"]}) for m in reversed(months)]),
    ], className="pub-table pub-table-compact", id="pub-months")


def figures_view(data: dict[str, Any], tz: ZoneInfo) -> html.Div:
    summary = data.get("summary") or {}
    rapor = data.get("rapor") or {}
    period = f"{month_name(data['period_start'])} – {month_name(data['period_end'])}"
    return html.Div([
        html.H2(f"Angka aduan {period}", className="pub-h2"),
        html.P(f"Diperbarui {when(data.get('generated_at'), tz)}. Aduan duplikat yang digabung dihitung sekali.",
               className="pub-help"),
        html.Div([
            _tile("Aduan diterima", fmt_int(summary.get("received"))),
            _tile("Sudah selesai", fmt_int(summary.get("resolved"))),
            _tile("Penyelesaian", fmt_pct(summary.get("completion_pct")), "dari aduan yang ditangani"),
            _tile("Tindak lanjut pertama", fmt_days(summary.get("avg_followup_days")), "rata-rata, hari kerja"),
        ], className="pub-kpis", id="pub-kpis"),
        html.Section([
            html.H3("Per bulan", className="pub-h3"),
            html.Div(dcc.Graph(id=ids.PUB_MONTHS_GRAPH, figure=figures.monthly(data.get("by_month") or [], 260),
                               config={**GRAPH_CONFIG, "staticPlot": True}),
                     className="pub-graph", **{"aria-hidden": "true"}),
            html.Details([html.Summary("Tabel per bulan"), months_table(data.get("by_month") or [])],
                         className="pub-details"),
        ], className="pub-section", **{"aria-label": "Per bulan"}),
        html.Section([
            html.H3(f"Rapor OPD {month_name(rapor['period_start'])}" if rapor else "Rapor OPD", className="pub-h3"),
            html.P("Bulan lengkap terakhir. Predikat menurut persentase aduan yang selesai dan rata-rata hari kerja "
                   "sampai tindak lanjut pertama, seperti rapor resmi." if rapor else "Rapor belum tersedia.",
                   className="pub-help"),
            rapor_table(rapor) if rapor else None,
        ], className="pub-section", **{"aria-label": "Rapor OPD"}),
        html.Section([
            html.H3("Per kanal", className="pub-h3"),
            share_list(data.get("by_channel") or [], "pub-channels"),
        ], className="pub-section", **{"aria-label": "Per kanal"}),
        html.Section([
            html.H3("Per kecamatan", className="pub-h3"),
            html.Div(dcc.Graph(id=ids.PUB_MAP, figure=figures.kecamatan_map(data.get("by_kecamatan") or [], 380,
                                                                             size_px=(350, 380)),
                               config={**GRAPH_CONFIG, "staticPlot": True}),
                     className="pub-graph", **{"aria-hidden": "true"}),
            html.P("Ukuran lingkaran = jumlah aduan; warna = bagian yang lewat tenggat.", className="pub-help"),
            share_list(data.get("by_kecamatan") or [], "pub-kecamatan"),
        ], className="pub-section", **{"aria-label": "Per kecamatan"}),
    ], id="pub-angka")
