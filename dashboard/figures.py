"""Plotly figures (graph_objects only). Pure: data in, figure out."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from dashboard.shaping import CALL_TYPE_LABELS, Labels, status_mix

NAVY = "#12355b"
TEAL = "#1a7f8e"
GOLD = "#c9a227"
RED = "#c0392b"
GREEN = "#2e8b57"
GREY = "#8c96a3"
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
CALL_COLOURS = {"normal": TEAL, "ghost": GREY, "prank": RED, "informasi": GOLD}


def _base(fig: go.Figure, height: int | None = None, font_size: int = 13, **layout: Any) -> go.Figure:
    defaults = dict(
        template="plotly_white", font=dict(family=FONT, size=font_size, color="#1f2d3d"),
        margin=dict(l=8, r=8, t=8, b=8), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False, uirevision="keep", hoverlabel=dict(font_family=FONT), separators=",.",
    )
    fig.update_layout(**{**defaults, **layout})
    if height:
        fig.update_layout(height=height)
    return fig


def empty(message: str = "Data belum tersedia", height: int | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=15, color=GREY))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, height)


def sparkline(values: list[int], colour: str = TEAL, height: int = 48) -> go.Figure:
    if not values:
        return empty("", height)
    fig = go.Figure(go.Scatter(y=values, mode="lines", line=dict(color=colour, width=2.5),
                               fill="tozeroy", fillcolor="rgba(26,127,142,0.15)", hoverinfo="skip"))
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True, rangemode="tozero")
    return _base(fig, height, margin=dict(l=0, r=0, t=2, b=0))


def trend(items: list[dict[str, Any]], height: int | None = None, font_size: int = 13,
          clickable: bool = False) -> go.Figure:
    """Daily (or weekly) received vs resolved: bars for received, a line for resolved."""
    if not items:
        return empty(height=height)
    periods = [i["period"][:10] for i in items]
    fig = go.Figure()
    fig.add_bar(x=periods, y=[i.get("total", 0) for i in items], name="Masuk", marker_color=NAVY,
                customdata=periods, hovertemplate="%{x|%d/%m/%Y}<br>Masuk: %{y}<extra></extra>")
    fig.add_scatter(x=periods, y=[i.get("resolved", 0) for i in items], name="Selesai", mode="lines+markers",
                    line=dict(color=GREEN, width=3), marker=dict(size=5), customdata=periods,
                    hovertemplate="%{x|%d/%m/%Y}<br>Selesai: %{y}<extra></extra>")
    # Numeric dates: plotly's month names are English and no locale bundle is loaded (offline).
    fig.update_xaxes(type="date", tickformat="%d/%m", showgrid=False)
    peak = max([i.get("total", 0) for i in items] + [i.get("resolved", 0) for i in items])
    fig.update_yaxes(rangemode="tozero", gridcolor="#e6eaf0", tickformat=",d", dtick=1 if peak <= 6 else None)
    _base(fig, height, font_size, showlegend=True, bargap=0.25,
          legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
          margin=dict(l=8, r=8, t=28, b=8))
    if clickable:
        fig.update_layout(clickmode="event")
    return fig


def hbar(items: list[dict[str, Any]], value: str = "total", height: int | None = None, colour: str = NAVY,
         selected: tuple[str, ...] = (), font_size: int = 13, label_width: int = 40) -> go.Figure:
    """Horizontal bars, largest on top; `customdata` carries the key a click filters on."""
    if not items:
        return empty(height=height)
    rows = list(reversed(items))
    labels = [_clip(str(i.get("label") or i.get("key") or "–"), label_width) for i in rows]
    colours = [colour if not selected or i.get("key") in selected else "#c5cfdb" for i in rows]
    fig = go.Figure(go.Bar(
        x=[i.get(value) or 0 for i in rows], y=labels, orientation="h", marker_color=colours,
        customdata=[i.get("key") for i in rows], text=[_num(i.get(value)) for i in rows], textposition="auto",
        hovertemplate="%{y}: %{x}<extra></extra>", cliponaxis=False))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(automargin=True, ticksuffix="  ")
    return _base(fig, height or max(160, 28 * len(rows) + 20), font_size, bargap=0.28)


def status_bars(by_status: dict[str, int], labels: Labels, height: int | None = None,
                selected: tuple[str, ...] = ()) -> go.Figure:
    mix = status_mix(by_status or {}, labels)
    if not mix:
        return empty(height=height)
    rows = list(reversed(mix))
    fig = go.Figure(go.Bar(
        x=[n for _, _, n, _ in rows], y=[label for _, label, _, _ in rows], orientation="h",
        marker_color=[c if not selected or code in selected else "#c5cfdb" for code, _, _, c in rows],
        customdata=[code for code, _, _, _ in rows], text=[_num(n) for _, _, n, _ in rows], textposition="auto",
        hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(automargin=True, ticksuffix="  ")
    return _base(fig, height or max(160, 30 * len(rows) + 20), bargap=0.28)


def status_donut(by_status: dict[str, int], labels: Labels, height: int | None = None) -> go.Figure:
    mix = status_mix(by_status or {}, labels)
    if not mix:
        return empty(height=height)
    fig = go.Figure(go.Pie(labels=[m[1] for m in mix], values=[m[2] for m in mix], hole=0.55, sort=False,
                           marker=dict(colors=[m[3] for m in mix]), textinfo="percent",
                           hovertemplate="%{label}: %{value}<extra></extra>"))
    return _base(fig, height, showlegend=True, legend=dict(orientation="v", x=1, y=0.5))


def kecamatan_map(items: list[dict[str, Any]], height: int | None = None, font_size: int = 12,
                  selected: tuple[str, ...] = (), labels: bool = True) -> go.Figure:
    """Bubbles at kecamatan centroids on plain lon/lat axes (no map tiles: works offline)."""
    points = [i for i in items if i.get("lat") is not None and i.get("lon") is not None]
    if not points:
        return empty(height=height)
    biggest = max((i.get("total") or 0) for i in points) or 1
    sizes = [10 + 34 * math.sqrt((i.get("total") or 0) / biggest) for i in points]
    share = [((i.get("overdue") or 0) / i["total"]) if i.get("total") else 0 for i in points]
    fig = go.Figure(go.Scatter(
        x=[i["lon"] for i in points], y=[i["lat"] for i in points], mode="markers+text" if labels else "markers",
        text=[i.get("label") or i.get("key") for i in points], textposition="bottom center",
        textfont=dict(size=font_size - 1, color="#33475b"), customdata=[i.get("key") for i in points],
        marker=dict(size=sizes, color=share, cmin=0, cmax=max(0.3, max(share)), sizemode="diameter",
                    colorscale=[[0, "#2e8b57"], [0.5, "#e6a23c"], [1, "#c0392b"]],
                    line=dict(color=["#12355b" if i.get("key") in selected else "white" for i in points],
                              width=[3 if i.get("key") in selected else 1 for i in points]),
                    opacity=0.85, colorbar=dict(tickformat=".0%", thickness=10, len=0.7, outlinewidth=0)),
        hovertemplate=[f"<b>{i.get('label') or i.get('key')}</b><br>Aduan: {i.get('total', 0)}<br>"
                       f"Terbuka: {i.get('open', 0)}<br>Lewat tenggat: {i.get('overdue', 0)}<extra></extra>"
                       for i in points]))
    lons, lats = [i["lon"] for i in points], [i["lat"] for i in points]
    pad = 0.04
    fig.update_xaxes(visible=False, range=[min(lons) - pad, max(lons) + pad], fixedrange=True)
    fig.update_yaxes(visible=False, range=[min(lats) - pad * 1.6, max(lats) + pad], fixedrange=True,
                     scaleanchor="x", scaleratio=1.0)
    return _base(fig, height, font_size, plot_bgcolor="#eef3f8", margin=dict(l=4, r=4, t=4, b=4))


def ratings(rows: list[tuple[str, int]], height: int | None = None) -> go.Figure:
    if not any(n for _, n in rows):
        return empty(height=height)
    colours = [RED, "#e07b39", GOLD, "#7fb069", GREEN]
    fig = go.Figure(go.Bar(x=[label for label, _ in rows], y=[n for _, n in rows], marker_color=colours,
                           text=[_num(n) for _, n in rows], textposition="auto",
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_yaxes(visible=False)
    return _base(fig, height)


def calls(by_type: dict[str, dict[str, int]], height: int | None = None) -> go.Figure:
    """112 calls per day, stacked by type (ghost/prank are counted but are not complaints)."""
    if not by_type:
        return empty(height=height)
    days = sorted({d for series in by_type.values() for d in series})
    fig = go.Figure()
    for call_type, series in sorted(by_type.items()):
        fig.add_bar(x=days, y=[series.get(d, 0) for d in days], name=CALL_TYPE_LABELS.get(call_type, call_type),
                    marker_color=CALL_COLOURS.get(call_type, NAVY))
    fig.update_xaxes(type="date", tickformat="%d/%m")
    return _base(fig, height, barmode="stack", showlegend=True,
                 legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                 margin=dict(l=8, r=8, t=28, b=8))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(n: Any) -> str:
    return f"{int(n or 0):,}".replace(",", ".")
