"""Pure shaping for the Verifikasi page: SLA clocks, suggestion pairs, places, photos, duplicates, bulk results.

Callbacks in dashboard/pages/verifikasi.py stay thin and call these; tests/dashboard/test_queue.py checks them
without a browser.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard import media
from dashboard.shaping import Labels, parse_time

SHORTCUTS = [("j / k", "kartu berikut / sebelumnya"), ("1–3", "terima saran ke-n (verifikasi + disposisi)"),
             ("t", "tolak (pilih alasan, Enter)"), ("g", "gabungkan ke duplikat terpilih"), ("x", "pilih kartu"),
             ("r", "muat ulang antrean")]
SHOWN_IMAGE = ("image/",)


def duration(seconds: float) -> str:
    """'2 hari 4 jam', '5 jam 12 menit', '12 menit' (whole minutes, the two largest units)."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} hari {hours} jam" if hours else f"{days} hari"
    if hours:
        return f"{hours} jam {mins} menit" if mins else f"{hours} jam"
    return f"{mins} menit"


def sla_clock(due: str | datetime | None, now: datetime) -> tuple[str, str]:
    """(text, tone) of the time left to the response deadline: red once it is past, yellow in its last day."""
    moment = parse_time(due) if isinstance(due, str) or due is None else due
    if moment is None:
        return "tanpa tenggat", "grey"
    left = (moment - now).total_seconds()
    if left < 0:
        return f"lewat {duration(left)}", "red"
    return f"sisa {duration(left)}", "yellow" if left < 86_400 else "green"


def percent(score: float | None) -> str:
    return "–" if score is None else f"{round(float(score) * 100)} %"


# The queue's orders: (value, label, list sort, classification filter).
OLDEST, LIKELY = "oldest", "likely"
SORTS = ((OLDEST, "Terlama dulu", "received_at", None),
         (LIKELY, "Kandidat medsos: paling mungkin aduan", "-candidate_score", "kandidat"))


def queue_query(channels: list[str] | None, order: str | None) -> tuple[dict[str, Any], str]:
    """(list filter, sort) of the queue: every unverified complaint oldest first, or the social candidates (classified
    `kandidat`) most likely a complaint first."""
    _, _, sort, classification = next((s for s in SORTS if s[0] == order), SORTS[0])
    params: dict[str, Any] = {"status": "unverified", "channel": list(channels or [])}
    if classification:
        params["classification"] = [classification]
    return params, sort


def candidate_badge(complaint: dict[str, Any]) -> tuple[str, str] | None:
    """("kemungkinan aduan 82 %", tone) for a social candidate; None for anything else. Green from 70 %, yellow from
    40 %, grey below. An estimate is never shown as certain: 1–99 %."""
    score = complaint.get("candidate_score")
    if complaint.get("classification") != "kandidat" or score is None:
        return None
    tone = "green" if score >= 0.7 else "yellow" if score >= 0.4 else "grey"
    return f"kemungkinan aduan {min(99, max(1, round(float(score) * 100)))} %", tone


def suggestion_pairs(suggestions: dict[str, Any] | None, categories: list[dict[str, Any]] | None,
                     n: int = 3) -> list[dict[str, Any]]:
    """Up to `n` one-click choices: the n-th suggested category, sent to its default OPD when the model also
    suggests that OPD, else to the n-th suggested OPD (the top one when there are fewer)."""
    if not suggestions:
        return []
    cats = [c for c in suggestions.get("categories") or [] if c.get("code")]
    opds = [o for o in suggestions.get("opds") or [] if o.get("code")]
    default_opd = {c.get("code"): c.get("default_opd_code") for c in categories or []}
    pairs = []
    for i in range(min(n, max(len(cats), len(opds)))):
        cat = cats[i] if i < len(cats) else None
        wanted = default_opd.get(cat["code"]) if cat else None
        opd = next((o for o in opds if o["code"] == wanted), None) or (opds[i] if i < len(opds) else
                                                                       (opds[0] if opds else None))
        if cat is None and opd is None:
            continue
        pairs.append({"n": i + 1,
                      "category_code": cat["code"] if cat else None, "category_name": cat.get("name") if cat else None,
                      "category_score": cat.get("score") if cat else None,
                      "opd_code": opd["code"] if opd else None, "opd_name": opd.get("name") if opd else None,
                      "opd_score": opd.get("score") if opd else None})
    return pairs


def pair_label(pair: dict[str, Any]) -> str:
    cat = f"{pair['category_name'] or pair['category_code']} ({percent(pair['category_score'])})" \
        if pair.get("category_code") else "tanpa kategori"
    opd = f"{pair['opd_name'] or pair['opd_code']} ({percent(pair['opd_score'])})" if pair.get("opd_code") else "–"
    return f"{cat} → {opd}"


def model_note(suggestions: dict[str, Any] | None) -> str:
    """Where the suggestions come from, or why there are none."""
    if not suggestions:
        return "Saran belum tersedia."
    if suggestions.get("message"):
        return f"Saran: {suggestions['message']}."
    model = suggestions.get("model") or {}
    examples = model.get("examples")
    count = f"{examples:,}".replace(",", ".") if isinstance(examples, int) else "?"
    return f"Model v{model.get('version', '?')} · dilatih dari {count} aduan berlabel"


def place(detail: dict[str, Any]) -> str:
    """Where: the reporter's own words (a WhatsApp pin's address), then desa and kecamatan unless already said."""
    said = detail.get("location_text") or ""
    region = [f"{word} {name}" for word, name in (("Desa", detail.get("desa")), ("Kec.", detail.get("kecamatan")))
              if name and name.lower() not in said.lower()]
    text = " · ".join(p for p in (said, ", ".join(region)) if p)
    if not text and detail.get("lat") is not None and detail.get("lon") is not None:
        text = f"{detail['lat']:.5f}, {detail['lon']:.5f}"
    return text or "lokasi belum diketahui"


def photos(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The complaint's media as the card shows them: fetched images as thumbnails (through the dashboard's
    relay), the rest as a line saying what and why."""
    out = []
    for m in detail.get("media") or []:
        mime = m.get("mime_type") or ""
        fetched = m.get("state") == "fetched"
        out.append({"media_id": m.get("media_id"), "caption": m.get("caption"), "kind": m.get("kind") or "image",
                    "state": m.get("state"), "error": m.get("error"),
                    "src": media.url(detail["id"], m["media_id"]) if fetched and m.get("media_id") else None,
                    "thumbnail": fetched and mime.startswith(SHOWN_IMAGE)})
    return out


def photo_state_text(photo: dict[str, Any]) -> str:
    kind = {"image": "Foto", "video": "Video", "audio": "Pesan suara", "document": "Dokumen",
            "sticker": "Stiker"}.get(photo["kind"], "Berkas")
    if photo["state"] == "pending":
        return f"{kind} belum diunduh dari WhatsApp"
    if photo["state"] == "failed":
        return f"{kind} gagal diunduh" + (f": {photo['error']}" if photo.get("error") else "")
    return f"{kind} (buka)"


def duplicate_rows(items: list[dict[str, Any]] | None, labels: Labels, tz, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for item in items or []:
        received = parse_time(item.get("received_at"))
        rows.append({"id": item["id"], "code": item.get("code") or str(item["id"]),
                     "channel": labels.channel(item.get("channel")), "title": item.get("title") or "",
                     "status": labels.status(item.get("status")), "score": percent(item.get("score")),
                     "reasons": ", ".join(item.get("reasons") or []),
                     "received": received.astimezone(tz).strftime("%d/%m/%Y %H.%M") if received else "–"})
    return rows


def bulk_errors(payload: Any, codes: dict[int, str]) -> list[str]:
    """The refusals of an all-or-nothing bulk action, one line per complaint, by its tracking code."""
    if not isinstance(payload, dict):
        return []
    return [f"{codes.get(e.get('id'), e.get('id'))}: {e.get('msg')}" for e in payload.get("errors") or []
            if isinstance(e, dict)]
