"""Indonesian date text as found in exports and typed by staff: `20 Agustus 2021 07:15`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8,
    "agt": 8, "ags": 8, "agus": 8, "agust": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nop": 11, "desember": 12, "des": 12,
}
_ID_DATE = re.compile(
    r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})(?:\s*,?\s+(?:pukul\s+|jam\s+)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
    r"(?:\s*wib)?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")


def parse_id_datetime(value: str, tz: ZoneInfo) -> datetime:
    """`20 Agustus 2021 07:15` (full or abbreviated month, `:` or `.` in the time, optional WIB)
    or ISO `2021-08-20 07:15` (how spreadsheet date cells arrive). Local time → UTC."""
    text = " ".join(value.split())
    match = _ID_DATE.match(text)
    if match:
        day, month_name, year, hour, minute, second = match.groups()
        month = MONTHS.get(month_name.lower())
        if month is None:
            raise ValueError(f"nama bulan '{month_name}' tidak dikenal")
        try:
            local = datetime(int(year), month, int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            raise ValueError(f"tanggal '{value}' tidak ada di kalender") from None
    elif _ISO_DATE.match(text):
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"tanggal '{value}' tidak ada di kalender") from None
    else:
        raise ValueError(f"format tanggal '{value}' tidak dikenali (contoh: 20 Agustus 2021 07:15)")
    return local.replace(tzinfo=tz).astimezone(UTC)
