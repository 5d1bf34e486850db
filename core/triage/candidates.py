"""Not every comment is a complaint: how likely a `kandidat` (a social comment or message) is one.

Social connectors (YouTube, Instagram, Facebook) file every item as a `kandidat`; most are praise, questions or
noise, and the triage desk decides (verify/dispatch makes it a `pengaduan`, or it is rejected as not substantive).
This ranks the candidates so the desk sees the likely complaints first: `candidate_score` is the probability that a
candidate is a complaint, shown as "kemungkinan aduan 82 %".

**What it learns from** (this kabupaten's own decisions, any channel, plus a built-in seed so it works on day one):
- complaints: every `pengaduan` a person or its upstream took up (verified, dispatched, in progress, postponed,
  resolved), a candidate accepted by the desk included;
- not complaints: every complaint rejected as `tidak_substantif` or `spam` (the candidates the desk turned down);
- `SEED_COMPLAINTS` / `SEED_OTHERS`: a few dozen Indonesian complaints, praise, questions and noise written for it.

**The model** is the triage stack (`core.triage.learn`): TF-IDF of words (1–2-grams, chat abbreviations spelled
out, function words kept: "tolong", "kapan", "terima kasih" are what tells a complaint from a question or thanks)
and of characters (2–5-grams within words, which also see "?" and emoji), side by side, then a logistic regression
with balanced class weights, calibrated. The history (mostly SP4N-LAPOR! reports, long and formal) teaches what
complaints are about; it also gives its titles as short examples and weighs together no more than the decided
candidates and the seed, which teach how people write under a video. The calibration is a sigmoid (Platt) fitted on
out-of-fold scores of the decided candidates and the seed (folds group identical texts), so a score is meant for a
candidate, at the candidates' own share of complaints, not at the history's (almost all complaints).

**Versions** live in `triage_model` beside the category/OPD suggesters, as rows whose `info["kind"]` is
`"candidate"` (`core.triage.model` reads only the other rows); the newest is in use. Without a stored version a
model fitted on the seed alone ranks (in memory). Scores are cached per process by model version and text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
from sqlalchemy import and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from core.identity.access import Access
from core.reporting.complaints import complaint_select, filtered, row_to_dict
from core.reporting.filters import FilterError, ResolvedFilter
from core.runtime.settings import Settings
from core.triage.learn import complaint_text
from core.triage.text import _EMAIL, _NUMBER, _PHONE, _URL, tokens
from models import Complaint, Status, TriageModel
from models.enums import Classification
from models.types import utcnow

if TYPE_CHECKING:  # imported where a model is built: scikit-learn costs every API process ~90 MB of memory
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

log = logging.getLogger("aduan.triage")

KIND = "candidate"  # info["kind"] of a candidate-ranker version in triage_model
BLOB_FORMAT = 1
KEEP_VERSIONS = 10
NOT_COMPLAINT_REASONS = ("tidak_substantif", "spam")
TAKEN_UP = (Status.verified, Status.dispatched, Status.in_progress, Status.postponed, Status.resolved)
DEFAULT_PRIOR = 0.3  # share of complaints among social comments, for a ranker that could not be calibrated
MAX_PER_CLASS = 6000  # newest labelled examples of each class trained on
THRESHOLD = 0.5  # a candidate scoring at least this counts as "a complaint" for precision and recall
TEST_FRACTION = 0.2
MAX_RANKED = 20_000  # candidates ranked by one list request (sorted by score)
SCORE_DIGITS = 4

# --- the seed: works from day one, and keeps the classes apart while a kabupaten has few decisions ----------------
# Written for this module; the emulators' texts and bench/candidates.py's held-out set are other words.
SEED_COMPLAINTS: tuple[str, ...] = (
    "Jalan depan SD di dusun kami berlubang besar, sudah ada yang jatuh. Mohon segera diperbaiki",
    "Sudah seminggu sampah tidak diangkut, bau sekali sampai ke rumah warga",
    "Lampu jalan di perempatan desa mati total, gelap dan rawan begal",
    "Air PDAM tidak keluar sejak kemarin pagi, tolong dicek",
    "Pengurusan KTP saya sudah dua bulan belum jadi, katanya blangko habis terus",
    "Bantuan sembako untuk lansia di RT kami tidak pernah sampai, mohon diperiksa",
    "Pelayanan di puskesmas lama sekali, antre dari jam 7 baru dipanggil jam 12",
    "Saluran air mampet, tiap hujan jalan kampung jadi banjir",
    "Tolong min, ada pohon tumbang menutup jalan dan belum dievakuasi",
    "Pungli di loket pembuatan akta, diminta uang tambahan tanpa kuitansi",
    "Jembatan penghubung dua desa rusak, motor tidak bisa lewat",
    "Guru honorer di sekolah kami belum digaji tiga bulan",
    "Parkir liar di depan pasar bikin macet setiap pagi, mohon ditertibkan",
    "Anak saya ditolak daftar sekolah padahal rumah dekat, zonasi tidak adil",
    "Petugas kecamatan sering tidak ada di kantor jam kerja, pelayanan terbengkalai",
    "Limbah pabrik tahu dibuang ke sungai, airnya hitam dan bau",
    "Kartu BPJS PBI ibu saya tiba-tiba nonaktif waktu mau berobat",
    "Jalan desa baru diaspal tiga bulan sudah rusak lagi, kualitasnya jelek",
    "Tolong pak, tiang listrik miring hampir roboh di dekat sekolah",
    "Pasien rawat inap disuruh beli obat sendiri di luar, padahal pakai BPJS",
    "Sudah lapor ke desa soal got mampet tapi tidak ada tindakan sama sekali",
    "Pupuk subsidi susah didapat, kios bilang stok kosong terus",
    "Suara knalpot brong tiap malam di jalan raya, warga tidak bisa tidur",
    "Sinyal hilang total di desa kami, anak-anak susah belajar daring",
    "Izin usaha saya diproses berbulan-bulan tanpa kabar, mohon kejelasan",
    "Trotoar dipakai pedagang sampai pejalan kaki harus turun ke jalan",
    "Gorong-gorong ambles di tengah jalan, bahaya untuk pengendara",
    "Tagihan air bulan ini naik tiga kali lipat padahal pemakaian biasa",
    "Ada kabel menjuntai di jalan kampung, sudah dua minggu belum diperbaiki",
    "Antrean di kantor dukcapil tidak tertib, ada calo yang menyerobot",
    "Rumah warga miskin di desa kami hampir roboh tapi tidak dapat bantuan bedah rumah",
    "Pelayanan ambulans desa lambat, pasien menunggu lebih dari satu jam",
)
SEED_OTHERS: tuple[str, ...] = (
    # praise and thanks
    "Terima kasih Pemkab, jalannya sudah mulus sekarang",
    "Mantap pelayanannya cepat, puas sekali",
    "Salut untuk petugas yang sigap membantu warga",
    "Semoga makin maju kabupaten kita",
    "Bagus sekali programnya, lanjutkan",
    "Keren, acaranya meriah dan tertib",
    "Terima kasih atas informasinya min",
    "Alhamdulillah bantuannya sudah cair, terima kasih",
    "Top markotop, pelayanan sekarang ramah",
    "Sukses terus untuk pemerintah daerah",
    "Bangga dengan daerah sendiri",
    "Matur nuwun sanget, sangat membantu",
    "Luar biasa kerja keras para petugas",
    "Semangat bapak ibu petugas lapangan",
    "Terima kasih sudah cepat tanggap",
    "Tempat wisatanya indah, wajib dikunjungi",
    "Sehat selalu untuk para pemimpin kita",
    "Pelayanan online sangat memudahkan warga",
    "Mantul kegiatannya",
    "Aku suka videonya, informatif",
    # questions
    "Min, syarat bikin KTP baru apa saja ya?",
    "Kapan pendaftaran CPNS dibuka?",
    "Jam buka kantor kecamatan hari Sabtu sampai jam berapa?",
    "Bagaimana cara daftar bantuan UMKM?",
    "Apakah ada lowongan kerja di pemda?",
    "Lokasi acaranya di mana min?",
    "Berapa biaya perpanjangan izin usaha?",
    "Kalau pindah domisili harus ke mana dulu?",
    "Pendaftaran sekolah tahun ini pakai zonasi atau tidak?",
    "Ada info jadwal posyandu bulan ini?",
    "Nomor pengaduan resminya berapa ya kak?",
    "Apakah bisa urus akta kelahiran online?",
    "Kapan pasar murah diadakan lagi?",
    "Formulirnya bisa diunduh di mana?",
    "Min, kalau kehilangan KK prosedurnya bagaimana?",
    "Ini rekaman acaranya tanggal berapa?",
    "Siapa yang bisa dihubungi untuk pelatihan kerja?",
    "Boleh tahu alamat kantor dinasnya?",
    "Apakah vaksin untuk anak gratis?",
    "Kak, cara cek status bansos bagaimana?",
    # noise, greetings, spam
    "Hadir", "Nyimak", "Mantap", "Wah keren", "Semangat", "Amin", "Up", "Mampir min",
    "Salam dari Surabaya", "Absen dulu", "Pertama", "Selamat malam semuanya", "Hahaha lucu",
    "Ikut nonton", "Halo warga", "Wkwkwk", "Siap laksanakan", "Masya Allah", "Setuju",
    "Follow akun kami untuk info promo menarik", "Jual pulsa murah, cek bio", "Klik link di profil untuk hadiah",
    "Dapatkan penghasilan tambahan dari rumah, DM sekarang", "Obat herbal ampuh, hubungi admin",
    "Yang baca ini semoga rezekinya lancar", "Nonton dari kantor", "Kangen kampung halaman",
    "Kapan main ke sini lagi", "Ada yang dari desa sebelah?", "Cantik banget pemandangannya",
)


@dataclass(frozen=True)
class Labelled:
    text: str
    complaint: bool
    complaint_id: int | None = None  # None: a seed example
    at: datetime | None = None  # received (the time split orders by it)
    candidate_channel: bool = False  # from a channel whose items are candidates (the population ranked)
    title: str | None = None  # of a complaint of the history: also learned from on its own


def seed_examples() -> list[Labelled]:
    return [Labelled(t, True) for t in SEED_COMPLAINTS] + [Labelled(t, False) for t in SEED_OTHERS]


def candidate_channels(session: Session) -> list[str]:
    """Channels whose items come in as candidates (some complaint there is, or was rejected as, a kandidat)."""
    return list(session.exec(select(Complaint.channel).where(Complaint.classification == Classification.kandidat)
                             .distinct()).all())


def load_labelled(session: Session) -> list[Labelled]:
    """The kabupaten's decisions (module doc), newest `MAX_PER_CLASS` of each class, oldest first."""
    social = set(candidate_channels(session))
    taken_up = and_(Complaint.classification == Classification.pengaduan, col(Complaint.status).in_(TAKEN_UP))
    turned_down = and_(Complaint.status == Status.rejected, col(Complaint.reject_reason).in_(NOT_COMPLAINT_REASONS))
    out: list[Labelled] = []
    for positive, where in ((True, taken_up), (False, turned_down)):
        rows = session.exec(select(Complaint.id, Complaint.received_at, Complaint.title, Complaint.body,
                                   Complaint.channel).where(where)
                            .order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc())
                            .limit(MAX_PER_CLASS)).all()
        out += [Labelled(complaint_text(title, body), positive, cid, at, channel in social, title)
                for cid, at, title, body, channel in rows]
    return sorted(out, key=lambda e: (e.at, e.complaint_id or 0))


def fingerprint(labelled: Sequence[Labelled]) -> str:
    digest = hashlib.sha256(f"seed:{len(SEED_COMPLAINTS)}:{len(SEED_OTHERS)}\n".encode())
    for e in sorted((e for e in labelled if e.complaint_id is not None), key=lambda e: e.complaint_id):
        digest.update(f"{e.complaint_id}:{int(e.complaint)}:{int(e.candidate_channel)}\n".encode())
    return digest.hexdigest()


# --- features and model -----------------------------------------------------------------------------------------
# Module-level functions (not lambdas): a trained pipeline pickles and loads in another process.
NO_STOP_WORDS: frozenset[str] = frozenset()
CALIBRATION_FOLDS = 5
MIN_CALIBRATION = 20


def word_view(text: str) -> str:
    """Words with chat abbreviations spelled out and function words kept; a question mark is a word too."""
    words = tokens(text, NO_STOP_WORDS)
    return " ".join(words + (["xtanyax"] if "?" in (text or "") else []))


def char_view(text: str) -> str:
    """Lower case with links, e-mail addresses, phone numbers and numbers blanked (they say nothing here)."""
    text = (text or "").lower()
    for pattern in (_URL, _EMAIL, _PHONE):
        text = pattern.sub(" ", text)
    return _NUMBER.sub("0", text)


def build_features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(preprocessor=word_view, ngram_range=(1, 2), sublinear_tf=True,
                                 token_pattern=r"(?u)\b[\w-]{2,}\b")),
        ("char", TfidfVectorizer(preprocessor=char_view, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                 min_df=2)),
    ])


def build_classifier(c: float = 4.0) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", tol=1e-3, max_iter=2000)


def _logit(p: np.ndarray | float) -> np.ndarray | float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class Ranker:
    """A fitted pipeline and the sigmoid that turns its (class-balanced) probability into the candidates' own."""

    pipeline: Pipeline
    slope: float = 1.0
    intercept: float = float(_logit(DEFAULT_PRIOR))
    examples: int = 0
    calibrated_on: int = 0  # decided candidates and seed examples the sigmoid was fitted on (0: default)
    base_rate: float = DEFAULT_PRIOR  # share of complaints among those
    seconds: float = 0.0

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.pipeline.predict_proba(list(texts))
        return proba[:, list(self.pipeline.classes_).index(True)]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-(self.slope * _logit(self.raw(texts)) + self.intercept)))


def training_set(labelled: Sequence[Labelled], with_seed: bool = True) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                                 np.ndarray]:
    """(texts, labels, weights, calibration mask). The history (complaints of channels that are not candidates,
    mostly SP4N-LAPOR!) also gives its titles as short examples, and weighs together no more than the rest: it
    teaches what complaints are about, the decided candidates and the seed how people write under a video."""
    history = [e for e in labelled if not e.candidate_channel]
    rest = [e for e in labelled if e.candidate_channel] + (seed_examples() if with_seed else [])
    titles = [Labelled(e.title, e.complaint) for e in history
              if e.title and e.complaint and not e.text.startswith(e.title + "\n" + e.title)]
    texts = [e.text for e in history + titles + rest]
    labels = np.array([e.complaint for e in history + titles + rest], dtype=bool)
    n_history = len(history) + len(titles)
    weights = np.ones(len(texts))
    if n_history:
        weights[:n_history] = min(1.0, max(len(rest), 1) / n_history)
    calibration = np.zeros(len(texts), dtype=bool)
    calibration[n_history:] = True
    return texts, labels, weights, calibration


def fit(labelled: Sequence[Labelled], with_seed: bool = True, calibrate: bool = True) -> Ranker:
    """Fit on `labelled` (+ the seed), then the sigmoid (Platt) on out-of-fold scores of the decided candidates and
    the seed: probabilities as meant for candidates, whatever the history's mix. Folds group identical texts; the
    TF-IDF vocabulary is learned once from every text (no labels in it), only the linear model is refitted."""
    from sklearn.pipeline import Pipeline

    started = time.perf_counter()
    texts, labels, weights, calibration = training_set(labelled, with_seed)
    if labels.all() or not labels.any():
        raise ValueError("both complaints and non-complaints are needed")
    features = build_features()
    matrix = features.fit_transform(texts)
    classifier = build_classifier().fit(matrix, labels, sample_weight=weights)
    ranker = Ranker(Pipeline([("features", features), ("classify", classifier)]), examples=len(texts))
    where = np.flatnonzero(calibration)
    cal_labels = labels[where]
    groups = [word_view(texts[i]) for i in where]
    folds = min(CALIBRATION_FOLDS, len(set(groups)))
    if calibrate and len(where) >= MIN_CALIBRATION and 0 < cal_labels.sum() < len(where) and folds >= 2:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold

        oof = np.full(len(where), 0.5)
        for _, held in GroupKFold(folds).split(where, groups=groups):
            keep = np.ones(len(texts), dtype=bool)
            keep[where[held]] = False
            if labels[keep].all() or not labels[keep].any():
                continue
            fold = build_classifier().fit(matrix[keep], labels[keep], sample_weight=weights[keep])
            oof[held] = fold.predict_proba(matrix[where[held]])[:, list(fold.classes_).index(True)]
        platt = LogisticRegression(C=1.0).fit(_logit(oof).reshape(-1, 1), cal_labels)
        ranker.slope, ranker.intercept = float(platt.coef_[0][0]), float(platt.intercept_[0])
        ranker.calibrated_on, ranker.base_rate = len(where), float(cal_labels.mean())
    ranker.seconds = time.perf_counter() - started
    return ranker


# --- measuring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    n: int
    complaints: int
    precision: float | None  # of the candidates scored ≥ THRESHOLD, the share that are complaints
    recall: float | None  # of the complaints, the share scored ≥ THRESHOLD
    f1: float | None
    average_precision: float | None  # the ranking as a whole (area under the precision-recall curve)
    brier: float | None  # mean squared error of the probabilities (calibration and sharpness)
    predicted_share: float | None = None  # mean score: compare with complaints / n

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def measure(scores: Sequence[float], truth: Sequence[bool], threshold: float = THRESHOLD) -> Measure:
    from sklearn.metrics import average_precision_score

    n, positives = len(truth), int(sum(truth))
    if n == 0:
        return Measure(0, 0, None, None, None, None, None)
    flagged = [s >= threshold for s in scores]
    hits = sum(f and t for f, t in zip(flagged, truth, strict=True))
    precision = hits / sum(flagged) if any(flagged) else None
    recall = hits / positives if positives else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    ap = float(average_precision_score(truth, scores)) if 0 < positives < n else None
    brier = float(np.mean((np.asarray(scores, dtype=float) - np.asarray(truth, dtype=float)) ** 2))
    return Measure(n, positives, precision, recall, f1, ap, brier, float(np.mean(scores)))


def evaluate(labelled: Sequence[Labelled], test_fraction: float = TEST_FRACTION) -> dict[str, Any]:
    """Hold out the newest decided candidates (the newest `test_fraction` of them, when there are at least 10 such;
    else the newest of all labelled examples), train on everything else (+ seed) and measure on them."""
    ordered = sorted(labelled, key=lambda e: (e.at, e.complaint_id or 0))
    social = [e for e in ordered if e.candidate_channel]
    pool, scope = (social, "kandidat") if round(len(social) * test_fraction) >= 10 else (ordered, "semua")
    test = pool[len(pool) - int(round(len(pool) * test_fraction)):]
    held = {id(e) for e in test}
    train = [e for e in ordered if id(e) not in held]
    if not test or len({e.complaint for e in train + seed_examples()}) < 2:
        return {"scope": scope, "train": len(train), "test": 0}
    ranker = fit(train)
    result = measure(ranker.scores([e.text for e in test]).tolist(), [e.complaint for e in test])
    return {"scope": scope, "train": len(train), "test": len(test),
            "split_at": test[0].at.isoformat() if test[0].at else None, **result.as_dict()}


# --- versions ----------------------------------------------------------------------------------------------------


def _kind_column():
    return TriageModel.info["kind"].as_string()


@dataclass(frozen=True)
class Header:
    version: int
    trained_at: datetime
    examples: int


@dataclass
class TrainResult:
    examples: int
    complaints: int
    not_complaints: int
    version: int | None = None
    skipped: str | None = None
    evaluation: dict[str, Any] | None = None
    base_rate: float | None = None
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


def newest(session: Session) -> Header | None:
    row = session.exec(select(TriageModel.version, TriageModel.trained_at, TriageModel.examples)
                       .where(_kind_column() == KIND).order_by(col(TriageModel.version).desc()).limit(1)).first()
    return Header(*row) if row else None


def newest_info(session: Session) -> dict[str, Any] | None:
    return session.exec(select(TriageModel.info).where(_kind_column() == KIND)
                        .order_by(col(TriageModel.version).desc()).limit(1)).first()


def train(session: Session, settings: Settings | None = None, *, evaluate_first: bool = True,
          only_if_new: bool = False, now: datetime | None = None) -> TrainResult:
    """Fit on the kabupaten's decisions and the seed and store a new version (committed); with `only_if_new`,
    nothing is stored when the labels are those of the newest version."""
    started = time.perf_counter()
    labelled = load_labelled(session)
    positives = sum(e.complaint for e in labelled)
    result = TrainResult(len(labelled), positives, len(labelled) - positives)
    labels_print = fingerprint(labelled)
    if only_if_new and (newest_info(session) or {}).get("fingerprint") == labels_print:
        result.skipped = "no new decisions since the newest version"
        return result
    session.commit()  # end the read transaction: fitting takes seconds
    if evaluate_first and labelled:
        result.evaluation = evaluate(labelled)
    ranker = fit(labelled)
    result.base_rate = ranker.base_rate
    import sklearn

    info = {"kind": KIND, "fingerprint": labels_print, "sklearn": sklearn.__version__,
            "complaints": positives, "not_complaints": result.not_complaints,
            "seed": len(SEED_COMPLAINTS) + len(SEED_OTHERS), "calibrated_on": ranker.calibrated_on,
            "base_rate": round(ranker.base_rate, 4), "fit_seconds": round(ranker.seconds, 3),
            "calibration": [round(ranker.slope, 4), round(ranker.intercept, 4)],
            "threshold": THRESHOLD, "evaluation": result.evaluation}
    result.version = store(session, ranker, info, now=now)
    result.info = info
    result.seconds = time.perf_counter() - started
    return result


def store(session: Session, ranker: Ranker, info: dict[str, Any], now: datetime | None = None) -> int | None:
    """Save as the next version number of triage_model (shared with the suggesters); keep the newest
    `KEEP_VERSIONS` candidate versions."""
    buffer = io.BytesIO()
    joblib.dump({"format": BLOB_FORMAT, "kind": KIND, "pipeline": ranker.pipeline, "slope": ranker.slope,
                 "intercept": ranker.intercept, "calibrated_on": ranker.calibrated_on, "base_rate": ranker.base_rate},
                buffer, compress=3)
    version = (session.exec(select(func.max(TriageModel.version))).one() or 0) + 1
    info["blob_bytes"] = buffer.tell()
    session.add(TriageModel(version=version, trained_at=now or utcnow(), examples=ranker.examples, info=info,
                            blob=buffer.getvalue()))
    try:
        session.commit()
    except IntegrityError:  # another process stored that version number first
        session.rollback()
        log.info("candidate ranker version %s was stored by another process", version)
        return None
    kept = session.exec(select(TriageModel.version).where(_kind_column() == KIND)
                        .order_by(col(TriageModel.version).desc()).limit(KEEP_VERSIONS)).all()
    session.exec(delete(TriageModel).where(_kind_column() == KIND, col(TriageModel.version).not_in(kept)))
    session.commit()
    return version


# --- the ranker in use (per process) -------------------------------------------------------------------------------


@dataclass
class Loaded:
    header: Header | None  # None: the seed-only ranker (no version stored yet)
    ranker: Ranker

    @property
    def key(self) -> str:
        """Names this very model (a version number alone may come back after a database is emptied)."""
        return f"{self.header.version}@{self.header.trained_at.isoformat()}" if self.header else "seed"

    def as_dict(self) -> dict[str, Any]:
        if self.header is None:
            return {"version": None, "trained_at": None, "examples": self.ranker.examples, "seed_only": True}
        return {"version": self.header.version, "trained_at": self.header.trained_at,
                "examples": self.header.examples, "seed_only": False}


_lock = threading.Lock()
_loaded: dict[str, Loaded] = {}  # database URL → newest version loaded from it
_seed_only: Ranker | None = None
_scores: OrderedDict[tuple[str, str, str], float] = OrderedDict()
SCORE_CACHE = 100_000


def _seed_ranker() -> Ranker:
    global _seed_only
    with _lock:
        if _seed_only is None:
            _seed_only = fit([])
        return _seed_only


def load(session: Session) -> Loaded:
    """The newest stored ranker (from memory when already loaded), else the seed-only one."""
    header = newest(session)
    if header is None:
        return Loaded(None, _seed_ranker())
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _loaded.get(key)
    if cached is not None and cached.header == header:
        return cached
    with _lock:
        cached = _loaded.get(key)
        if cached is not None and cached.header == header:
            return cached
        blob = session.exec(select(TriageModel.blob).where(TriageModel.version == header.version)).first()
        if blob is None:  # pruned between the two queries
            return Loaded(None, _seed_ranker())
        data = joblib.load(io.BytesIO(blob))
        loaded = Loaded(header, Ranker(data["pipeline"], data["slope"], data["intercept"], header.examples,
                                       data["calibrated_on"], data["base_rate"]))
        _loaded[key] = loaded
        return loaded


def score_texts(session: Session, texts: Sequence[str]) -> list[float]:
    """`candidate_score` of each text (rounded), cached by model version and text."""
    loaded = load(session)
    db = session.get_bind().url.render_as_string(hide_password=True)
    keys = [(db, loaded.key, hashlib.sha1(t.encode("utf-8", "replace")).hexdigest()) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _scores]
    if missing:
        fresh = loaded.ranker.scores([texts[i] for i in missing])
        with _lock:
            for i, value in zip(missing, fresh, strict=True):
                _scores[keys[i]] = round(float(value), SCORE_DIGITS)
            while len(_scores) > SCORE_CACHE:
                _scores.popitem(last=False)
    out = []
    for k in keys:
        value = _scores.get(k)
        if value is None:  # evicted by another thread just now
            value = round(float(loaded.ranker.scores([texts[keys.index(k)]])[0]), SCORE_DIGITS)
        out.append(value)
    return out


def scores_by_id(session: Session, ids: Sequence[int]) -> dict[int, float]:
    """Scores of the candidates among `ids` (from their stored words, whatever the reader may see of them)."""
    found: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        rows = session.exec(select(Complaint.id, Complaint.title, Complaint.body).where(
            col(Complaint.id).in_(list(ids[start:start + 500])),
            Complaint.classification == Classification.kandidat)).all()
        found += [(cid, complaint_text(title, body)) for cid, title, body in rows]
    return dict(zip([cid for cid, _ in found], score_texts(session, [text for _, text in found]), strict=True))


def attach_scores(session: Session, items: list[dict[str, Any]]) -> None:
    """Set `candidate_score` on the items that are candidates (None on the others)."""
    wanted = [item["id"] for item in items if item.get("classification") == Classification.kandidat]
    scores = scores_by_id(session, wanted) if wanted else {}
    for item in items:
        item["candidate_score"] = scores.get(item["id"])


# --- a list sorted by score ------------------------------------------------------------------------------------------

SORT_FIELD = "candidate_score"


def _encode(token: str, score: float, row_id: int) -> str:
    blob = json.dumps({"s": token, "v": score, "i": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(blob.encode()).decode().rstrip("=")


def _decode(cursor: str, token: str) -> tuple[float, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        given, score, row_id = data["s"], float(data["v"]), int(data["i"])
        if not math.isfinite(score) or row_id < 0:
            raise ValueError("out of range")
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, AttributeError):
        raise FilterError("cursor", "cursor tidak valid") from None
    if given != token:
        raise FilterError("cursor", f"cursor dibuat untuk urutan {given}, bukan {token}")
    return score, row_id


def rank_candidates(session: Session, filt: ResolvedFilter, access: Access, sort_token: str = "-candidate_score",
                    limit: int = 50, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of candidates ordered by (score, id): the list filter must ask for classification kandidat only."""
    if list(filt.spec.classification) != [Classification.kandidat]:
        raise FilterError("sort", "urutan candidate_score hanya untuk classification=kandidat")
    descending = sort_token.startswith("-")
    now = utcnow()
    ids_stmt = filtered(select(Complaint.id, Complaint.title, Complaint.body), filt, access, now)
    rows = session.exec(ids_stmt.order_by(col(Complaint.received_at).desc()).limit(MAX_RANKED)).all()
    scored = list(zip(score_texts(session, [complaint_text(t, b) for _, t, b in rows]), [r[0] for r in rows],
                      strict=True))
    scored.sort(reverse=descending)
    if cursor:
        after = _decode(cursor, sort_token)
        scored = [s for s in scored if (s < after if descending else s > after)]
    chosen = scored[:limit + 1]
    page_ids = [row_id for _, row_id in chosen[:limit]]
    found = {}
    if page_ids:
        stmt = filtered(complaint_select(now), filt, access, now).where(col(Complaint.id).in_(page_ids))
        found = {row._mapping["id"]: row_to_dict(row, access) for row in session.execute(stmt).all()}
    items = []
    for score, row_id in chosen[:limit]:
        if row_id in found:
            items.append({**found[row_id], "candidate_score": score})
    next_cursor = _encode(sort_token, *chosen[limit - 1]) if len(chosen) > limit else None
    return items, next_cursor


__all__ = ["SEED_COMPLAINTS", "SEED_OTHERS", "Labelled", "Ranker", "Measure", "fit", "measure", "evaluate", "train",
           "load", "score_texts", "scores_by_id", "attach_scores", "rank_candidates", "newest", "load_labelled",
           "word_view", "char_view"]


def retrain_job(engine, settings: Settings) -> str | None:
    """The worker's hourly job: a new version when the desk's decisions changed since the newest one."""
    with Session(engine, expire_on_commit=False) as session:
        result = train(session, settings, only_if_new=True)
    if result.version is None:
        return None
    evaluation = result.evaluation or {}
    figures = (f"; newest decided: precision {evaluation['precision']}, recall {evaluation['recall']}"
               if evaluation.get("precision") is not None else "")
    return (f"candidate ranker v{result.version} from {result.complaints} complaints and {result.not_complaints} "
            f"rejected candidates{figures}")
