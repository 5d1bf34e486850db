"""A small labelled history to train the triage suggestions on: LAPOR! reports disposed to their OPD."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from models import Status
from tests.factories import MONDAY, add_complaint

# (category, OPD) → ways people write about it
TOPICS: dict[tuple[str, str], tuple[str, ...]] = {
    ("INFRA-JALAN", "DPUPR"): (
        "Jalan rusak berlubang di Desa {desa}, motor sering jatuh",
        "Aspal jalan raya {desa} mengelupas dan berlubang besar",
        "Jalan poros ke {desa} rusak parah dan tergenang saat hujan",
    ),
    ("ADMINDUK-KTP", "DISDUKCAPIL"): (
        "KTP-el belum dicetak sudah tiga bulan, katanya blangko habis",
        "Perekaman KTP elektronik di kecamatan antre dari subuh",
        "KTP elektronik saya hilang, pengurusan cetak ulang lama sekali",
    ),
    ("AIR", "PDAM"): (
        "Air PDAM di Desa {desa} mati sudah tiga hari",
        "Air PDAM keruh dan berbau setiap pagi",
        "Tagihan PDAM naik tidak wajar padahal pemakaian biasa",
    ),
    ("LINGKUNGAN-SAMPAH", "DLH"): (
        "Sampah menumpuk di TPS {desa}, truk pengangkut tidak datang",
        "Sampah berserakan di pasar {desa} dan baunya menyengat",
        "Tempat pembuangan sampah penuh, sampah meluber ke jalan",
    ),
}
DESA = ("Gogodeso", "Kanigoro", "Sananwetan", "Wlingi", "Srengat")


def labelled_history(session: Session, per_topic: int = 15, start: datetime = MONDAY, prefix: str = "h",
                     channel: str = "lapor") -> list:
    """`per_topic` disposed LAPOR! reports per topic, the topics interleaved over time (one an hour)."""
    made, n = [], 0
    for i in range(per_topic):
        for (category, opd), texts in TOPICS.items():
            n += 1
            at = start + timedelta(hours=n)
            title = texts[i % len(texts)].format(desa=DESA[i % len(DESA)])
            made.append(add_complaint(session, channel, f"{prefix}{n}", title=title, body=f"{title}. Mohon segera.",
                                      category_code=category, opd_code=opd, status=Status.dispatched,
                                      received_at=at, verified_at=at + timedelta(minutes=30),
                                      dispatched_at=at + timedelta(minutes=40), kecamatan="Kanigoro"))
    return made
