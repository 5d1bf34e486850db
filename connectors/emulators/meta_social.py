"""Meta's Instagram and Facebook Page side, for tests and the demo: signed webhook deliveries and the Graph
endpoints replies go to (docs/wire-formats.md, "Instagram and Facebook Pages").

Deliveries (what Meta POSTs to our webhook; signed like WhatsApp's, `meta_webhooks.deliver` sends them):
- builders of the documented shapes: Instagram `comments` changes, Facebook `feed` comment changes (`verb`
  add/edited/remove/hide), `messaging[]` events (message with text/attachments, `message_edit`, an unsent
  message `is_deleted`, echoes of the account's own sends); `entry` and `delivery` wrap them;
- `SocialScenario`: a seeded stream of comments and direct-message conversations in Indonesian, of which a
  realistic share are complaints (`connectors.emulators.texts`) and the rest praise, questions and noise; some
  comments are edited or removed later, some messages edited or unsent, the account answers some itself
  (comments and echoes it must skip). `truth` keeps what each item really was, for the classifier's figures;
- `run_scenario`: posts it, redelivering some bodies (as Meta's retries do) and batching others (several
  entries in one body), optionally out of order.

Graph (what our replies are POSTed to; `create_app(state)`):
- Send API `POST /{version}/{account-id}/messages` `{"recipient": {"id"} | {"comment_id"}, "messaging_type":
  "RESPONSE"|"UPDATE"|"MESSAGE_TAG", "message": {"text"}}` → `{"recipient_id", "message_id"}`. It refuses like
  Meta: outside 24 hours since the person's last message (7 days from a comment for a private reply) error
  10/2018278, an unknown person 100/2018001, a blocked one 551/1545041, text over the cap 100;
- comment replies `POST /{version}/{comment-id}/replies` (Instagram) and `/{comment-id}/comments` (Facebook)
  `{"message"}` → `{"id"}`; a removed or unknown comment is 100/33;
- a bearer token (or `access_token` parameter) is required: 104 without, 190 when wrong or expired.
The state learns what was delivered (`state.observe(body)`, done by `run_scenario` when given the state; or
`POST /_emulator/inbound {"account","user","at"}`), so the window follows the messages people "sent".
Knobs: `/_control/faults` (the shared `Faults`: 429 with Retry-After, 500/503, slow, truncated bodies),
`state.inject(code, subcode, times)` / `POST /_emulator/inject` for a given Graph error (4 and 613 rate limits, 2
temporarily unavailable, 190 expired token, 10/2018278…), `POST /_emulator/clock {"now"}`, `POST
/_emulator/blocked {"users": [...]}`, `GET /_emulator/state`, `POST /_emulator/reset`.

    python -m connectors.emulators meta_social --port 8103            # the Graph side
    python -m connectors.emulators.meta_social URL APP_SECRET --platform facebook --items 200
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.emulators.faults import Faults, control_faults
from connectors.emulators.meta_webhooks import deliver
from connectors.emulators.texts import STREETS, TOPICS, reference

IG_ACCOUNT_ID = "17841405822304914"  # the pemda's Instagram professional account
PAGE_ID = "105712345678901"  # the pemda's Facebook Page
DEFAULT_TOKEN = "emulator-page-token"
PLATFORMS = {"instagram": ("instagram", IG_ACCOUNT_ID), "facebook": ("page", PAGE_ID)}
TEXT_CAP = {"instagram": 1000, "facebook": 2000}
WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)


# --- payload builders --------------------------------------------------------------------------

def _secs(at: datetime) -> int:
    return int(at.timestamp())


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def digits(rng: random.Random, n: int, first: str = "1") -> str:
    return first + "".join(str(rng.randint(0, 9)) for _ in range(n - len(first)))


def new_mid(platform: str, rng: random.Random) -> str:
    raw = base64.urlsafe_b64encode(rng.randbytes(36)).decode().rstrip("=")
    return ("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" + raw) if platform == "instagram" else "m_" + raw


def ig_comment(comment_id: str, text: str, user_id: str, username: str, media_id: str,
               product: str = "FEED", parent_id: str | None = None) -> dict[str, Any]:
    """One Instagram `comments` change (the account's media got a comment)."""
    value: dict[str, Any] = {"from": {"id": user_id, "username": username},
                             "media": {"id": media_id, "media_product_type": product}, "id": comment_id, "text": text}
    if parent_id:
        value["parent_id"] = parent_id
    return {"field": "comments", "value": value}


def fb_comment(verb: str, comment_id: str, post_id: str, at: datetime, from_id: str, from_name: str,
               text: str | None = None, parent_id: str | None = None) -> dict[str, Any]:
    """One Facebook `feed` change about a comment: verb add | edited | remove | hide | unhide."""
    value: dict[str, Any] = {"from": {"id": from_id, "name": from_name}, "post_id": post_id,
                             "comment_id": comment_id, "created_time": _secs(at), "item": "comment",
                             "parent_id": parent_id or post_id, "verb": verb,
                             "post": {"status_type": "added_photos", "is_published": True, "id": post_id,
                                      "promotion_status": "inactive",
                                      "permalink_url": f"https://www.facebook.com/{post_id}",
                                      "updated_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000")}}
    if text is not None and verb != "remove":
        value["message"] = text
    return {"field": "feed", "value": value}


def dm(sender: str, recipient: str, mid: str, at: datetime, text: str | None = None,
       attachments: Sequence[tuple[str, str]] = (), echo: bool = False) -> dict[str, Any]:
    """A `messaging[]` event: a message from `sender` (an echo when the account itself sent it)."""
    message: dict[str, Any] = {"mid": mid}
    if echo:
        message["is_echo"] = True
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in attachments]
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": _ms(at), "message": message}


def dm_edit(sender: str, recipient: str, mid: str, at: datetime, text: str, num_edit: int = 1) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": _ms(at),
            "message_edit": {"mid": mid, "text": text, "num_edit": num_edit}}


def dm_unsend(sender: str, recipient: str, mid: str, at: datetime) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": _ms(at),
            "message": {"mid": mid, "is_deleted": True}}


def dm_read(sender: str, recipient: str, at: datetime, mid: str) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": _ms(at), "read": {"mid": mid}}


def entry(account: str, at: datetime, changes: Sequence[dict] = (), messaging: Sequence[dict] = (),
          ms: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": account, "time": _ms(at) if ms else _secs(at)}
    if changes:
        body["changes"] = list(changes)
    if messaging:
        body["messaging"] = list(messaging)
    return body


def delivery(meta_object: str, *entries: dict) -> dict[str, Any]:
    """A webhook body: `object` "instagram" or "page" and its entries."""
    return {"object": meta_object, "entry": list(entries)}


# --- realistic comments and messages -----------------------------------------------------------

PRAISE = (
    "Mantap pak, jalan di desa kami sekarang sudah mulus. Terima kasih Pemkab 👍",
    "Pelayanan Dukcapil sekarang cepat sekali, 15 menit KTP sudah jadi. Top!",
    "Terima kasih sudah gercep membersihkan saluran air di kampung kami 🙏",
    "Semoga Kabupaten Blitar makin maju dan sejahtera 🔥",
    "Alun-alun sekarang bersih dan terang, enak buat jalan sore sama keluarga",
    "Keren acaranya min, tahun depan diadakan lagi ya",
    "Salut sama petugas damkar kemarin, cepat sekali datangnya",
    "Puskesmasnya sekarang nyaman, antrean pakai nomor, tidak berebut lagi",
    "Bagus programnya, semoga merata sampai pelosok desa",
    "Terima kasih bapak bupati sudah turun langsung ke lokasi banjir",
    "Lampu jalan baru di jalan raya sudah menyala, terang sekali sekarang. Matur nuwun",
    "Good job Pemkab! 👏👏",
)
QUESTIONS = (
    "Min, pendaftaran beasiswa kabupaten kapan dibuka ya?",
    "Kalau mau bikin akta kelahiran syaratnya apa saja kak?",
    "Apakah Mal Pelayanan Publik buka hari Sabtu?",
    "Info lowongan PPPK tahun ini ada kah min?",
    "Jadwal pasar murah bulan depan di kecamatan mana saja?",
    "Kak, untuk perpanjangan izin usaha sekarang bisa online tidak?",
    "Car free day minggu ini jadi diadakan?",
    "Izin tanya, vaksin untuk balita di puskesmas hari apa saja?",
    "Bagaimana cara cek NIK sudah terdaftar DTKS atau belum?",
    "Lokasi posko mudik tahun ini di mana saja min?",
)
NOISE = (
    "Hadir 🙋", "Semangat!", "🔥🔥🔥", "Mantul", "Nyimak dulu", "Follow back kak 🙏", "Up", "Keren", "Wow",
    "Promo pelangsing herbal aman BPOM, cek bio ya kak 😍", "Jasa followers murah, DM aja",
    "Yang dari Wlingi absen", "Lur, ada yang tahu tukang servis HP dekat alun-alun?", "Amin", "Selamat pagi semua",
)
EDIT_ADDENDA = ("Tambahan: kondisinya makin parah setelah hujan semalam.",
                "Mohon segera ditindaklanjuti 🙏", "Lokasinya dekat balai desa.")
FOLLOW_UPS = ("Ini fotonya min", "Mohon dibantu ya, sudah lama", "Terima kasih sebelumnya 🙏",
              "Saya tunggu kabarnya")
OWN_REPLIES = ("Terima kasih atas informasinya, sudah kami teruskan ke OPD terkait 🙏",
               "Halo kak, silakan kirim detail lokasinya lewat DM ya",
               "Terima kasih atas apresiasinya 😊")
USERNAMES = ("warga", "arek", "mas", "mbak", "cak", "lur", "bolo", "kanca")


@dataclass
class SocialItem:
    """One comment or conversation as posted, and what it really was (the classifier is measured on it)."""

    platform: str
    kind: str  # comment | dm
    key: str  # the comment id, or the sender's id (a thread)
    text: str
    complaint: bool
    at: datetime
    edited: bool = False
    removed: bool = False
    opd: str | None = None  # a complaint's usual OPD (our reference code), as its topic says


@dataclass
class _Event:
    at: datetime
    change: dict | None = None
    messaging: dict | None = None


@dataclass
class SocialScenario:
    """Deterministic (per seed) comments and direct messages for one platform."""

    platform: str = "instagram"
    seed: int = 7
    start: datetime | None = None
    account_id: str | None = None
    complaint_share: float = 0.27  # of comments; messages to the account are more often complaints (~0.45)
    dm_share: float = 0.3
    truth: list[SocialItem] = field(default_factory=list)

    def __post_init__(self):
        if self.platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {sorted(PLATFORMS)}")
        self.meta_object, default_account = PLATFORMS[self.platform]
        self.account_id = self.account_id or default_account
        self.rng = random.Random(f"{self.platform}:{self.seed}")
        self.clock = self.start or datetime.now(UTC) - timedelta(days=2)
        self.regions = reference("regions.json")
        self.weights = [t.weight for t in TOPICS]
        self.posts = [self._post_id() for _ in range(6)]

    # --- ids ---
    def _post_id(self) -> str:
        if self.platform == "instagram":
            return digits(self.rng, 17, "179")
        return f"{self.account_id}_{digits(self.rng, 16, '1')}"

    def _user(self) -> tuple[str, str]:
        from_id = digits(self.rng, 17, "6") if self.platform == "instagram" else digits(self.rng, 16, "2")
        first = self.rng.choice(USERNAMES)
        if self.platform == "instagram":
            place = self.rng.choice(("blitar", "kanigoro", "wlingi", "srengat"))
            return from_id, f"{first}_{place}{self.rng.randint(1, 999)}"
        given = self.rng.choice(("Agus", "Siti", "Budi", "Dewi", "Eko", "Rina", "Joko", "Wati", "Hadi", "Lestari"))
        family = self.rng.choice(("Santoso", "Wahyuni", "Prasetyo", "Rahayu", "Saputra", "Kurniawan", "Lestari"))
        return from_id, f"{given} {family}"

    def _comment_id(self, post_id: str) -> str:
        if self.platform == "instagram":
            return digits(self.rng, 17, "178")
        return f"{post_id.split('_')[1]}_{digits(self.rng, 16, '1')}"

    # --- texts ---
    def complaint_text(self) -> str:
        return self._complaint()[0]

    def _complaint(self) -> tuple[str, str]:
        """A complaint's words and the OPD its topic usually goes to."""
        topic = self.rng.choices(TOPICS, self.weights)[0]
        kecamatan = self.rng.choice(sorted(self.regions))
        desa = self.rng.choice(self.regions[kecamatan][2])
        jalan = self.rng.choice(STREETS).format(kecamatan=kecamatan, desa=desa)
        _, body = self.rng.choice(topic.cases)
        text = body.format(desa=desa, kecamatan=kecamatan, jalan=jalan)
        return self.rng.choice(("", "", "Min, ", "Pak Bupati, ", "Tolong min, ")) + text, topic.opd

    def other_text(self) -> str:
        pool = self.rng.choices((PRAISE, QUESTIONS, NOISE), (4, 3, 4))[0]
        return self.rng.choice(pool)

    # --- the stream ---
    def events(self, items: int, gap_minutes: tuple[int, int] = (5, 240)) -> list[_Event]:
        """`items` comments and conversations with their later edits and removals, in time order."""
        out: list[_Event] = []
        for _ in range(items):
            if self.rng.random() < self.dm_share:
                out += self._conversation(self.clock)
            else:
                out += self._comment(self.clock)
            self.clock += timedelta(minutes=self.rng.randint(*gap_minutes))
        return sorted(out, key=lambda e: e.at)

    def _comment(self, at: datetime) -> list[_Event]:
        complaint = self.rng.random() < self.complaint_share
        text, opd = self._complaint() if complaint else (self.other_text(), None)
        post = self.rng.choice(self.posts)
        comment_id = self._comment_id(post)
        user_id, name = self._user()
        item = SocialItem(self.platform, "comment", comment_id, text, complaint, at, opd=opd)
        self.truth.append(item)
        events = [_Event(at, change=self._comment_change("add", comment_id, post, at, user_id, name, text))]
        if self.platform == "facebook" and self.rng.random() < 0.08:
            item.edited = True
            later = at + timedelta(minutes=self.rng.randint(2, 90))
            edited = f"{text} {self.rng.choice(EDIT_ADDENDA)}"
            item.text = edited
            events.append(_Event(later, change=fb_comment("edited", comment_id, post, later, user_id, name, edited)))
        if self.platform == "facebook" and self.rng.random() < 0.05:
            item.removed = True
            later = at + timedelta(hours=self.rng.randint(2, 30))
            events.append(_Event(later, change=fb_comment("remove", comment_id, post, later, user_id, name)))
        if self.rng.random() < 0.1:  # the admin answers under it: our own comment, to be skipped
            later = at + timedelta(minutes=self.rng.randint(10, 300))
            reply = self._comment_id(post)
            own = ("pemkab.blitar" if self.platform == "instagram" else "Pemerintah Kabupaten Blitar")
            events.append(_Event(later, change=self._comment_change(
                "add", reply, post, later, self.account_id, own, self.rng.choice(OWN_REPLIES), parent=comment_id)))
        return events

    def _comment_change(self, verb: str, comment_id: str, post: str, at: datetime, user_id: str, name: str,
                        text: str, parent: str | None = None) -> dict:
        if self.platform == "instagram":
            product = self.rng.choice(("FEED", "FEED", "REELS"))
            return ig_comment(comment_id, text, user_id, name, post, product, parent_id=parent)
        return fb_comment(verb, comment_id, post, at, user_id, name, text, parent_id=parent)

    def _conversation(self, at: datetime) -> list[_Event]:
        complaint = self.rng.random() < max(self.complaint_share * 1.6, 0.45)
        text, opd = self._complaint() if complaint else (self.other_text(), None)
        sender, _ = self._user()
        item = SocialItem(self.platform, "dm", sender, text, complaint, at, opd=opd)
        self.truth.append(item)
        mid = new_mid(self.platform, self.rng)
        events = [_Event(at, messaging=dm(sender, self.account_id, mid, at, text))]
        if complaint and self.rng.random() < 0.5:
            at += timedelta(minutes=self.rng.randint(1, 6))
            photo = f"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id={digits(self.rng, 16)}&signature=x"
            events.append(_Event(at, messaging=dm(sender, self.account_id, new_mid(self.platform, self.rng), at,
                                                  self.rng.choice(FOLLOW_UPS), attachments=[("image", photo)])))
        if self.rng.random() < 0.06:
            item.edited = True
            later = at + timedelta(minutes=self.rng.randint(1, 10))
            events.append(_Event(later, messaging=dm_edit(sender, self.account_id, mid, later,
                                                          f"{text} {self.rng.choice(EDIT_ADDENDA)}")))
        elif self.platform == "instagram" and not complaint and self.rng.random() < 0.08:
            item.removed = True
            later = at + timedelta(minutes=self.rng.randint(1, 30))
            events.append(_Event(later, messaging=dm_unsend(sender, self.account_id, mid, later)))
        if self.rng.random() < 0.3:  # seen by the admin, and sometimes answered from the app (an echo)
            later = at + timedelta(minutes=self.rng.randint(5, 120))
            events.append(_Event(later, messaging=dm_read(sender, self.account_id, later, mid)))
            if self.rng.random() < 0.5:
                events.append(_Event(later, messaging=dm(self.account_id, sender, new_mid(self.platform, self.rng),
                                                         later, self.rng.choice(OWN_REPLIES), echo=True)))
        return events

    def deliveries(self, items: int, batch_rate: float = 0.15, gap_minutes: tuple[int, int] = (5, 240),
                   shuffle_rate: float = 0.0) -> list[dict[str, Any]]:
        """One body per event as Meta usually sends; `batch_rate` of them ride in the previous body as another
        entry; `shuffle_rate` of neighbouring bodies swap places (Meta does not promise order)."""
        bodies: list[dict[str, Any]] = []
        for event in self.events(items, gap_minutes):
            if event.change is not None:
                one = entry(self.account_id, event.at, changes=[event.change])
            else:
                one = entry(self.account_id, event.at, messaging=[event.messaging], ms=True)
            if bodies and self.rng.random() < batch_rate:
                bodies[-1]["entry"].append(one)
            else:
                bodies.append(delivery(self.meta_object, one))
        for i in range(len(bodies) - 1):
            if self.rng.random() < shuffle_rate:
                bodies[i], bodies[i + 1] = bodies[i + 1], bodies[i]
        return bodies


def complaint_share(truth: Iterable[SocialItem]) -> float:
    items = list(truth)
    return sum(i.complaint for i in items) / len(items) if items else 0.0


def run_scenario(url: str, app_secret: str, platform: str = "instagram", items: int = 50, seed: int = 7,
                 start: datetime | None = None, duplicate_rate: float = 0.2, batch_rate: float = 0.15,
                 shuffle_rate: float = 0.0, client: httpx.Client | None = None,
                 state: MetaSocialState | None = None, account_id: str | None = None,
                 gap_minutes: tuple[int, int] = (5, 240)) -> dict[str, Any]:
    """Post a generated stream of one platform, redelivering some bodies 2-3 times as Meta's retries do.
    `state`: the Graph emulator learns who wrote when (its 24-hour window) and which comments exist."""
    scenario = SocialScenario(platform, seed, start, account_id)
    counts: dict[str, Any] = {"deliveries": 0, "posts": 0, "non_200": 0, "entries": 0}
    for body in scenario.deliveries(items, batch_rate=batch_rate, gap_minutes=gap_minutes, shuffle_rate=shuffle_rate):
        times = scenario.rng.choice((2, 3)) if scenario.rng.random() < duplicate_rate else 1
        responses = deliver(url, app_secret, body, times=times, client=client)
        if state is not None:
            state.observe(body)
        counts["deliveries"] += 1
        counts["posts"] += times
        counts["entries"] += len(body["entry"])
        counts["non_200"] += sum(r.status_code != 200 for r in responses)
    counts["items"] = len(scenario.truth)
    counts["complaints"] = sum(i.complaint for i in scenario.truth)
    counts["truth"] = scenario.truth
    return counts


# --- the Graph side: Send API and comment replies ------------------------------------------------

ERRORS: dict[tuple[int, int | None], tuple[int, str]] = {
    (2, None): (503, "An unexpected error has occurred. Please retry your request later."),
    (4, None): (400, "(#4) Application request limit reached"),
    (613, None): (400, "(#613) Calls to this api have exceeded the rate limit."),
    (10, 2018278): (400, "(#10) This message is sent outside of allowed window."),
    (10, None): (403, "(#10) Application does not have permission for this action"),
    (100, None): (400, "(#100) Invalid parameter"),
    (100, 33): (400, "Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to "
                     "missing permissions, or does not support this operation."),
    (100, 2018001): (400, "(#100) No matching user found"),
    (551, 1545041): (400, "(#551) This person isn't available right now."),
    (104, None): (401, "An access token is required to request this resource."),
    (190, 463): (401, "Error validating access token: Session has expired."),
    (190, None): (401, "Invalid OAuth access token - Cannot parse access token"),
}


def graph_error(code: int, subcode: int | None = None, message: str | None = None, **fmt: str) -> JSONResponse:
    status, default = ERRORS.get((code, subcode)) or ERRORS.get((code, None)) or (400, f"(#{code}) Error")
    error: dict[str, Any] = {"message": message or default.format(**fmt), "type": "OAuthException", "code": code,
                             "fbtrace_id": "A" + secrets.token_urlsafe(16)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if code in (4, 613):
        error["is_transient"] = True
    headers = {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@dataclass
class _Rule:
    code: int
    subcode: int | None
    times: int


class MetaSocialState:
    """What the Graph emulator knows (who wrote when, which comments exist), accepted and refused replies,
    and the faults it will inject; thread-safe."""

    def __init__(self, token: str = DEFAULT_TOKEN, accounts: dict[str, str] | None = None, seed: int = 0):
        self.token = token
        self.accounts = accounts or {IG_ACCOUNT_ID: "instagram", PAGE_ID: "facebook"}
        self.faults = Faults(seed=seed)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.token_expired = False
            self.clock: datetime | None = None
            self.inbound: dict[tuple[str, str], datetime] = {}  # (account, person) → their last message
            self.comments: dict[str, dict[str, Any]] = {}  # comment id → {account, at, removed, private_replied}
            self.blocked: set[str] = set()
            self.sent: list[dict[str, Any]] = []
            self.replies: list[dict[str, Any]] = []
            self.rejected: list[dict[str, Any]] = []
            self.requests = 0
            self.rules: list[_Rule] = []

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def note_inbound(self, account: str, person: str, at: datetime) -> None:
        with self._lock:
            key = (account, person)
            if key not in self.inbound or self.inbound[key] < at:
                self.inbound[key] = at

    def note_comment(self, account: str, comment_id: str, at: datetime, removed: bool = False) -> None:
        with self._lock:
            known = self.comments.setdefault(comment_id, {"account": account, "at": at, "removed": False,
                                                          "private_replied": False})
            known["removed"] = known["removed"] or removed

    def observe(self, body: dict[str, Any]) -> None:
        """Learn from a webhook body what people wrote (the window) and which comments exist."""
        for item in body.get("entry") or []:
            account = str(item.get("id"))
            for event in item.get("messaging") or []:
                sender = str((event.get("sender") or {}).get("id"))
                if sender != account and ("message" in event or "message_edit" in event):
                    if not (event.get("message") or {}).get("is_echo"):
                        self.note_inbound(account, sender, datetime.fromtimestamp(event["timestamp"] / 1000, UTC))
            for change in item.get("changes") or []:
                value = change.get("value") or {}
                if change.get("field") in ("comments", "live_comments"):
                    self.note_comment(account, str(value["id"]), datetime.fromtimestamp(item["time"], UTC))
                elif change.get("field") == "feed" and value.get("item") == "comment":
                    self.note_comment(account, str(value["comment_id"]),
                                      datetime.fromtimestamp(value["created_time"], UTC),
                                      removed=value.get("verb") == "remove")

    def inject(self, code: int, subcode: int | None = None, times: int = 1) -> None:
        with self._lock:
            self.rules.append(_Rule(int(code), subcode, int(times)))

    def _next_rule(self) -> _Rule | None:
        with self._lock:
            self.requests += 1
            for rule in self.rules:
                if rule.times > 0:
                    rule.times -= 1
                    return rule
            return None

    def _reject(self, code: int, subcode: int | None, where: str) -> None:
        with self._lock:
            self.rejected.append({"code": code, "subcode": subcode, "where": where})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"sent": list(self.sent), "replies": list(self.replies), "rejected": list(self.rejected),
                    "requests": self.requests, "faults": self.faults.public()}


def create_app(state: MetaSocialState | None = None) -> FastAPI:
    state = state or MetaSocialState()
    app = FastAPI(title="Meta Graph emulator (Instagram and Facebook Page replies)")
    app.state.meta = state

    def refuse(code: int, subcode: int | None, where: str, **fmt: str) -> JSONResponse:
        state._reject(code, subcode, where)
        return graph_error(code, subcode, **fmt)

    @app.post("/{version}/{object_id}/{edge}")
    async def post(version: str, object_id: str, edge: str, request: Request):
        where = f"{object_id}/{edge}"
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else request.query_params.get(
            "access_token")
        if not token:
            return refuse(104, None, where)
        if token != state.token or state.token_expired:
            return refuse(190, 463 if state.token_expired else None, where)
        failure = await state.faults.before(error_body={"error": {
            "message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4,
            "is_transient": True, "fbtrace_id": "A" + secrets.token_urlsafe(16)}})
        if failure is not None:
            state._reject(failure.status_code, None, where)
            return failure
        rule = state._next_rule()
        if rule is not None:
            return refuse(rule.code, rule.subcode, where, id=object_id)
        try:
            body = await request.json()
        except ValueError:
            return refuse(100, None, where)
        if not isinstance(body, dict):
            return refuse(100, None, where)
        if edge == "messages" and object_id in state.accounts:
            return _send(object_id, body, where)
        if edge in ("replies", "comments"):
            return _reply(object_id, edge, body, where)
        return refuse(100, 33, where, id=object_id)

    def _send(account: str, body: dict, where: str):
        platform = state.accounts[account]
        recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        text = message.get("text")
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return graph_error(100, message="(#100) param messaging_type must be one of {RESPONSE, UPDATE, "
                                            "MESSAGE_TAG}")
        if not isinstance(text, str) or not text.strip():
            return graph_error(100, message="(#100) The parameter message[text] is required")
        if len(text) > TEXT_CAP[platform]:
            return graph_error(100, message=f"(#100) Length of param message[text] must be less than or equal "
                                            f"to {TEXT_CAP[platform]}")
        now = state.now()
        if recipient.get("comment_id"):  # a private reply to a comment: once, within 7 days
            comment = state.comments.get(str(recipient["comment_id"]))
            if comment is None or comment["removed"] or comment["account"] != account:
                return refuse(100, 33, where, id=str(recipient["comment_id"]))
            if comment["private_replied"] or now - comment["at"] > PRIVATE_REPLY_WINDOW:
                return refuse(10, 2018278, where)
            comment["private_replied"] = True
            person = f"comment:{recipient['comment_id']}"
        else:
            person = str(recipient.get("id") or "")
            if not person:
                return graph_error(100, message="(#100) The parameter recipient is required")
            last = state.inbound.get((account, person))
            if last is None:
                return refuse(100, 2018001, where)
            if person in state.blocked:
                return refuse(551, 1545041, where)
            if now - last > WINDOW:
                return refuse(10, 2018278, where)
        mid = new_mid(platform, random.Random())
        with state._lock:
            state.sent.append({"account": account, "recipient": person, "text": text, "message_id": mid,
                               "messaging_type": body["messaging_type"], "at": now.isoformat()})
        return state.faults.body({"recipient_id": person, "message_id": mid})

    def _reply(comment_id: str, edge: str, body: dict, where: str):
        comment = state.comments.get(comment_id)
        if comment is None or comment["removed"]:
            return refuse(100, 33, where, id=comment_id)
        platform = state.accounts.get(comment["account"])
        if (platform, edge) not in (("instagram", "replies"), ("facebook", "comments")):
            return refuse(100, 33, where, id=comment_id)
        text = body.get("message")
        if not isinstance(text, str) or not text.strip():
            return graph_error(100, message="(#100) The parameter message is required")
        reply_id = (digits(random.Random(), 17, "178") if platform == "instagram"
                    else f"{comment_id.split('_')[0]}_{digits(random.Random(), 16, '1')}")
        with state._lock:
            state.replies.append({"comment_id": comment_id, "id": reply_id, "text": text,
                                  "at": state.now().isoformat()})
        return state.faults.body({"id": reply_id})

    @app.get("/_emulator/state")
    def snapshot():
        return state.snapshot()

    @app.api_route("/_control/faults", methods=["GET", "POST"])
    async def faults(request: Request):
        return await control_faults(state.faults, request)

    @app.post("/_emulator/inject")
    async def inject(request: Request):
        spec = await request.json()
        try:
            state.inject(int(spec["code"]), spec.get("subcode"), int(spec.get("times", 1)))
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return {"ok": True}

    @app.post("/_emulator/inbound")
    async def inbound(request: Request):
        spec = await request.json()
        state.note_inbound(str(spec["account"]), str(spec["user"]),
                           datetime.fromisoformat(spec["at"]) if spec.get("at") else state.now())
        return {"ok": True}

    @app.post("/_emulator/clock")
    async def clock(request: Request):
        spec = await request.json()
        state.clock = datetime.fromisoformat(spec["now"]) if spec.get("now") else None
        return {"ok": True}

    @app.post("/_emulator/blocked")
    async def blocked(request: Request):
        spec = await request.json()
        state.blocked = {str(u) for u in spec.get("users", [])}
        return {"ok": True}

    @app.post("/_emulator/token")
    async def token(request: Request):
        spec = await request.json()
        state.token_expired = bool(spec.get("expired", False))
        return {"ok": True}

    @app.post("/_emulator/reset")
    def reset():
        state.reset()
        return {"ok": True}

    return app


def connector_config(platform: str, base_url: str | None, app_secret: str, verify_token: str,
                     token: str = DEFAULT_TOKEN) -> dict[str, Any]:
    """A ready instance config for the `instagram` or `facebook` connector against these emulators."""
    config: dict[str, Any] = {"verify_token": verify_token, "app_secret": app_secret, "access_token": token,
                              "thread_window_minutes": 60}
    if base_url:
        config["graph_base_url"] = base_url
    if platform == "instagram":
        config["account_id"] = IG_ACCOUNT_ID
    else:
        config["page_id"] = PAGE_ID
    return config


def main() -> None:  # pragma: no cover - manual use
    import argparse

    parser = argparse.ArgumentParser(description="Post generated signed Instagram/Facebook webhook deliveries")
    parser.add_argument("url")
    parser.add_argument("app_secret")
    parser.add_argument("--platform", choices=sorted(PLATFORMS), default="instagram")
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counts = run_scenario(args.url, args.app_secret, args.platform, args.items, args.seed)
    counts.pop("truth")
    print(counts)


if __name__ == "__main__":  # pragma: no cover
    main()
