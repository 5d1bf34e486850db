"""YouTube Data API v3 emulator: the comments of a pemda's channel, exactly the wire format of docs/wire-formats.md.

`GET /youtube/v3/commentThreads?part=snippet[,replies]&allThreadsRelatedToChannelId=<UC…>&order=time
&maxResults=1..100&pageToken=…&textFormat=plainText|html&key=<API key>` → `{"kind":
"youtube#commentThreadListResponse", "etag", "nextPageToken"?, "pageInfo": {"totalResults", "resultsPerPage"},
"items": [commentThread…]}`, newest top-level comment first; a thread carries at most `REPLIES_IN_THREAD` replies,
`GET /youtube/v3/comments?part=snippet&parentId=<thread id>&maxResults&pageToken&key` lists all of them (oldest
first). Errors as Google's `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`:
a missing key 403 `forbidden`, a wrong one 400 "API key not valid", an unknown channel 404 `channelNotFound`,
a spent daily quota 403 `quotaExceeded` (domain `youtube.quota`).

The channel's comments are generated from a seed: about a third are complaints (texts of
`connectors.emulators.texts`, with the OPD their topic goes to), the rest praise, questions and noise; some threads
have replies from neighbours, from the author adding detail, or from the channel itself; a few have more replies
than a thread carries. `truth()` says what each comment really is (the candidate classifier is measured on it).
Like counts tick up whenever a walk starts, as real ones do.

Control: `POST /_control/add {"n"}`, `POST /_control/edit {"n", "kind": "comment"|"reply"|"own_reply", "ids"?}`,
`GET|POST /_control/faults` (the shared knobs, plus `quota_next`: the next N data requests answer quotaExceeded,
and `quota_units`: units left today, one per data request, None = unlimited), `GET /_control/state`.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.emulators.faults import Faults, control_routes
from connectors.emulators.texts import STREETS, TOPICS, reference

CHANNEL_ID = "UCNVY8V7bD8P5hEpIKanr6Xk"  # the pemda's channel ("Pemkab Blitar TV")
CHANNEL_TITLE = "Pemkab Blitar TV"
API_KEY = "AIzaSyEmulatorKey-aduan-terpadu-00000"
REPLIES_IN_THREAD = 5  # commentThreads carries at most this many replies; comments.list has them all
ID_CHARS = string.ascii_letters + string.digits + "_-"

# What people write under a pemda's videos that is not a complaint (kept apart from the classifier's own seed
# list in core.triage.candidates and from the Meta emulator's texts, so each measures the other).
PRAISE = (
    "Videonya bagus, informatif sekali. Terima kasih Pemkab Blitar 👍",
    "Bangga jadi warga Blitar, makin maju terus!",
    "Mantap liputannya, semoga pembangunan merata sampai desa-desa",
    "Terima kasih sudah menayangkan rapat paripurna secara langsung, jadi transparan",
    "Keren drone shot-nya, Blitar ternyata indah sekali ❤️",
    "Festival kemarin ramai sekali, sukses terus untuk panitia",
    "Salut untuk petugas kebersihan yang kerja dari subuh",
    "Program beasiswanya sangat membantu anak saya, matur nuwun",
    "Pak Bupati luar biasa, turun langsung ke warga",
    "Semoga sehat selalu para nakes di puskesmas, terima kasih pelayanannya",
    "Wisata Sumber Udel sekarang bagus, akses jalannya sudah enak",
    "Alhamdulillah jembatan di desa kami sudah jadi, terima kasih",
    "Konten edukasinya bermanfaat, lanjutkan min",
    "Sukses selalu Kabupaten Blitar 🙏",
)
QUESTIONS = (
    "Kalau mau daftar UMKM binaan caranya bagaimana ya?",
    "Ini acaranya sampai jam berapa min?",
    "Pendaftaran perangkat desa kapan dibuka?",
    "Apakah pelatihan kerja ini gratis? Syaratnya apa saja?",
    "Link pendaftarannya di mana min? Tidak ketemu di deskripsi",
    "Kapan jadwal vaksin rabies gratis untuk kucing?",
    "Bisa tidak urus KK pindah datang secara online?",
    "Lokasi pasar murah berikutnya di mana ya?",
    "Video lengkap rapatnya ada di mana?",
    "Apakah tahun ini ada lomba desa lagi?",
    "Min, nomor WhatsApp pengaduan resmi berapa?",
)
NOISE = (
    "Pertamax 😁", "Hadir dari Kademangan", "Nonton sambil ngopi ☕", "Mantap", "👍👍👍", "Siap",
    "Salam dari perantauan, kangen Blitar", "Lanjut part 2 min", "Subscribe balik ya kak",
    "Cek channel saya juga kak, konten kuliner Blitar", "Jual bibit durian unggul, hubungi nomor di profil",
    "Wkwk lucu yang di menit 3", "Siapa yang nonton tahun ini?", "Amin ya Allah", "First!",
)
COMPLAINT_OPENERS = ("", "", "", "Pak Bupati, ", "Min, ", "Mohon maaf mau lapor, ", "Numpang lapor min. ",
                     "Izin menyampaikan keluhan. ")
NEIGHBOUR_REPLIES = ("Betul, di desa saya juga sama", "Setuju, sudah lama dibiarkan", "Semoga cepat ditangani",
                     "Up biar dibaca admin", "Sama min, tolong ditindaklanjuti")
AUTHOR_ADDITIONS = ("Lokasinya dekat balai desa.", "Sudah lapor ke desa tapi belum ada tindakan.",
                    "Sampai hari ini masih belum ada perubahan.")
OWN_REPLIES = ("Terima kasih atas laporannya, sudah kami teruskan ke OPD terkait untuk ditindaklanjuti.",
               "Terima kasih, mohon kirim detail lokasi lewat WhatsApp pengaduan agar segera kami proses.",
               "Terima kasih atas apresiasinya 🙏")
OTHER_REPLIES = ("Setuju 👍", "Mantap", "Betul sekali", "Amin", "Terima kasih infonya")
VIDEO_TITLES = 30
FIRST_NAMES = ("Agus", "Siti", "Budi", "Dewi", "Eko", "Rina", "Joko", "Wati", "Hadi", "Lestari", "Yusuf", "Nur",
               "Bayu", "Ani", "Fajar", "Indah", "Rudi", "Sri", "Teguh", "Yuni")
FAMILY_NAMES = ("Santoso", "Wahyuni", "Prasetyo", "Rahayu", "Saputra", "Kurniawan", "Hidayat", "Utomo",
                "Setiawan", "Wulandari")


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(rng: random.Random, n: int, prefix: str = "") -> str:
    return prefix + "".join(rng.choices(ID_CHARS, k=n))


@dataclass(slots=True)
class Reply:
    id: str
    author: str
    author_channel: str
    text: str
    published: datetime
    updated: datetime
    likes: int = 0


@dataclass(slots=True)
class Thread:
    idx: int
    id: str
    channel: str
    video: str
    author: str
    author_channel: str
    text: str
    kind: str  # complaint | praise | question | noise
    published: datetime
    updated: datetime
    likes: int
    opd: str | None = None  # a complaint's usual OPD (our reference code), as its topic says
    versions: int = 0
    replies: list[Reply] = field(default_factory=list)

    @property
    def complaint(self) -> bool:
        return self.kind == "complaint"

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.published, self.id)


@dataclass
class YouTubeFaults(Faults):
    quota_next: int = 0  # the next N data requests answer 403 quotaExceeded
    quota_units: int | None = None  # units left today (one per data request); None = unlimited


class CommentStore:
    def __init__(self, seed: int = 1, total: int = 300, days: int = 180, now: datetime | None = None,
                 channel: str = CHANNEL_ID, complaint_share: float = 0.32):
        self.seed, self.channel, self.complaint_share = seed, channel, complaint_share
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self._rng = random.Random(seed)
        self._ops = random.Random(seed + 7919)
        self.regions = reference("regions.json")
        self.weights = [t.weight for t in TOPICS]
        self.videos = [_id(self._rng, 11) for _ in range(VIDEO_TITLES)]
        self.threads: dict[str, Thread] = {}
        self.keys: list[tuple[datetime, str]] = []
        self.walks = 0  # walks started (first pages asked for): like counts tick with them
        for _ in range(total):
            published = self.now - timedelta(seconds=self._rng.uniform(600, max(days, 1) * 86400))
            thread = self._new(published)
            self._add_history(thread)
            self.threads[thread.id] = thread
            self.keys.append(thread.key)
        self.keys.sort()

    # --- generation ---
    def _person(self) -> tuple[str, str]:
        rng = self._rng
        name = f"@{rng.choice(FIRST_NAMES).lower()}{rng.choice(FAMILY_NAMES).lower()}{rng.randint(1, 9999)}"
        return name, _id(rng, 22, "UC")

    def _complaint_text(self) -> tuple[str, str]:
        rng = self._rng
        topic = rng.choices(TOPICS, self.weights)[0]
        kecamatan = rng.choice(sorted(self.regions))
        desa = rng.choice(self.regions[kecamatan][2])
        jalan = rng.choice(STREETS).format(kecamatan=kecamatan, desa=desa)
        _, body = rng.choice(topic.cases)
        return rng.choice(COMPLAINT_OPENERS) + body.format(desa=desa, kecamatan=kecamatan, jalan=jalan), topic.opd

    def _new(self, published: datetime) -> Thread:
        rng = self._rng
        idx = len(self.threads)
        published = published.replace(microsecond=0)  # the wire carries whole seconds
        if rng.random() < self.complaint_share:
            kind = "complaint"
            text, opd = self._complaint_text()
        else:
            kind = rng.choices(("praise", "question", "noise"), (4, 3, 4))[0]
            text, opd = rng.choice({"praise": PRAISE, "question": QUESTIONS, "noise": NOISE}[kind]), None
        author, author_channel = self._person()
        return Thread(idx, _id(rng, 26, "Ugz"), self.channel, rng.choice(self.videos), author, author_channel, text,
                      kind, published, published, rng.choice((0, 0, 0, 1, 2, 3, 5, 12)), opd)

    def _reply(self, thread: Thread, at: datetime, who: str) -> Reply:
        rng = self._rng
        if who == "own":
            text = OWN_REPLIES[2] if thread.kind == "praise" else rng.choice(OWN_REPLIES[:2])
            author, author_channel = f"@{CHANNEL_TITLE.replace(' ', '').lower()}", self.channel
        elif who == "author":
            text, author, author_channel = rng.choice(AUTHOR_ADDITIONS), thread.author, thread.author_channel
        else:
            author, author_channel = self._person()
            text = rng.choice(NEIGHBOUR_REPLIES if thread.complaint else OTHER_REPLIES)
        reply_id = f"{thread.id}.{_id(rng, 22, '9')}"
        return Reply(reply_id, author, author_channel, text, at, at)

    def _add_history(self, thread: Thread) -> None:
        rng = self._rng
        chances = {"complaint": (0.35, 0.25, 0.3), "question": (0.2, 0.05, 0.15)}.get(thread.kind, (0.08, 0.0, 0.1))
        own, author, others = chances
        if rng.random() < 0.04:  # a lively thread: more replies than commentThreads carries
            count = rng.randint(REPLIES_IN_THREAD + 1, REPLIES_IN_THREAD + 4)
            whos = ["other"] * count
        else:
            whos = [w for w, p in (("author", author), ("other", others), ("own", own)) if rng.random() < p]
        at = thread.published
        for who in whos:
            at += timedelta(minutes=rng.randint(5, 2000))
            if at < self.now:
                thread.replies.append(self._reply(thread, at, who))

    # --- changes (control) ---
    def _stamp(self, after: datetime, at: datetime | None) -> datetime:
        at = (at or datetime.now(UTC)).replace(microsecond=0)
        return max(at, after + timedelta(seconds=1))

    def add(self, n: int, at: datetime | None = None) -> list[str]:
        added = []
        for _ in range(n):
            thread = self._new((at or datetime.now(UTC)).replace(microsecond=0))
            self.threads[thread.id] = thread
            bisect.insort(self.keys, thread.key)
            added.append(thread.id)
        return added

    def edit(self, n: int = 1, kind: str = "comment", at: datetime | None = None,
             ids: list[str] | None = None) -> list[str]:
        """`comment`: the author rewrites the comment (updatedAt moves, publishedAt and the order stay); `reply`:
        somebody replies under it; `own_reply`: the channel does. `ids` picks the threads, else `n` from the seed."""
        if kind not in ("comment", "reply", "own_reply"):
            raise ValueError(f"unknown edit kind {kind!r} (comment, reply, own_reply)")
        chosen = [self.threads[i] for i in ids] if ids is not None else \
            self._ops.sample(list(self.threads.values()), min(n, len(self.threads)))
        for thread in chosen:
            if kind == "comment":
                thread.versions += 1
                thread.updated = self._stamp(thread.updated, at)
                addition = AUTHOR_ADDITIONS[thread.versions % len(AUTHOR_ADDITIONS)]
                thread.text = f"{thread.text.split(' (edit:')[0]} (edit: {addition})"
                continue
            last = max([thread.published] + [r.updated for r in thread.replies])
            thread.replies.append(self._reply(thread, self._stamp(last, at), "own" if kind == "own_reply" else
                                              "other"))
        return [t.id for t in chosen]

    # --- reading ---
    def truth(self) -> list[Thread]:
        return sorted(self.threads.values(), key=lambda t: t.key)

    def _likes(self, idx: int, base: int) -> int:
        return base + (self.walks if idx % 4 == 0 else 0)

    def comment(self, reply: Reply, thread: Thread, text_format: str) -> dict[str, Any]:
        return {"kind": "youtube#comment", "etag": _etag(reply.id, reply.updated, thread.idx),
                "id": reply.id, "snippet": self._snippet(thread, reply.author, reply.author_channel, reply.text,
                                                         reply.published, reply.updated, reply.likes, text_format,
                                                         parent=thread.id)}

    def _snippet(self, thread: Thread, author: str, author_channel: str, text: str, published: datetime,
                 updated: datetime, likes: int, text_format: str, parent: str | None = None) -> dict[str, Any]:
        shown = text if text_format == "plainText" else text.replace("&", "&amp;").replace("<", "&lt;") \
            .replace(">", "&gt;").replace("\n", "<br>")
        snippet: dict[str, Any] = {
            "channelId": thread.channel, "videoId": thread.video, "textDisplay": shown, "textOriginal": text,
            "authorDisplayName": author,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{author_channel[2:14]}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/{author}", "authorChannelId": {"value": author_channel},
            "canRate": True, "viewerRating": "none", "likeCount": likes,
            "publishedAt": rfc3339(published), "updatedAt": rfc3339(updated)}
        if parent:
            snippet["parentId"] = parent
        return snippet

    def payload(self, thread: Thread, with_replies: bool = True, text_format: str = "plainText") -> dict[str, Any]:
        top = {"kind": "youtube#comment", "etag": _etag(thread.id, thread.updated, self.walks),
               "id": thread.id, "snippet": self._snippet(thread, thread.author, thread.author_channel, thread.text,
                                                         thread.published, thread.updated,
                                                         self._likes(thread.idx, thread.likes), text_format)}
        body: dict[str, Any] = {
            "kind": "youtube#commentThread", "etag": _etag(thread.id, thread.updated, len(thread.replies)),
            "id": thread.id,
            "snippet": {"channelId": thread.channel, "videoId": thread.video, "topLevelComment": top,
                        "canReply": True, "totalReplyCount": len(thread.replies), "isPublic": True}}
        if with_replies and thread.replies:
            carried = thread.replies[-REPLIES_IN_THREAD:][::-1]  # the newest few, newest first
            body["replies"] = {"comments": [self.comment(r, thread, text_format) for r in carried]}
        return body

    def page(self, token: str | None, size: int) -> tuple[list[Thread], tuple | None]:
        """Newest publishedAt first; a token is the key of the last thread handed out."""
        end = bisect.bisect_left(self.keys, decode_token(token)[:2]) if token else len(self.keys)
        chunk = self.keys[max(0, end - size):end][::-1]
        more = end - size > 0
        return [self.threads[k[1]] for k in chunk], (chunk[-1] if chunk and more else None)


def _etag(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:27]


def encode_token(key: tuple[datetime, str], page_no: int) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}|{page_no}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[datetime, str, int]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    stamp, ident, page_no = raw.split("|")
    return datetime.fromisoformat(stamp), ident, int(page_no)


def google_error(code: int, reason: str, message: str, domain: str = "global",
                 status: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message,
                             "errors": [{"message": message, "domain": domain, "reason": reason}]}
    if status:
        error["status"] = status
    return JSONResponse({"error": error}, status_code=code)


QUOTA_MESSAGE = ("The request cannot be completed because you have exceeded your "
                 "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
RATE_LIMITED = {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                          "errors": [{"message": "Resource has been exhausted (e.g. check quota).",
                                      "domain": "global", "reason": "rateLimitExceeded"}],
                          "status": "RESOURCE_EXHAUSTED"}}


def create_app(seed: int = 1, total: int = 300, days: int = 180, api_key: str = API_KEY,
               faults: YouTubeFaults | None = None, now: datetime | None = None, channel: str = CHANNEL_ID,
               complaint_share: float = 0.32) -> Starlette:
    store = CommentStore(seed=seed, total=total, days=days, now=now, channel=channel,
                         complaint_share=complaint_share)
    faults = faults or YouTubeFaults(seed=seed)

    async def gate(request: Request) -> Response | None:
        """Key, quota and the shared faults, in the order YouTube applies them."""
        key = request.query_params.get("key")
        if not key:
            return google_error(403, "forbidden", "The request is missing a valid API key.",
                                status="PERMISSION_DENIED")
        if key != api_key:
            return google_error(400, "badRequest", "API key not valid. Please pass a valid API key.",
                                status="INVALID_ARGUMENT")
        if faults.quota_next > 0 or faults.quota_units == 0:
            faults.quota_next = max(0, faults.quota_next - 1)
            return google_error(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")
        failure = await faults.before(RATE_LIMITED)
        if failure is not None:
            return failure
        if faults.quota_units is not None:
            faults.quota_units -= 1
        return None

    def size_of(request: Request, default: int) -> int | Response:
        try:
            size = int(request.query_params.get("maxResults", default))
        except ValueError:
            size = -1
        if not 1 <= size <= 100:
            return google_error(400, "invalidParameter", "Invalid value for parameter maxResults (1 to 100).")
        return size

    async def comment_threads(request: Request) -> Response:
        q = request.query_params
        parts = set((q.get("part") or "").split(","))
        if not parts or not parts <= {"id", "snippet", "replies"} or not q.get("part"):
            return google_error(400, "missingRequiredParameter", "No filter selected. Expected one of: part.")
        if (denied := await gate(request)) is not None:
            return denied
        if q.get("allThreadsRelatedToChannelId") != store.channel:
            return google_error(404, "channelNotFound", "The channel identified with the request's "
                                "<code>allThreadsRelatedToChannelId</code> parameter cannot be found.",
                                domain="youtube.commentThread")
        if q.get("order", "time") != "time":
            return google_error(400, "invalidParameter", "This emulator orders comment threads by time only.")
        size = size_of(request, 20)
        if isinstance(size, Response):
            return size
        token = q.get("pageToken") or None
        try:
            page_no = decode_token(token)[2] + 1 if token else 1
        except (ValueError, UnicodeDecodeError):
            return google_error(400, "invalidPageToken", "The request specifies an invalid page token.")
        if token is None:
            store.walks += 1
            if faults.edits_per_sync:
                store.edit(faults.edits_per_sync, "comment")
        items, last = store.page(token, size)
        fmt = q.get("textFormat", "html")
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse",
                                "etag": _etag(token, len(store.keys), store.walks)}
        if last is not None:
            body["nextPageToken"] = encode_token(last, page_no)
            if faults.repeat_token_after and token and page_no > faults.repeat_token_after:
                body["nextPageToken"] = token
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": size}
        body["items"] = [store.payload(t, "replies" in parts, fmt) for t in items]
        return faults.body(body)

    async def comments(request: Request) -> Response:
        q = request.query_params
        if "snippet" not in (q.get("part") or "").split(","):
            return google_error(400, "missingRequiredParameter", "No filter selected. Expected one of: part.")
        if (denied := await gate(request)) is not None:
            return denied
        thread = store.threads.get(q.get("parentId") or "")
        if thread is None:
            return google_error(404, "commentNotFound", "One or more of the comments identified by the request's "
                                "<code>parentId</code> parameter could not be found.", domain="youtube.comment")
        size = size_of(request, 20)
        if isinstance(size, Response):
            return size
        start = 0
        if q.get("pageToken"):
            try:
                start = int(base64.urlsafe_b64decode(q["pageToken"] + "==").decode())
            except (ValueError, UnicodeDecodeError):
                return google_error(400, "invalidPageToken", "The request specifies an invalid page token.")
        chunk = thread.replies[start:start + size]
        body: dict[str, Any] = {"kind": "youtube#commentListResponse", "etag": _etag(thread.id, start)}
        if start + size < len(thread.replies):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
        body["pageInfo"] = {"totalResults": len(chunk), "resultsPerPage": size}
        body["items"] = [store.comment(r, thread, q.get("textFormat", "html")) for r in chunk]
        return faults.body(body)

    app = Starlette(routes=[
        Route("/youtube/v3/commentThreads", comment_threads),
        Route("/youtube/v3/comments", comments),
        *control_routes(store, faults, "comment", lambda: {
            "total": len(store.threads), "channel": store.channel, "walks": store.walks,
            "complaints": sum(t.complaint for t in store.threads.values())}),
    ])
    app.state.store, app.state.faults = store, faults
    return app


def connector_config(base_url: str, api_key: str = API_KEY, channel: str = CHANNEL_ID,
                     **extra: Any) -> dict[str, Any]:
    """A `youtube` connector config for this emulator's channel."""
    return {"base_url": base_url, "api_key": api_key, "channels": [{"id": channel, "label": CHANNEL_TITLE}],
            **extra}
