"""Indonesian complaint text, normalised for the suggesters.

What a citizen types into WhatsApp is not what an agency files in SP4N-LAPOR!: lower or upper case,
chat abbreviations (`jln`, `gk`, `sdh`, `yg`), phone numbers, links, numbers. `normalise` brings both to
one form: lower case; links, e-mail addresses, phone numbers and other numbers removed; abbreviations
spelled out; common function words (stop words) dropped. Words that carry the topic (`jalan`, `ktp`,
`pdam`) and forms of address (`pak`, `bu`) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Chat and office abbreviations → the word the agencies write.
SLANG: dict[str, str] = {
    # negation and aspect
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "ngga": "tidak", "nggak": "tidak", "enggak": "tidak",
    "engga": "tidak", "g": "tidak", "tdk": "tidak", "tak": "tidak", "nda": "tidak", "ndak": "tidak",
    "sdh": "sudah", "udh": "sudah", "udah": "sudah", "dah": "sudah", "blm": "belum", "blum": "belum",
    "lg": "lagi", "msh": "masih", "sj": "saja", "aja": "saja", "bgt": "banget",
    # function words
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "krn": "karena", "karna": "karena", "utk": "untuk",
    "untk": "untuk", "u": "untuk", "tp": "tapi", "tpi": "tapi", "dr": "dari", "dri": "dari", "sm": "sama",
    "jg": "juga", "sy": "saya", "sya": "saya", "aq": "aku", "sampe": "sampai", "smp": "sampai",
    "trs": "terus", "trus": "terus", "kalo": "kalau", "klo": "kalau", "klu": "kalau", "bs": "bisa",
    "gmn": "bagaimana", "gimana": "bagaimana", "knp": "kenapa", "kpn": "kapan", "dmn": "dimana",
    "tlg": "tolong", "tlong": "tolong", "mhn": "mohon", "trims": "terima kasih", "makasih": "terima kasih",
    "mksh": "terima kasih", "tq": "terima kasih", "org": "orang", "bpk": "bapak", "ibu2": "ibu",
    # time
    "kmrn": "kemarin", "kmarin": "kemarin", "skrg": "sekarang", "skrang": "sekarang", "hr": "hari",
    "mgg": "minggu", "bln": "bulan", "thn": "tahun", "tgl": "tanggal",
    # places and offices
    "jln": "jalan", "jl": "jalan", "jalanan": "jalan", "gg": "gang", "kec": "kecamatan", "kel": "kelurahan",
    "ds": "desa", "dsn": "dusun", "kab": "kabupaten", "kantor2": "kantor", "dukcapil": "dispendukcapil",
    "lampu2": "lampu", "rmh": "rumah", "sklh": "sekolah", "skolah": "sekolah",
    "pasien2": "pasien", "warga2": "warga",
}

# Function words that say nothing about the topic (Bahasa Indonesia, including chat forms once spelled out).
STOP_WORDS: frozenset[str] = frozenset("""
ada adalah adanya agar akan aku anda apa apakah atas atau bagaimana bagi bahkan bahwa banget banyak
baru begitu belum beberapa berapa bisa boleh buat dalam dan dapat dari demikian dengan di dia dimana
hal hanya harus ia ingin ini itu jadi jika juga kalau kami kamu kan karena kapan ke kenapa kita lagi
lain lalu maka mana masih mau melalui memang mereka mohon nya oleh pada para pun saat saja sama sampai
sangat saya se sebagai sebelum sedang sehingga sejak selama semua sendiri seperti serta setelah sudah
supaya tapi telah tentang terhadap terima kasih terus tersebut tetapi tolong untuk yaitu yang ya
sih dong deh lho nih tuh kok loh hal kah pun selamat pagi siang sore malam assalamualaikum wr wb min
admin halo hallo
""".split())

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
# +62 / 62 / 0 followed by 8–13 digits, with optional spaces or dashes between groups.
_PHONE = re.compile(r"(?:\+?62|0)[\s-]?8[\d\s-]{7,14}\d")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# "lampu2", "jalan2": Indonesian writes a reduplication with a 2.
_REDUP = re.compile(r"\b([a-z]{3,})2\b")


def tokens(text: str | None, stop_words: frozenset[str] = STOP_WORDS, *, slang: dict[str, str] = SLANG,
           min_length: int = 2) -> list[str]:
    """The words of a complaint, normalised (see the module's doc); the topic model (core.trends.text) passes
    its own abbreviations, stop words and shortest word."""
    if not text:
        return []
    text = text.lower()
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _PHONE.sub(" ", text)
    text = _REDUP.sub(r"\1", text)
    text = _NUMBER.sub(" ", text)
    words: list[str] = []
    for word in _WORD.findall(text):
        for part in slang.get(word, word).split():
            if part not in stop_words and len(part) >= min_length:
                words.append(part)
    return words


def normalise(text: str | None) -> str:
    """One complaint's text as the suggesters read it."""
    return " ".join(tokens(text))


def normalise_all(texts: Iterable[str | None]) -> list[str]:
    return [normalise(t) for t in texts]
