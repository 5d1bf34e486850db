"""Indonesian complaint text, normalised for topic modelling.

What a citizen types into WhatsApp ("jln di ds kami rusak parah gk diperbaiki2 sdh 3 bln!!! 🙏") and what an
agency files in SP4N-LAPOR! are brought to one form:

1. lower case; links, e-mail addresses, phone numbers, other numbers, emoji and punctuation removed;
2. a reduplication written with a 2 ("lampu2") becomes the word;
3. chat and office abbreviations are spelled out (`SLANG`: jln → jalan, gk/ga/gak/tdk → tidak, sdh/udh →
   sudah, blm → belum, yg → yang, dgn → dengan, …);
4. stop words are dropped: the Tala (2003) list of 758 Indonesian function words (data/stopwords_id.json, as
   shipped by stopwords-iso, NLTK and Sastrawi) plus greetings, forms of address and words every complaint
   uses ("mohon", "warga", "keluhan": `EXTRA_STOP_WORDS`);
5. words of one or two letters are dropped.

No stemming: measured on tests/core/fixtures/trends_labelled.json with Sastrawi (docs/domain.md, "Topics and
spikes"), it raised the adjusted Rand index (0.81 → 0.90 at 6 topics) but costs about 40 ms a complaint, far over
the worker's budget, and makes the labels unreadable.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from core.triage import text as triage_text

# Chat and office abbreviations → the word the agencies write (also a few spelling variants).
SLANG: dict[str, str] = {
    # negation and aspect
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "ngga": "tidak", "nggak": "tidak", "enggak": "tidak",
    "engga": "tidak", "g": "tidak", "tdk": "tidak", "tak": "tidak", "nda": "tidak", "ndak": "tidak",
    "gda": "tidak ada", "gaada": "tidak ada",
    "sdh": "sudah", "udh": "sudah", "udah": "sudah", "dah": "sudah", "sudh": "sudah", "blm": "belum",
    "blum": "belum", "lg": "lagi", "msh": "masih", "masi": "masih", "sj": "saja", "aja": "saja", "bgt": "banget",
    "bngt": "banget", "skali": "sekali", "bkn": "bukan", "jd": "jadi", "jdi": "jadi", "bs": "bisa",
    # function words
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "krn": "karena", "karna": "karena", "utk": "untuk",
    "untk": "untuk", "tp": "tapi", "tpi": "tapi", "dr": "dari", "dri": "dari", "sm": "sama", "jg": "juga",
    "sy": "saya", "sya": "saya", "aq": "aku", "gw": "saya", "gue": "saya", "sampe": "sampai", "smp": "sampai",
    "trs": "terus", "trus": "terus", "kalo": "kalau", "klo": "kalau", "klu": "kalau", "gmn": "bagaimana",
    "gimana": "bagaimana", "knp": "kenapa", "kpn": "kapan", "dmn": "dimana", "tlg": "tolong", "tlong": "tolong",
    "mhn": "mohon", "trims": "terima kasih", "makasih": "terima kasih", "mksh": "terima kasih",
    "tq": "terima kasih", "thx": "terima kasih", "org": "orang", "bpk": "bapak", "dll": "dan lain lain",
    "dsb": "dan sebagainya", "spt": "seperti", "sbg": "sebagai", "hrs": "harus", "pdhl": "padahal",
    "bbrp": "beberapa", "sbnrnya": "sebenarnya", "sdg": "sedang", "tsb": "tersebut", "ttg": "tentang",
    # time
    "kmrn": "kemarin", "kmarin": "kemarin", "skrg": "sekarang", "skrang": "sekarang", "hr": "hari",
    "mgg": "minggu", "bln": "bulan", "thn": "tahun", "tgl": "tanggal", "jm": "jam",
    # places, offices and things complained about
    "jln": "jalan", "jl": "jalan", "jalanan": "jalan", "gg": "gang", "kec": "kecamatan", "kel": "kelurahan",
    "ds": "desa", "dsn": "dusun", "kab": "kabupaten", "rmh": "rumah", "sklh": "sekolah", "skolah": "sekolah",
    "dukcapil": "disdukcapil", "pju": "lampu", "lmpu": "lampu", "sampahnya": "sampah", "banjirnya": "banjir",
    "got": "selokan", "gorong": "gorong-gorong", "airnya": "air", "listrik2": "listrik",
    "bansos2": "bansos", "puskes": "puskesmas", "rs": "rumah sakit", "e-ktp": "ktp",
    "ektp": "ktp", "kk": "kartu keluarga",
}

# Greetings, forms of address and words of every complaint, on top of the Tala list.
EXTRA_STOP_WORDS: frozenset[str] = frozenset("""
selamat pagi siang sore malam assalamualaikum assalamu alaikum wr wb wassalam salam halo hallo hai min admin
kak mas mbak pak bu bapak ibu bpk saudara sdr mohon tolong terima kasih banyak sangat banget sekali
warga masyarakat kami kita saya aduan adukan mengadu laporan lapor melapor melaporkan keluhan mengeluh
pengaduan sampaikan menyampaikan ditindaklanjuti tindak lanjut segera secepatnya harap berharap pihak terkait
dinas pemerintah pemkab kabupaten blitar kecamatan desa dusun kelurahan wilayah daerah sekitar lokasi tempat
sudah belum tidak lagi masih sejak selama kemarin sekarang hari minggu bulan tahun tanggal jam kali
ya iya nih sih dong deh lho tuh kok loh kah lah pun mah wkwk gan sob bro
""".split())

MIN_LENGTH = 3


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    data = json.loads(files("core.trends.data").joinpath("stopwords_id.json").read_text(encoding="utf-8"))
    return frozenset(set(data["words"]) | EXTRA_STOP_WORDS)


def tokens(text: str | None) -> list[str]:
    """The topic-bearing words of one complaint, in order (the suggesters' normalisation with this module's
    abbreviations, stop words and shortest word)."""
    return triage_text.tokens(text, stop_words(), slang=SLANG, min_length=MIN_LENGTH)


def normalise(text: str | None) -> str:
    return " ".join(tokens(text))
