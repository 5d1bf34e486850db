"""Pure data shaping between API answers and what the pages show. No Dash, no HTTP: unit-tested."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

# Shades of the API's status tones (Jakarta CRM convention: red waiting, yellow in process, green done),
# one per status so neighbouring bars differ; a status the dashboard does not know takes its tone's colour.
STATUS_COLOURS = {
    "unverified": "#c0392b", "verified": "#d35454", "dispatched": "#e07b39",
    "in_progress": "#e6a23c", "postponed": "#c9a227", "resolved": "#2e8b57",
    "rejected": "#8c96a3", "archived": "#b8c0ca",
}
TONE_COLOURS = {"red": "#c0392b", "yellow": "#e6a23c", "green": "#2e8b57", "grey": "#8c96a3"}
AWAITING_RESPONSE = ("unverified", "verified", "dispatched")
CALL_TYPE_LABELS = {"normal": "Normal", "ghost": "Ghost call", "prank": "Prank call", "informasi": "Informasi"}
EVENT_LABELS = {"created": "Diterima", "status": "Perubahan status", "updated": "Diperbarui",
                "message_in": "Pesan pelapor", "message_out": "Tindak lanjut", "note": "Catatan",
                "escalation": "Eskalasi", "reminder": "Pengingat"}
PREDIKAT_COLOURS = {"Sangat Baik": "#1e7b4a", "Baik": "#5a9e3a", "Sedang": "#d9a21b", "Kurang": "#c0392b"}
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember"]
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]

LIST_FILTERS = ("channel", "opd", "category", "status", "kecamatan")


# --- labels (served by the API: GET /channels, GET /statuses) ---------------------------------------


@dataclass(frozen=True)
class Labels:
    """Display labels of channel and status codes as the API serves them; unknown codes show as they are."""

    channels: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # workflow order
    tones: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, channels: list[dict[str, Any]] | None, statuses: list[dict[str, Any]] | None) -> Labels:
        return cls(channels={c["code"]: c.get("label") or c["code"] for c in channels or []},
                   statuses={s["code"]: s.get("label") or s["code"] for s in statuses or []},
                   tones={s["code"]: s.get("tone") or "grey" for s in statuses or []})

    def channel(self, code: str | None, missing: str = "–") -> str:
        return self.channels.get(code) or code or missing if code else missing

    def status(self, code: str | None, missing: str = "–") -> str:
        return self.statuses.get(code) or code or missing if code else missing

    def colour(self, code: str) -> str:
        return STATUS_COLOURS.get(code) or TONE_COLOURS.get(self.tones.get(code, "grey"), TONE_COLOURS["grey"])


# --- filters (Jelajah) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The analyst's current selection; serialised to the URL and to API query parameters."""

    channel: tuple[str, ...] = ()
    opd: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    kecamatan: tuple[str, ...] = ()
    received_from: str | None = None
    received_to: str | None = None
    q: str | None = None
    overdue: bool = False

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name in LIST_FILTERS:
            out.extend((name, v) for v in getattr(self, name))
        for name in ("received_from", "received_to", "q"):
            value = getattr(self, name)
            if value:
                out.append((name, value))
        if self.overdue:
            out.append(("overdue", "true"))
        return out

    def to_query(self) -> str:
        """Query string for the URL (empty when nothing is filtered), e.g. `?channel=lapor&q=jalan`."""
        pairs = self.params()
        return "?" + urlencode(pairs) if pairs else ""

    @classmethod
    def from_query(cls, search: str | dict[str, Any] | None) -> Filters:
        if isinstance(search, dict):
            raw = {k: v if isinstance(v, list) else [v] for k, v in search.items()}
        else:
            raw = parse_qs((search or "").lstrip("?"))
        values: dict[str, Any] = {}
        for name in LIST_FILTERS:
            items = [v for v in raw.get(name, []) if v]
            values[name] = tuple(dict.fromkeys(items))
        for name in ("received_from", "received_to"):
            value = (raw.get(name) or [None])[0]
            values[name] = value if _is_iso_date(value) else None
        values["q"] = ((raw.get("q") or [""])[0] or "").strip() or None
        values["overdue"] = (raw.get("overdue") or [""])[0].lower() in {"1", "true", "ya"}
        return cls(**values)

    @classmethod
    def from_inputs(cls, channel=None, opd=None, category=None, status=None, kecamatan=None,
                    received_from=None, received_to=None, q=None, overdue=False) -> Filters:
        def tup(v):
            if not v:
                return ()
            return tuple(v) if isinstance(v, list | tuple) else (v,)

        return cls(channel=tup(channel), opd=tup(opd), category=tup(category), status=tup(status),
                   kecamatan=tup(kecamatan), received_from=(received_from or None) and str(received_from)[:10],
                   received_to=(received_to or None) and str(received_to)[:10],
                   q=(q or "").strip() or None, overdue=bool(overdue))

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        return cls.from_inputs(**(data or {}))

    def key(self) -> str:
        """Stable identity of this selection (for caches)."""
        return urlencode(sorted(self.params()))

    def set(self, name: str, value: Any) -> Filters:
        if name in LIST_FILTERS:
            value = tuple(value) if isinstance(value, list | tuple) else ((value,) if value else ())
        return replace(self, **{name: value})


def _is_iso_date(value: str | None) -> bool:
    if not value:
        return False
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


# Chart id (the `chart` argument) → which filter a click on it sets.
CLICK_TARGETS = {"channel": "channel", "status": "status", "category": "category", "kecamatan": "kecamatan",
                 "opd": "opd", "trend": "day"}


def apply_chart_click(filters: Filters, chart: str, click_data: dict | None) -> Filters:
    """A click on a bar/point narrows the selection to that bar; a click on the trend picks that day."""
    if not click_data or not click_data.get("points"):
        return filters
    point = click_data["points"][0]
    key = point.get("customdata")
    if isinstance(key, list):
        key = key[0] if key else None
    if key is None:
        key = point.get("x") if chart == "trend" else point.get("y") if point.get("orientation") == "h" else None
    if key in (None, ""):
        return filters
    target = CLICK_TARGETS.get(chart)
    if target is None:
        return filters
    if target == "day":
        day = str(key)[:10]
        return replace(filters, received_from=day, received_to=day)
    return filters.set(target, (str(key),))


# --- time ------------------------------------------------------------------------------------------


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local_time(value: str | datetime | None, tz: ZoneInfo, fmt: str = "%d/%m/%Y %H.%M") -> str:
    moment = parse_time(value) if isinstance(value, str) or value is None else value
    if moment is None:
        return "–"
    return moment.astimezone(tz).strftime(fmt)


def long_date(day: date) -> str:
    return f"{DAYS_ID[day.weekday()]}, {day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def month_label(day: date) -> str:
    return f"{MONTHS_ID[day.month - 1]} {day.year}"


def humanise_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} detik"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} menit"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} jam {minutes % 60} menit" if minutes % 60 else f"{hours} jam"
    return f"{hours // 24} hari"


def ago(value: str | None, now: datetime) -> str:
    moment = parse_time(value)
    if moment is None:
        return "belum pernah"
    return humanise_seconds((now - moment).total_seconds()) + " lalu"


def coarse_age(seconds: float | None) -> str:
    """"3 minggu", "5 jam": how old a channel's newest record is, at a glance."""
    if seconds is None:
        return "–"
    minutes = max(0, int(seconds)) // 60
    if minutes < 90:
        return f"{minutes} menit"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} jam"
    days = hours // 24
    if days < 14:
        return f"{days} hari"
    if days < 60:
        return f"{days // 7} minggu"
    return f"{days // 30} bulan"


@dataclass
class ChannelAge:
    text: str  # "data terbaru 3 minggu lalu"
    stale: bool
    hint: str = ""  # "batas 48 jam"
    label: str = ""  # "Call Center 112"
    age: str = ""  # "3 minggu"


def channel_ages(freshness: dict[str, Any] | None) -> dict[str, ChannelAge]:
    """Per channel code, the age of its newest record from `/stats/freshness` (empty when unavailable)."""
    out = {}
    for item in (freshness or {}).get("items") or []:
        hours = item.get("stale_after_hours")
        limit = f"batas {hours:g} jam".replace(".", ",") if hours is not None else ""
        label = item.get("label") or item.get("channel") or ""
        if item.get("latest_received_at") is None:
            out[item.get("channel")] = ChannelAge("belum ada data", False, limit, label)
            continue
        age = coarse_age(item.get("age_seconds"))
        out[item.get("channel")] = ChannelAge(f"data terbaru {age} lalu", bool(item.get("stale")), limit, label, age)
    return out


def last_n_days(today: date, n: int) -> tuple[str, str]:
    return (today - timedelta(days=n - 1)).isoformat(), today.isoformat()


def month_range(day: date) -> tuple[str, str]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start.isoformat(), end.isoformat()


# --- numbers ---------------------------------------------------------------------------------------


def fmt_int(n: int | float | None) -> str:
    if n is None:
        return "–"
    return f"{int(n):,}".replace(",", ".")


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def fmt_days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + " hari"


# --- wall -----------------------------------------------------------------------------------------


@dataclass
class Kpi:
    label: str
    value: str
    hint: str = ""
    tone: str = "primary"  # primary | success | warning | danger


def wall_kpis(summary: dict[str, Any]) -> list[Kpi]:
    overdue = summary.get("overdue") or 0
    completion = summary.get("completion_pct")
    tone_completion = "success" if (completion or 0) >= 85 else "warning" if (completion or 0) >= 70 else "danger"
    return [
        Kpi("Aduan hari ini", fmt_int(summary.get("new_today")), "masuk sejak 00.00 WIB"),
        # Say what each figure covers: the rapor (OPD page) is per complete month and leaves rejected ones out.
        Kpi("Bulan ini", fmt_int(summary.get("new_this_month")), "masuk bulan berjalan, termasuk ditolak"),
        Kpi("Belum selesai", fmt_int(summary.get("open")), "masih terbuka, semua periode", "warning"),
        Kpi("Lewat tenggat", fmt_int(overdue), "saat ini melewati batas waktu", "danger" if overdue else "success"),
        Kpi("Penyelesaian", fmt_pct(completion), "selesai / total semua periode, tanpa ditolak", tone_completion),
        Kpi("Rata-rata tindak lanjut", fmt_days(summary.get("avg_followup_days")), "hari kerja, semua periode"),
    ]


@dataclass
class Staleness:
    stale: bool
    as_of: str  # "Data per 14:05"
    reasons: list[str] = field(default_factory=list)


def staleness(summary: dict[str, Any] | None, connectors: list[dict[str, Any]] | None, now: datetime,
              stale_minutes: int, tz: ZoneInfo, freshness: dict[str, Any] | None = None) -> Staleness:
    """Stale when the kabupaten's newest complaint is older than `stale_minutes` or a connector is failing.
    The newest complaint comes from `/stats/freshness` (kabupaten-wide) when given: a quiet OPD's own
    queue says nothing about whether the feeds still arrive."""
    reasons: list[str] = []
    generated = parse_time((summary or {}).get("generated_at")) or now
    as_of = "Data per " + generated.astimezone(tz).strftime("%H.%M") + " WIB"
    if summary is None:
        reasons.append("Data ringkasan tidak dapat dimuat dari API.")
    else:
        latest = parse_time((freshness if freshness is not None else summary).get("latest_received_at"))
        if latest is None:
            reasons.append("Belum ada aduan yang masuk.")
        elif now - latest > timedelta(minutes=stale_minutes):
            reasons.append(f"Aduan terakhir masuk {humanise_seconds((now - latest).total_seconds())} lalu "
                           f"({local_time(latest, tz, '%d/%m %H.%M')} WIB).")
    for conn in connectors or []:
        if conn.get("enabled", True) and conn.get("status") == "error":
            reasons.append(f"Konektor {conn.get('name')} galat: {(conn.get('last_error') or '').strip()[:80]}")
    return Staleness(bool(reasons), as_of, reasons)


def slowest_opd(items: list[dict[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    """OPD with the longest average follow-up (ties: more overdue first); OPD without data last."""
    rows = [i for i in items if i.get("total")]

    def key(item):
        avg = item.get("avg_followup_days")
        return (avg is None, -(avg or 0), -(item.get("overdue") or 0))

    return sorted(rows, key=key)[:n]


def channel_tiles(channels: list[dict[str, Any]], by_channel: list[dict[str, Any]],
                  series: dict[str, list[dict[str, Any]]], max_tiles: int = 5) -> list[dict[str, Any]]:
    """One tile per known channel (also channels with no complaints), busiest first."""
    counts = {i.get("key"): i for i in by_channel}
    codes = [c["code"] for c in channels] or list(counts)
    for code in counts:
        if code and code not in codes:
            codes.append(code)
    labels = {c["code"]: c.get("label") for c in channels}
    tiles = []
    for code in codes:
        item = counts.get(code, {})
        points = series.get(code, [])
        tiles.append({"code": code, "label": labels.get(code) or item.get("label") or code,
                      "total": item.get("total", 0), "open": item.get("open", 0),
                      "overdue": item.get("overdue", 0), "series": [p.get("total", 0) for p in points],
                      "periods": [p.get("period") for p in points]})
    tiles = sorted(tiles, key=lambda t: -t["total"])
    # A wall has room for about five tiles: quiet extra channels (e.g. Open311) give way.
    return [t for i, t in enumerate(tiles) if i < max_tiles or t["total"]]


def fill_days(items: list[dict[str, Any]], start: str, end: str) -> list[dict[str, Any]]:
    """Daily series with a zero for each missing day, so sparklines and trends have no gaps."""
    by_day = {str(i.get("period"))[:10]: i for i in items}
    day, last = date.fromisoformat(start), date.fromisoformat(end)
    out = []
    while day <= last:
        item = by_day.get(day.isoformat(), {})
        out.append({"period": day.isoformat(), "total": item.get("total", 0), "resolved": item.get("resolved", 0)})
        day += timedelta(days=1)
    return out


# --- rapor (OPD) ----------------------------------------------------------------------------------


def completion_tone(pct: float | None) -> str:
    if pct is None:
        return "secondary"
    return "success" if pct >= 85 else "warning" if pct >= 70 else "danger"


def rapor_rows(rapor: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the rapor grid: numbers kept numeric (sortable) plus a display link to the OPD page.
    An OPD's own rapor (`opd_scoped`) with nothing in the period still shows that OPD, with zeros."""
    rows = []
    source = rapor.get("rows") or ([rapor["total"]] if rapor.get("opd_scoped") and rapor.get("total") else [])
    for row in source:
        code = row.get("opd_code") or ""
        rows.append({**row, "opd_link": f"[{row.get('opd_name') or code}](/opd/{code})",
                     "completion_pct": row.get("completion_pct"),
                     "avg_followup_days": row.get("avg_followup_days")})
    return rows


def rapor_total_row(rapor: dict[str, Any]) -> list[dict[str, Any]]:
    """The pinned bottom row: the kabupaten total; none for an OPD's own rapor, whose last row is that OPD."""
    total = rapor.get("total")
    if not total or rapor.get("opd_scoped"):
        return []
    name = total.get("opd_name") or "Total kabupaten"
    return [{**total, "opd_name": name, "opd_link": f"**{name}**"}]


# --- complaints (grid, detail) ---------------------------------------------------------------------


def grid_row(item: dict[str, Any], tz: ZoneInfo, labels: Labels) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "tracking_code": item.get("tracking_code"),
        "received": local_time(item.get("received_at"), tz),
        "channel": labels.channel(item.get("channel"), None),
        "title": item.get("title"),
        "opd": item.get("opd_name") or item.get("opd_code") or "–",
        "category": item.get("category_name") or "–",
        "kecamatan": item.get("kecamatan") or "–",
        "status": labels.status(item.get("status"), None),
        "status_code": item.get("status"),
        "status_tone": labels.tones.get(item.get("status")),
        "overdue": "Ya" if item.get("overdue") else "",
    }


def timeline(detail: dict[str, Any], tz: ZoneInfo, labels: Labels) -> list[dict[str, str]]:
    """The complaint's history, oldest first, as display rows."""
    rows = []
    for ev in sorted(detail.get("events") or [], key=lambda e: e.get("at") or ""):
        kind = ev.get("kind")
        title = EVENT_LABELS.get(kind, kind or "Peristiwa")
        if ev.get("to_status") and kind in ("status", "created"):
            if ev.get("from_status"):
                title = f"{labels.status(ev['from_status'])} → {labels.status(ev['to_status'])}"
            elif kind == "status":
                title = labels.status(ev["to_status"])
        rows.append({"when": local_time(ev.get("at"), tz), "title": title, "actor": ev.get("actor") or "",
                     "note": ev.get("note") or "", "kind": kind or ""})
    return rows


def detail_facts(detail: dict[str, Any], tz: ZoneInfo, labels: Labels) -> list[tuple[str, str]]:
    return [
        ("Kode", detail.get("tracking_code") or "–"),
        ("Kanal", labels.channel(detail.get("channel"))
         + (f" · {SOURCE_LABELS.get(detail['source_channel'], detail['source_channel'])}"
            if detail.get("source_channel") else "")),
        ("Status", labels.status(detail.get("status"))),
        ("OPD", detail.get("opd_name") or "–"),
        ("Kategori", detail.get("category_name") or "–"),
        ("Lokasi", ", ".join(x for x in (detail.get("desa"), detail.get("kecamatan")) if x) or "–"),
        ("Diterima", local_time(detail.get("received_at"), tz)),
        ("Batas tanggapan", local_time(detail.get("response_due_at"), tz)),
        ("Batas penyelesaian", local_time(detail.get("resolution_due_at"), tz)),
        ("Tanggapan pertama", local_time(detail.get("first_response_at"), tz)),
    ]


class CursorBook:
    """Maps (filter, start row) → API cursor, so AG Grid's infinite row model can page a cursor API.

    Blocks are usually requested in order; a jump (scrollbar dragged far) walks forward from the
    nearest known cursor. Bounded: the oldest selections are forgotten.
    """

    def __init__(self, max_filters: int = 200):
        self._books: dict[str, dict[int, str | None]] = {}
        self.max_filters = max_filters

    def nearest(self, key: str, start_row: int) -> tuple[int, str | None]:
        book = self._books.get(key, {0: None})
        known = [row for row in book if row <= start_row]
        row = max(known) if known else 0
        return row, book.get(row)

    def remember(self, key: str, start_row: int, cursor: str | None) -> None:
        if key not in self._books:
            if len(self._books) >= self.max_filters:
                self._books.pop(next(iter(self._books)))
            self._books[key] = {0: None}
        self._books[key][start_row] = cursor


def page_rows(fetch, book: CursorBook, key: str, start_row: int, end_row: int) -> tuple[list[dict], int | None]:
    """Rows [start_row, end_row) from a cursor API. `fetch(cursor, limit)` → (items, next_cursor).

    Returns the rows and, once the end is reached, the total row count (else None).
    """
    size = max(1, end_row - start_row)
    row, cursor = book.nearest(key, start_row)
    if row != start_row and cursor is None and row != 0:
        return [], row  # the list ended before this block
    while True:
        items, next_cursor = fetch(cursor, size if row == start_row else min(size, start_row - row))
        if row == start_row:
            if next_cursor is not None:
                book.remember(key, row + len(items), next_cursor)
                return items, None
            return items, row + len(items)
        row += len(items)
        if next_cursor is None:
            return [], row
        book.remember(key, row, next_cursor)
        cursor = next_cursor


# --- connectors ------------------------------------------------------------------------------------


WRITEBACK_ACTIONS = {"respond": "tindak lanjut", "resolve": "selesai", "postpone": "tunda", "verify": "verifikasi",
                     "dispatch": "disposisi", "reject": "tolak"}
SOURCE_LABELS = {"web": "Situs web", "sms": "SMS 1708", "aplikasi": "Aplikasi", "media_sosial": "Media sosial"}


def connector_rows(connectors: list[dict[str, Any]], now: datetime, tz: ZoneInfo, labels: Labels,
                   role: str | None = None, ages: dict[str, ChannelAge] | None = None) -> list[dict[str, Any]]:
    """Rows of the connector table; `can_sync` only for admins and connectors that can be pulled now.
    A connector that syncs fine but whose channel has had no new record past its limit is not "Normal"."""
    rows = []
    ages = ages or {}
    for c in connectors:
        status = c.get("status") or "never"
        age = ages.get(c.get("channel"))
        if not c.get("enabled", True):
            tone, label = "secondary", "Nonaktif"
        elif status == "ok" and age and age.stale:
            tone, label = "warning", "Data lama"
        else:
            tone, label = {"ok": ("success", "Normal"), "error": ("danger", "Galat"),
                           "running": ("info", "Berjalan"), "never": ("secondary", "Belum pernah")}.get(
                status, ("secondary", status))
        rows.append({
            "data_age": age.text if age else "–", "data_stale": bool(age and age.stale and c.get("enabled", True)),
            "data_limit": age.hint if age else "",
            "name": c.get("name"), "kind": c.get("kind") or "–",
            "channel": labels.channel(c.get("channel")),
            "tone": tone, "status": label,
            "last_success": local_time(c.get("last_success_at"), tz),
            "last_success_ago": ago(c.get("last_success_at"), now),
            "lag": humanise_seconds(c.get("lag_seconds")),
            "fetched": fmt_int(c.get("fetched_total") or 0), "new": fmt_int(c.get("new_total") or 0),
            "updated": fmt_int(c.get("updated_total") or 0), "failed": c.get("failed_total") or 0,
            "inbox_failed": c.get("inbox_failed") or 0, "error": c.get("last_error") or "",
            "writeback_pending": c.get("writeback_pending") or 0,
            "writeback_failed": [
                f"{w.get('tracking_code') or '–'} · {WRITEBACK_ACTIONS.get(w.get('action'), w.get('action'))}: "
                f"{w.get('error') or 'gagal'} ({local_time(w.get('at'), tz)} WIB)"
                for w in c.get("writeback_failed") or [] if isinstance(w, dict)],
            "can_sync": role == "admin" and bool(c.get("pullable", True)) and c.get("enabled", True),
        })
    return rows


def connector_problems(conn: dict[str, Any]) -> list[str]:
    """What is wrong with one connector: a failed run, rows that failed normalisation, actions upstream refused."""
    problems = []
    if conn.get("enabled", True) and conn.get("status") == "error":
        problems.append("sinkron galat")
    if conn.get("inbox_failed"):
        problems.append(f"{fmt_int(conn['inbox_failed'])} baris gagal")
    if conn.get("writeback_failed"):
        problems.append(f"{fmt_int(len(conn['writeback_failed']))} aksi hulu gagal")
    return problems


def connector_kpis(connectors: list[dict[str, Any]], now: datetime,
                   ages: dict[str, ChannelAge] | None = None) -> list[Kpi]:
    """"Galat" counts every connector with a failed run, failed inbox rows or refused write-backs: it never
    says "semua normal" beside a failed row."""
    active = [c for c in connectors if c.get("enabled", True)]
    failing = [(c, problems) for c in connectors if (problems := connector_problems(c))]
    inbox_failed = sum(c.get("inbox_failed") or 0 for c in connectors)
    lags = [c["lag_seconds"] for c in active if c.get("lag_seconds") is not None]
    latest = max((c["last_success_at"] for c in active if c.get("last_success_at")), default=None)
    quiet = sorted({c.get("channel") for c in active if (ages or {}).get(c.get("channel"))
                    and ages[c.get("channel")].stale})
    kpis = [
        Kpi("Konektor aktif", f"{len(active)} / {len(connectors)}", "instans dikonfigurasi"),
        Kpi("Galat", fmt_int(len(failing)),
            "; ".join(f"{c['name']}: {', '.join(p)}" for c, p in failing) or "semua normal",
            "danger" if failing else "success"),
        Kpi("Inbox gagal normalisasi", fmt_int(inbox_failed), "menunggu perbaikan pemetaan",
            "warning" if inbox_failed else "success"),
        Kpi("Keterlambatan terbesar", humanise_seconds(max(lags)) if lags else "–", "sejak sinkron berhasil"),
        Kpi("Sinkron terakhir", ago(latest, now), "berhasil"),
    ]
    if ages is not None:
        kpis.append(Kpi("Kanal tanpa data baru", fmt_int(len(quiet)),
                        ", ".join(f"{ages[q].label} {ages[q].age}" for q in quiet)
                        or "semua kanal dalam batas", "warning" if quiet else "success"))
    return kpis


def sync_message(name: str, result: dict[str, Any]) -> tuple[str, str]:
    """(tone, text) after a manual sync."""
    if result.get("error"):
        return "danger", f"Sinkronisasi {name} gagal: {result['error']}"
    return "success", (f"Sinkronisasi {name} selesai dalam {result.get('duration_s', 0):.1f} detik: "
                       f"{result.get('fetched', 0)} diambil, {result.get('new', 0)} baru, "
                       f"{result.get('updated', 0)} diperbarui, {result.get('failed', 0)} gagal.")


# --- kanal ----------------------------------------------------------------------------------------


def status_mix(by_status: dict[str, int], labels: Labels) -> list[tuple[str, str, int, str]]:
    """(code, label, count, colour) in the API's workflow order (codes it does not list last), zero counts dropped."""
    codes = [*labels.statuses, *(code for code in by_status if code not in labels.statuses)]
    return [(code, labels.status(code), by_status[code], labels.colour(code)) for code in codes if by_status.get(code)]


def top_n(items: list[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    return sorted((i for i in items if i.get("total")), key=lambda i: -i["total"])[:n]


def calls_by_type(calls: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{call_type: {day: count}} from /stats/calls items."""
    out: dict[str, dict[str, int]] = {}
    for item in calls.get("items", []):
        out.setdefault(item.get("call_type") or "lainnya", {})[str(item.get("day"))[:10]] = item.get("count", 0)
    return out


def rating_rows(ratings: dict[str, Any]) -> list[tuple[str, int]]:
    dist = ratings.get("distribution") or {}
    return [(f"{star} ★", int(dist.get(str(star), 0) or 0)) for star in range(1, 6)]


OUTCOME_LABELS = {"ok": "Berhasil", "denied": "Ditolak", "failed": "Gagal", "error": "Galat"}


def audit_rows(items: list[dict[str, Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    """Audit entries for the grid: who (name and reference), what, on what, how it ended, from where."""
    return [{
        "id": e.get("id"),
        "at": local_time(e.get("at"), tz, "%d/%m/%Y %H.%M.%S"),
        "actor": f"{e['actor_name']} ({e.get('actor')})" if e.get("actor_name") else e.get("actor"),
        "role": e.get("role") or "–",
        "action": e.get("action"),
        "target": e.get("target") or "–",
        "outcome": OUTCOME_LABELS.get(e.get("outcome"), e.get("outcome")),
        "outcome_code": e.get("outcome"),
        "status": e.get("status_code"),
        "ip": e.get("ip") or "–",
        "message": e.get("message") or "",
        "request_id": e.get("request_id") or "",
    } for e in items]
