"""Plotly figures (graph_objects only). Pure: data in, figure out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go

from dashboard.shaping import CALL_TYPE_LABELS, Labels, fmt_pct, status_mix

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


def _date_axis(fig: go.Figure, **extra: Any) -> None:
    """Days as dd/mm, never turned (fewer ticks rather than turned labels). A label that would spill past the
    plot's left edge, printed over the y axis's "0" on the days when the first tick falls on the first day, is
    left out instead. Over less than a week plotly ticks every few hours, each labelled with its day ("07/12"
    eight times on a Tuesday's "this week"): there, one tick a day."""
    days = sorted({str(x)[:10] for trace in fig.data for x in (trace.x or ())})
    if days:
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        if (last - first).days < 7:
            extra.update(tickmode="array",
                         tickvals=[(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)])
    fig.update_xaxes(type="date", tickformat="%d/%m", tickangle=0, ticklabeloverflow="hide past domain", **extra)


def empty(message: str = "Data belum tersedia", height: int | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=15, color=GREY))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, height)


def sparkline(values: list[int], colour: str = TEAL) -> str:
    """A filled line of `values` as an SVG data URI for an <img>: the wall shows one per channel, and as Plotly
    charts they cost the browser about a second to draw before the rest of the wall could follow."""
    peak = max(values, default=0) or 1
    step = 100 / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.2f},{30 - 28 * v / peak:.2f}" for i, v in enumerate(values))
    shapes = (f'<polygon points="0,30 {points} 100,30" fill="{colour}" fill-opacity="0.15"/>'
              f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
              'vector-effect="non-scaling-stroke" stroke-linejoin="round"/>') if values else ""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 30" preserveAspectRatio="none">{shapes}</svg>'
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


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
    _date_axis(fig, showgrid=False)
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
        textangle=0,  # never turned 90° to fit a thin bar
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
        textangle=0,
        hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(automargin=True, ticksuffix="  ")
    return _base(fig, height or max(160, 30 * len(rows) + 20), bargap=0.28)


def status_donut(by_status: dict[str, int], labels: Labels, height: int | None = None) -> go.Figure:
    mix = status_mix(by_status or {}, labels)
    if not mix:
        return empty(height=height)
    total = sum(m[2] for m in mix) or 1
    fig = go.Figure(go.Pie(labels=[m[1] for m in mix], values=[m[2] for m in mix], hole=0.55, sort=False,
                           marker=dict(colors=[m[3] for m in mix]), textinfo="text",
                           text=[fmt_pct(100 * m[2] / total) for m in mix],  # "41,0 %", as everywhere
                           # never turned along a thin slice: a label that does not fit level goes outside it
                           insidetextorientation="horizontal",
                           hovertemplate="%{label}: %{value}<extra></extra>"))
    return _base(fig, height, showlegend=True, legend=dict(orientation="v", x=1, y=0.5))


@dataclass(frozen=True)
class Shade:
    """What a map bubble's colour says: `value` of an item on a scale from `low` up to at least `floor`, the colour
    bar's tick text, and the hover text's lines after the name."""

    value: Callable[[dict[str, Any]], float]
    floor: float
    tick: Callable[[float], str]
    hover: Callable[[dict[str, Any]], str]
    low: float = 0.0


OVERDUE_SHARE = Shade(
    value=lambda i: ((i.get("overdue") or 0) / i["total"]) if i.get("total") else 0, floor=0.3,
    tick=lambda v: fmt_pct(100 * v),
    hover=lambda i: f"Aduan: {i.get('total', 0)}<br>Terbuka: {i.get('open', 0)}<br>"
                    f"Lewat tenggat: {i.get('overdue', 0)}")


def kecamatan_map(items: list[dict[str, Any]], height: int | None = None, font_size: int = 12,
                  selected: tuple[str, ...] = (), labels: bool = True,
                  size_px: tuple[float, float] | None = None, marker_scale: float = 1.0,
                  shade: Shade = OVERDUE_SHARE) -> go.Figure:
    """Bubbles at kecamatan centroids on plain lon/lat axes (no map tiles: works offline); size = `total`, colour =
    `shade` (by default the share past its deadline).

    With `size_px` (the graph's width and height on screen) each name goes where it collides with no other
    name (below, above, right or left of its bubble, biggest bubbles first); a name with no free place is left
    to the hover label rather than printed over a neighbour's."""
    points = [i for i in items if i.get("lat") is not None and i.get("lon") is not None]
    if not points:
        return empty(height=height)
    biggest = max((i.get("total") or 0) for i in points) or 1
    sizes = [(10 + 34 * math.sqrt((i.get("total") or 0) / biggest)) * marker_scale for i in points]
    share = [shade.value(i) for i in points]
    names = [str(i.get("label") or i.get("key")) for i in points]
    lons, lats = [i["lon"] for i in points], [i["lat"] for i in points]
    pad = 0.04
    x_range = [min(lons) - pad, max(lons) + pad]
    y_range = [min(lats) - pad * 1.6, max(lats) + pad]
    margin = max(4, round(font_size / 3))
    colorbar_px = 30 + 4.6 * font_size  # bar, its padding and the "100,0 %" tick labels
    text, positions = names, ["bottom center"] * len(points)
    if labels and size_px:
        plot_w, plot_h = size_px[0] - 2 * margin - colorbar_px, size_px[1] - 2 * margin
        text, positions = _place_labels(lons, lats, sizes, names, font_size - 1, plot_w, plot_h, x_range, y_range)
    fig = go.Figure(go.Scatter(
        x=lons, y=lats, mode="markers+text" if labels else "markers",
        text=text, textposition=positions,
        textfont=dict(size=font_size - 1, color="#33475b"), customdata=[i.get("key") for i in points],
        marker=dict(size=sizes, color=share, cmin=shade.low, cmax=max(shade.floor, max(share)), sizemode="diameter",
                    colorscale=[[0, "#2e8b57"], [0.5, "#e6a23c"], [1, "#c0392b"]],
                    line=dict(color=["#12355b" if i.get("key") in selected else "white" for i in points],
                              width=[3 if i.get("key") in selected else 1 for i in points]),
                    opacity=0.85,
                    colorbar=dict(**_ticks(shade, max(shade.floor, max(share))), thickness=10, len=0.7,
                                  outlinewidth=0)),
        hovertemplate=[f"<b>{name}</b><br>{shade.hover(i)}<extra></extra>"
                       for name, i in zip(names, points, strict=True)]))
    fig.update_xaxes(visible=False, range=x_range, fixedrange=True)
    fig.update_yaxes(visible=False, range=y_range, fixedrange=True, scaleanchor="x", scaleratio=1.0)
    if size_px:
        fig.update_layout(meta={"size_px": list(size_px)})  # the names were placed for this size
    return _base(fig, height, font_size, plot_bgcolor="#eef3f8",
                 margin=dict(l=margin, r=margin, t=margin, b=margin))


# Where a name may go around its bubble, in order of preference: (plotly textposition, dx, dy) with dx/dy the
# direction from the bubble's centre (screen y grows downwards).
_LABEL_SPOTS = [("bottom center", 0, 1), ("top center", 0, -1), ("middle right", 1, 0), ("middle left", -1, 0),
                ("bottom right", 1, 1), ("bottom left", -1, 1), ("top right", 1, -1), ("top left", -1, -1)]


def _place_labels(lons: list[float], lats: list[float], sizes: list[float], names: list[str], font_px: float,
                  plot_w: float, plot_h: float, x_range: list[float], y_range: list[float],
                  ) -> tuple[list[str], list[str]]:
    """Greedy label placement in screen pixels; `scaleanchor` keeps one pixel per degree on both axes, and
    plotly widens the shorter range around its centre, so the scale is the tighter of the two."""
    x_span, y_span = x_range[1] - x_range[0], y_range[1] - y_range[0]
    ppd = min(plot_w / x_span, plot_h / y_span) if plot_w > 0 and plot_h > 0 else 0
    if ppd <= 0:
        return names, ["bottom center"] * len(names)
    cx, cy = (x_range[0] + x_range[1]) / 2, (y_range[0] + y_range[1]) / 2
    centres = [((lon - cx) * ppd, -(lat - cy) * ppd) for lon, lat in zip(lons, lats, strict=True)]
    half_w, half_h = plot_w / 2, plot_h / 2
    text_h = font_px * 1.3
    placed: list[tuple[float, float, float, float]] = []
    bubbles = [(x - s * 0.4, y - s * 0.4, x + s * 0.4, y + s * 0.4) for (x, y), s in zip(centres, sizes, strict=True)]
    text, positions = [""] * len(names), ["bottom center"] * len(names)
    for k in sorted(range(len(names)), key=lambda n: -sizes[n]):
        # plotly leaves a small gap between bubble and name
        (x, y), r, w = centres[k], sizes[k] / 2 + 0.15 * font_px, _text_width(names[k], font_px)
        spots = []
        for position, dx, dy in _LABEL_SPOTS:
            left = x - w / 2 if dx == 0 else (x + r if dx > 0 else x - r - w)
            top = y - text_h / 2 if dy == 0 else (y + r if dy > 0 else y - r - text_h)
            if dx and dy:  # corners: plotly puts the text's corner at the bubble's bounding box corner
                left, top = (x + r * 0.7 if dx > 0 else x - r * 0.7 - w), (y + r * 0.7 if dy > 0 else y - r * 0.7
                                                                               - text_h)
            box = (left - 4, top - 3, left + w + 4, top + text_h + 3)  # a margin for our guesses
            inside = box[0] >= -half_w and box[2] <= half_w and box[1] >= -half_h and box[3] <= half_h
            if inside and not any(_overlap(box, other) for other in placed):
                spots.append((position, box))
        # Never over another name; over another bubble only when there is no clear spot.
        clear = [spot for spot in spots if not any(_overlap(spot[1], b) for n, b in enumerate(bubbles) if n != k)]
        if clear or spots:
            position, box = (clear or spots)[0]
            placed.append(box)
            text[k], positions[k] = names[k], position
    return text, positions


def _text_width(text: str, font_px: float) -> float:
    """A generous estimate of Liberation Sans (Arial metrics) text width."""
    narrow = sum(ch in "ijlrtfI.,' " for ch in text)
    wide = sum(ch in "mwMW" for ch in text)
    return font_px * (0.58 * (len(text) - narrow - wide) + 0.3 * narrow + 0.85 * wide)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ratings(rows: list[tuple[str, int]], height: int | None = None) -> go.Figure:
    if not any(n for _, n in rows):
        return empty(height=height)
    colours = [RED, "#e07b39", GOLD, "#7fb069", GREEN]
    fig = go.Figure(go.Bar(x=[label for label, _ in rows], y=[n for _, n in rows], marker_color=colours,
                           text=[_num(n) for _, n in rows], textposition="auto", textangle=0,
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_xaxes(tickangle=0)  # bar labels stay horizontal
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
    _date_axis(fig)
    return _base(fig, height, barmode="stack", showlegend=True,
                 legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                 margin=dict(l=8, r=8, t=28, b=8))


MONTHS_SHORT_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def monthly(items: list[dict[str, Any]], height: int | None = None, font_size: int = 12) -> go.Figure:
    """Per month (the public figures' `by_month`): complaints received, and of those the ones resolved by now.
    Month names on a category axis: plotly's own are English and no locale bundle is loaded (offline)."""
    if not any(i.get("received") for i in items):
        return empty(height=height)
    # "Jan<br>2026" where a year starts (and on the first bar), the month alone elsewhere: 12 fit on a phone.
    labels = [MONTHS_SHORT_ID[int(i["month"][5:7]) - 1] + (f"<br>{i['month'][:4]}" if n == 0 or
                                                           i["month"][5:7] == "01" else "")
              for n, i in enumerate(items)]
    done = [fmt_pct(i.get("completion_pct")) for i in items]
    fig = go.Figure()
    months = [i["month"] for i in items]
    fig.add_bar(x=months, y=[i.get("received", 0) for i in items], name="Diterima", marker_color=NAVY,
                hovertemplate="%{x}<br>Diterima: %{y}<extra></extra>")
    fig.add_bar(x=months, y=[i.get("resolved", 0) for i in items], name="Sudah selesai", marker_color=GREEN,
                customdata=done, hovertemplate="%{x}<br>Sudah selesai: %{y} (%{customdata})<extra></extra>")
    fig.update_xaxes(type="category", tickvals=months, ticktext=labels, tickangle=0, showgrid=False,
                     fixedrange=True, tickfont=dict(size=font_size - 1))
    fig.update_yaxes(rangemode="tozero", gridcolor="#e6eaf0", tickformat=",d", fixedrange=True)
    return _base(fig, height, font_size, showlegend=True, barmode="group", bargap=0.2,
                 legend=dict(orientation="h", y=1.02, x=0, xanchor="left", yanchor="bottom"),
                 margin=dict(l=4, r=4, t=28, b=4))


def _ticks(shade: Shade, top: float) -> dict[str, list]:
    """Colour-bar ticks from the shade's low end to `top`, written as the shade writes them ("15,0 %", "4×")."""
    values = [shade.low, (shade.low + top) / 2, top]
    return {"tickvals": values, "ticktext": [shade.tick(v) for v in values]}


TOPIC_COLOURS = (NAVY, TEAL, GOLD, RED, GREEN, "#7b4fa0", "#e07b39", "#4a90c2")


def topic_lines(series: list[dict[str, Any]], height: int | None = None, font_size: int = 13) -> go.Figure:
    """Complaints per day of each topic: one line each (`series`: [{label, href, points: [{date, count}]}]);
    a point's `customdata` is the topic's Jelajah link, for a click-through."""
    if not any(s.get("points") for s in series):
        return empty("Belum ada topik untuk periode ini", height)
    fig = go.Figure()
    for n, topic in enumerate(series):
        points = topic.get("points") or []
        colour = TOPIC_COLOURS[n % len(TOPIC_COLOURS)]
        fig.add_scatter(x=[p["date"] for p in points], y=[p["count"] for p in points], name=_clip(topic["label"], 34),
                        mode="lines+markers", line=dict(color=colour, width=2.5), marker=dict(size=6),
                        customdata=[topic.get("href")] * len(points),
                        hovertemplate=f"<b>{topic['label']}</b><br>%{{x|%d/%m/%Y}}: %{{y}} aduan<extra></extra>")
    _date_axis(fig, showgrid=False)
    peak = max((p["count"] for s in series for p in s.get("points") or []), default=0)
    fig.update_yaxes(rangemode="tozero", gridcolor="#e6eaf0", tickformat=",d", dtick=1 if peak <= 6 else None)
    return _base(fig, height, font_size, showlegend=True, clickmode="event", hovermode="closest",
                 legend=dict(orientation="h", y=-0.12, x=0, xanchor="left", yanchor="top"),
                 margin=dict(l=8, r=8, t=8, b=8))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(n: Any) -> str:
    return f"{int(n or 0):,}".replace(",", ".")
