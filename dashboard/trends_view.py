"""Pure shaping of the trends API's answers for the Isu page and the wall's spike line (no Dash, no HTTP)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dashboard.shaping import Filters, fmt_int

MAX_LINES = 6  # topics drawn on the chart (the busiest); the list shows them all


MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def period_text(start: str, end: str) -> str:
    """"30 Nov – 6 Des 2026", "1–31 Des 2026"."""
    first, last = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
    if first.year != last.year:
        return f"{first.day} {MONTHS_SHORT[first.month - 1]} {first.year} – {last.day} " \
               f"{MONTHS_SHORT[last.month - 1]} {last.year}"
    if first.month != last.month:
        return f"{first.day} {MONTHS_SHORT[first.month - 1]} – {last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"
    return f"{first.day}–{last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"


def times(ratio: float | None) -> str:
    """4.0 → "4×", 3.46 → "3,5×", 12.3 → "12×" (the briefing writes them the same way)."""
    if ratio is None:
        return "–"
    if ratio >= 10 or abs(ratio - round(ratio)) < 0.05:
        return f"{round(ratio)}×"
    return f"{ratio:.1f}".replace(".", ",") + "×"


def spike_text(spike: dict[str, Any]) -> str:
    """"banjir di Kanigoro, 31 aduan, 4× biasanya"."""
    return f"{spike.get('label')}, {fmt_int(spike.get('count'))} aduan, {times(spike.get('ratio'))} biasanya"


def wall_line(spikes: dict[str, Any] | None) -> str | None:
    """The wall's one line from the top-scored spike of the current day and week; None when there is none."""
    items = (spikes or {}).get("spikes") or []
    return f"Lonjakan: {spike_text(items[0])}" if items else None


def trend_text(topic: dict[str, Any]) -> str:
    """How a topic moved against the period before: "naik 2,1× dari periode lalu", "baru", "turun", "stabil"."""
    now, before = topic.get("count") or 0, topic.get("previous_count") or 0
    if not before:
        return "baru" if now else "–"
    ratio = now / before
    if ratio >= 1.25:
        return f"naik {times(ratio)} dari periode lalu"
    if ratio <= 0.8:
        return f"turun dari {fmt_int(before)}"
    return f"stabil (periode lalu {fmt_int(before)})"


def jelajah_href(complaint_filter: dict[str, Any] | None, start: str | None = None, end: str | None = None,
                 **extra: Any) -> str:
    """Jelajah filtered on what the API says a topic (or spike) is, within the period."""
    query: dict[str, Any] = {k: v for k, v in (complaint_filter or {}).items() if v}
    query.update({k: v for k, v in extra.items() if v})
    if start:
        query["received_from"] = start
    if end:
        query["received_to"] = end
    filters = Filters.from_query({k: v if isinstance(v, list) else [str(v)] for k, v in query.items()})
    return "/jelajah" + filters.to_query()


def spike_href(spike: dict[str, Any]) -> str:
    """A category × kecamatan spike opens Jelajah on that category and kecamatan in its period."""
    return jelajah_href({}, spike.get("period_start"), spike.get("period_end"),
                        category=spike.get("category_code"), kecamatan=spike.get("kecamatan"))


def fill_series(points: list[dict[str, Any]], start: str, end: str) -> list[dict[str, Any]]:
    """Every day of the period, days without complaints at 0 (never past today: the caller passes `end`)."""
    counts = {str(p.get("date"))[:10]: int(p.get("count") or 0) for p in points}
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    out, day = [], first
    while day <= last:
        out.append({"date": day.isoformat(), "count": counts.get(day.isoformat(), 0)})
        day += timedelta(days=1)
    return out


def chart_series(answer: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The busiest topics' daily lines, up to today, each with its Jelajah link."""
    start, end = answer.get("start"), answer.get("end")
    if not start or not end:
        return []
    last = min(date.fromisoformat(end), today).isoformat()
    if last < start:
        return []
    topics = sorted(answer.get("topics") or [], key=lambda t: -(t.get("count") or 0))[:MAX_LINES]
    return [{"label": t.get("label") or "–", "href": jelajah_href(t.get("complaint_filter"), start, end),
             "points": fill_series(t.get("series") or [], start, last)} for t in topics]


def channels_text(channels: list[dict[str, Any]], limit: int = 3) -> str:
    shown = [f"{c.get('label') or c.get('channel')} {fmt_int(c.get('count'))}" for c in (channels or [])[:limit]]
    rest = len(channels or []) - limit
    return ", ".join(shown) + (f" +{rest} kanal" if rest > 0 else "")


def spike_map_items(spikes: list[dict[str, Any]], kecamatan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spikes summed per kecamatan for the map: size = their complaints, colour = the highest ratio. Topic spikes
    without a place are left to the list."""
    centroids = {k.get("name"): (k.get("lat"), k.get("lon")) for k in kecamatan or []}
    per: dict[str, dict[str, Any]] = {}
    for spike in spikes or []:
        name = spike.get("kecamatan")
        if not name:
            continue
        item = per.setdefault(name, {"key": name, "label": name, "total": 0, "ratio": 0.0, "spikes": []})
        item["total"] = max(item["total"], int(spike.get("count") or 0))  # a day and its week overlap: the bigger
        item["ratio"] = max(item["ratio"], float(spike.get("ratio") or 0))
        if spike.get("label") not in item["spikes"]:
            item["spikes"].append(spike.get("label"))
    items = []
    for name, item in per.items():
        lat, lon = centroids.get(name, (None, None))
        items.append({**item, "lat": lat, "lon": lon})
    return sorted(items, key=lambda i: (-i["total"], i["key"]))


def issue_line(issue: dict[str, Any], status_label: str) -> str:
    """"12 aduan dari 9 pelapor · WhatsApp 5, SP4N-LAPOR! 4, Call Center 112 3 · Didisposisikan"."""
    parts = [f"{fmt_int(issue.get('count'))} aduan dari {fmt_int(issue.get('reporters'))} pelapor",
             channels_text(issue.get("channels") or [], 3)]
    if status_label:
        parts.append(status_label)
    return " · ".join(p for p in parts if p)
