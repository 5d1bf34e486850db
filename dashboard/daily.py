"""Pure helpers of the daily-work pages (walk-in form, upload, LAPOR! hand-back, OPD liaisons): turning
form values into API bodies and API answers into what the pages show. No Dash, no HTTP: unit-tested alone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.shaping import fmt_int, local_time, parse_time

# --- walk-in form ---------------------------------------------------------------------------------

# The form's fields, in the order a petugas fills them (API field names of POST /complaints).
FORM_FIELDS = ("title", "body", "classification", "category", "opd", "received_at", "reference", "kecamatan",
               "desa", "location_text", "reporter_name", "reporter_contact", "rahasia", "anonim", "consent")
TEXT_FIELDS = ("title", "body", "reference", "location_text", "reporter_name", "reporter_contact")
CLASSIFICATIONS = [("pengaduan", "Pengaduan"), ("aspirasi", "Aspirasi"),
                   ("permintaan_informasi", "Permintaan informasi")]
CONSENT_MISSING = "Centang dulu: pelapor sudah diberi tahu dan setuju datanya dicatat."
GENERAL = "_"  # an error that names no field of the form


def entry_body(values: dict[str, Any]) -> dict[str, Any]:
    """The POST /complaints body from the form's values (blank fields left out, so the API's defaults apply)."""
    body: dict[str, Any] = {"channel": "manual"}
    for name in TEXT_FIELDS:
        text = (values.get(name) or "").strip()
        if text:
            body[name] = text
    for name in ("classification", "category", "opd", "kecamatan", "desa"):
        if values.get(name):
            body[name] = values[name]
    if values.get("received_at"):
        body["received_at"] = str(values["received_at"])  # local time without a zone: the API reads it as WIB
    body["rahasia"] = bool(values.get("rahasia"))
    body["anonim"] = bool(values.get("anonim"))
    return body


_CLOCK = re.compile(r"^([01]?\d|2[0-3])[.:]?([0-5]\d)$")


def received_at(day: str | None, clock: str | None) -> tuple[str | None, str | None]:
    """The date picker's day and a typed time ("09.30", "9:30", "0930") → (local ISO time for the API, error).
    Both blank: None (the API takes now); a time needs its day, and a day its time."""
    clock = (clock or "").strip()
    if not day and not clock:
        return None, None
    if not day:
        return None, "pilih tanggalnya juga"
    match = _CLOCK.match(clock)
    if not clock:
        return None, "isi jamnya juga, mis. 09.30"
    if match is None:
        return None, f"jam '{clock}' tidak dikenal; tulis seperti 09.30"
    return f"{day[:10]}T{int(match.group(1)):02d}:{match.group(2)}:00", None


def _indonesian(error: dict[str, Any]) -> str:
    """Pydantic's English message in Bahasa Indonesia for the common kinds; the API's own sentences pass through."""
    kind, ctx = error.get("type") or "", error.get("ctx") or {}
    if kind == "missing":
        return "wajib diisi"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return "wajib diisi" if least == 1 else f"terlalu pendek (minimal {least} karakter)"
    if kind == "string_too_long":
        return f"terlalu panjang (maksimal {fmt_int(ctx.get('max_length'))} karakter)"
    if kind.startswith(("datetime", "date")):
        return "tanggal dan jam tidak valid"
    if kind == "enum":
        return "pilihan tidak dikenal"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "di luar rentang yang diizinkan"
    if kind == "extra_forbidden":
        return "isian ini tidak dikenal API"
    return str(error.get("msg") or "nilai tidak valid")


def field_errors(payload: Any, known: Iterable[str] = FORM_FIELDS) -> dict[str, str]:
    """A 422 answer's `detail` → {field: message}; what names no known field goes under `GENERAL`."""
    known = set(known)
    out: dict[str, str] = {}
    if isinstance(payload, str):
        return {GENERAL: payload}
    for error in payload if isinstance(payload, list) else []:
        if not isinstance(error, dict):
            continue
        loc = [str(part) for part in error.get("loc") or []]
        name = loc[-1] if loc else GENERAL
        name = name if name in known else GENERAL
        message = _indonesian(error)
        out[name] = f"{out[name]}; {message}" if name in out else message
    return out


def desa_options(kecamatan: list[dict[str, Any]] | None, chosen: str | None) -> list[dict[str, str]]:
    """The desa of the chosen kecamatan (none until one is chosen)."""
    for item in kecamatan or []:
        if item.get("name") == chosen:
            return [{"label": d, "value": d} for d in sorted(item.get("desa") or [])]
    return []


def category_options(categories: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Sub-categories read 'Parent › Child', sorted as the tree is."""
    names = {c.get("code"): c.get("name") or c.get("code") for c in categories or []}
    out = []
    for c in categories or []:
        parent = names.get(c.get("parent_code")) if c.get("parent_code") else None
        label = f"{parent} › {c.get('name') or c.get('code')}" if parent else (c.get("name") or c.get("code"))
        out.append({"label": label, "value": c.get("code")})
    return sorted(out, key=lambda o: str(o["label"]).lower())


def opd_options(opd: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return sorted(({"label": f"{o.get('name') or o.get('code')} ({o.get('code')})", "value": o.get("code")}
                   for o in opd or [] if o.get("active", True)), key=lambda o: o["label"].lower())


def complaint_link(tracking_code: str) -> str:
    """Where a new complaint can be opened: Jelajah searched for its code (the grid shows that one row)."""
    return f"/jelajah?q={tracking_code}"


# --- upload ---------------------------------------------------------------------------------------

NOTHING_SAVED = "Tidak ada baris yang disimpan."
COLUMN_LABELS = {"judul": "Judul", "isi": "Isi", "tanggal_diterima": "Tanggal diterima", "kanal": "Kanal",
                 "klasifikasi": "Klasifikasi", "kategori": "Kategori", "opd_tujuan": "OPD tujuan",
                 "kecamatan": "Kecamatan", "desa": "Desa", "lokasi": "Lokasi", "nama_pelapor": "Nama pelapor",
                 "kontak_pelapor": "Kontak pelapor", "rahasia": "Rahasia", "anonim": "Anonim",
                 "nomor_referensi": "Nomor referensi"}


def upload_report(answer: Any, status: int | None) -> dict[str, Any]:
    """POST /complaints/import's answer (the 200 body, or an error's `detail`) as the page shows it:
    {"ok", "message", "saved" (bool), "errors": [{"row","column","message"}], "created": [{"row","code","outcome"}]}."""
    if status is not None and status >= 400 and not isinstance(answer, dict):
        return {"ok": False, "saved": False, "message": str(answer or "Berkas ditolak API."), "errors": [],
                "created": []}
    answer = answer if isinstance(answer, dict) else {}
    errors = [{"row": e.get("row") if e.get("row") is not None else "–",
               "column": COLUMN_LABELS.get(e.get("column"), e.get("column") or "–"),
               "message": e.get("message") or ""} for e in answer.get("errors") or []]
    created = [{"row": c.get("row"), "code": c.get("tracking_code"),
                "outcome": "baru" if c.get("outcome") == "new" else "sudah ada sebelumnya"}
               for c in answer.get("complaints") or []]
    committed = bool(answer.get("committed"))
    message = answer.get("message") or ("Berkas ditolak API." if status and status >= 400 else "")
    return {"ok": committed and not errors, "saved": committed and bool(created), "message": message,
            "errors": errors, "created": created}


# --- LAPOR! hand-back -----------------------------------------------------------------------------

def handback_params(channels: list[str] | None, received_from: str | None, received_to: str | None,
                    include_handed_back: bool) -> list[tuple[str, str]]:
    params = [("channel", c) for c in channels or []]
    if received_from:
        params.append(("received_from", received_from))
    if received_to:
        params.append(("received_to", received_to))
    if include_handed_back:
        params.append(("include_handed_back", "true"))
    return params


def _count(headers: dict[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def handback_summary(headers: dict[str, str], before: dict[str, Any] | None, include_handed_back: bool
                     ) -> dict[str, int | None]:
    """What one download did: `rows` in the file (X-Total-Rows), `batches`, and `already`: matching complaints
    an earlier download had handed back (the preview taken just before; None when it could not be asked)."""
    return {"rows": _count(headers, "x-total-rows"), "batches": _count(headers, "x-total-batches"),
            "already": (before or {}).get("already_handed_back"), "include": int(include_handed_back)}


def handback_sentence(summary: dict[str, int | None]) -> str:
    rows, already = summary.get("rows"), summary.get("already")
    if not rows:
        text = "Tidak ada aduan baru untuk diserahkan ke SP4N-LAPOR!"
    else:
        batches = summary.get("batches")
        text = (f"{fmt_int(rows)} aduan diserahkan ke SP4N-LAPOR!"
                + (f" dalam {fmt_int(batches)} batch (≤ 100 baris per batch)" if batches else "") + ".")
    if already:
        text += (f" {fmt_int(already)} aduan sudah diserahkan sebelumnya"
                 + (" dan ikut lagi dalam berkas ini." if summary.get("include") else " dan tidak disertakan."))
    return text


def preview_figures(preview: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(label, value, hint) for the hand-back page's preview cards."""
    preview = preview or {}
    rows, batches = preview.get("rows"), preview.get("batches")
    return [("Akan diserahkan", fmt_int(rows), f"aduan · {fmt_int(batches)} batch" if rows else "aduan"),
            ("Sudah diserahkan", fmt_int(preview.get("already_handed_back")), "oleh unduhan sebelumnya")]


# --- OPD liaisons ---------------------------------------------------------------------------------

IDLE_DAYS = 30


def is_idle(last_login_at: str | None, now: datetime, days: int = IDLE_DAYS) -> bool:
    """Not logged in for `days` days, or never."""
    moment = parse_time(last_login_at)
    return moment is None or moment < now - timedelta(days=days)


def liaison_rows(users: list[dict[str, Any]], opd: list[dict[str, Any]] | None, now: datetime, tz: ZoneInfo,
                 idle_only: bool = False, days: int = IDLE_DAYS) -> list[dict[str, Any]]:
    """OPD liaisons (role opd_admin) for the grid, longest without a log-in first."""
    names = {o.get("code"): o.get("name") for o in opd or []}
    rows = []
    for u in users:
        if u.get("role") != "opd_admin":
            continue
        idle = is_idle(u.get("last_login_at"), now, days)
        if idle_only and not idle:
            continue
        locked = parse_time(u.get("locked_until"))
        state = ("nonaktif" if not u.get("active") else "terkunci" if locked and locked > now else "aktif")
        rows.append({
            "username": u.get("username"), "name": u.get("name"), "opd_code": u.get("opd_code") or "–",
            "opd": names.get(u.get("opd_code")) or u.get("opd_code") or "–",
            "state": state, "active": bool(u.get("active")),
            "last_login": local_time(u.get("last_login_at"), tz) if u.get("last_login_at") else "belum pernah",
            "last_login_sort": u.get("last_login_at") or "",
            "idle": f"belum masuk ≥ {days} hari" if idle else "",
            "idle_flag": idle,
        })
    return sorted(rows, key=lambda r: (not r["idle_flag"], r["last_login_sort"], r["username"] or ""))


def liaison_counts(rows: list[dict[str, Any]]) -> str:
    idle = sum(1 for r in rows if r["idle_flag"])
    inactive = sum(1 for r in rows if not r["active"])
    return (f"{fmt_int(len(rows))} penghubung OPD · {fmt_int(idle)} belum masuk ≥ {IDLE_DAYS} hari"
            f" · {fmt_int(inactive)} nonaktif")
