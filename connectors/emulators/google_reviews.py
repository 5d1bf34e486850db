"""Google Business Profile reviews emulator, exactly the v4 wire format of docs/wire-formats.md.

`GET /v4/accounts/{account}/locations/{location}/reviews?pageSize=≤50&pageToken=…&orderBy=updateTime desc`
with `Authorization: Bearer <token>` → `{"reviews": [...], "averageRating", "totalReviewCount",
"nextPageToken"}`; errors as Google's `{"error": {"code", "message", "status"}}`.
A reply (reviewReply) does not change the review's updateTime, as upstream; an edit of the review does.
Replying: `PUT /v4/accounts/{a}/locations/{l}/reviews/{r}/reply {"comment"}` (≤ 4,096 characters, else 400
INVALID_ARGUMENT) stores the reply (replacing an earlier one) and answers the ReviewReply
`{"comment", "updateTime"}`; `DELETE` on the same path removes it; an unknown review is 404.
Control: `POST /_control/add {"n"}`, `POST /_control/edit {"n", "kind": "comment"|"reply"}`,
`GET|POST /_control/faults`, `GET /_control/state` (lists the locations).
"""

from __future__ import annotations

import base64
import bisect
import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.emulators.faults import Faults, control_routes, read_json
from connectors.emulators.texts import OWNER_REPLIES, REVIEW_TEXTS

ACCOUNT = "112233445566778899"
# (location id, title): public-service places of the kabupaten that people review on Maps.
DEFAULT_LOCATIONS = (
    ("4001", "RSUD Ngudi Waluyo Wlingi"),
    ("4002", "RSUD Srengat"),
    ("4003", "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Blitar"),
    ("4004", "Mal Pelayanan Publik Kabupaten Blitar"),
    ("4005", "Puskesmas Kanigoro"),
    ("4006", "Puskesmas Wlingi"),
)
# How the kabupaten maps these places: location id → (OPD code, category code, kecamatan).
DEFAULT_MAPPING = {
    "4001": ("RSUD-NGUDI", "KESEHATAN-RS", "Wlingi"),
    "4002": ("RSUD-SRENGAT", "KESEHATAN-RS", "Srengat"),
    "4003": ("DISDUKCAPIL", "ADMINDUK", "Kanigoro"),
    "4004": ("DPMPTSP", "PERIZINAN", "Kanigoro"),
    "4005": ("DINKES", "KESEHATAN-PUSKESMAS", "Kanigoro"),
    "4006": ("DINKES", "KESEHATAN-PUSKESMAS", "Wlingi"),
}
STARS = ("ONE", "TWO", "THREE", "FOUR", "FIVE")
RATING_WEIGHTS = (28, 12, 10, 14, 36)  # public services: loved or hated, little in between


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Review:
    idx: int
    location: str
    review_id: str
    created: datetime
    updated: datetime
    rating: int
    comment_version: int = 0
    reply_at: datetime | None = None
    reply_version: int = 0
    reply_text: str | None = None  # posted through the API (else a generated owner reply)

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.updated, self.review_id)


class ReviewStore:
    def __init__(self, seed: int = 1, total: int = 500, days: int = 180, now: datetime | None = None,
                 locations: tuple[tuple[str, str], ...] = DEFAULT_LOCATIONS, account: str = ACCOUNT):
        self.seed, self.account = seed, account
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.locations = dict(locations)
        self._rng = random.Random(seed)
        self._ops = random.Random(seed + 104729)
        self._faker = Faker("id_ID")
        self.reviews: dict[str, Review] = {}
        self._keys: dict[str, list[tuple[datetime, str]]] = {loc: [] for loc in self.locations}
        for _ in range(total):
            created = self.now - timedelta(seconds=self._rng.uniform(600, max(days, 1) * 86400))
            self._insert(self._new(created, historical=True))
        for keys in self._keys.values():
            keys.sort()

    def _new(self, created: datetime, historical: bool) -> Review:
        rng = self._rng
        idx = len(self.reviews)
        location = rng.choice(list(self.locations))
        review_id = "AbFvOq" + "".join(rng.choices(string.ascii_letters + string.digits + "_-", k=30))
        rating = rng.choices(range(1, 6), RATING_WEIGHTS)[0]
        created = created.replace(microsecond=rng.randrange(1000) * 1000)
        review = Review(idx, location, review_id, created, created, rating)
        if historical and rng.random() < (0.55 if rating <= 2 else 0.3):
            reply_at = created + timedelta(hours=rng.uniform(2, 120))
            if reply_at < self.now:
                review.reply_at, review.reply_version = reply_at, 1
        return review

    def _insert(self, review: Review) -> None:
        self.reviews[review.review_id] = review
        self._keys[review.location].append(review.key)

    def _stamp(self, after: datetime, at: datetime | None) -> datetime:
        at = at or datetime.now(UTC)
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # the wire carries milliseconds
        return max(at, after + timedelta(milliseconds=1))

    def add(self, n: int, at: datetime | None = None) -> list[str]:
        added = []
        for _ in range(n):
            review = self._new(at or datetime.now(UTC), historical=False)
            self.reviews[review.review_id] = review
            bisect.insort(self._keys[review.location], review.key)
            added.append(review.review_id)
        return added

    def edit(self, n: int = 1, kind: str = "comment", at: datetime | None = None,
             ids: list[str] | None = None) -> list[str]:
        """`comment`: the reviewer rewrites the review (updateTime moves, rating may change);
        `reply`: the owner replies or rewrites the reply (updateTime of the review stays).
        `ids` picks the reviews; otherwise `n` are drawn from the seed."""
        if kind not in ("comment", "reply"):
            raise ValueError(f"unknown edit kind {kind!r} (comment, reply)")
        if ids is not None:
            chosen = [self.reviews[i] for i in ids]
        else:
            pool = list(self.reviews.values())
            chosen = self._ops.sample(pool, min(n, len(pool)))
        for review in chosen:
            if kind == "reply":
                review.reply_at = self._stamp(review.reply_at or review.updated, at)
                review.reply_version += 1
                continue
            keys = self._keys[review.location]
            del keys[bisect.bisect_left(keys, review.key)]
            review.updated = self._stamp(review.updated, at)
            review.comment_version += 1
            if self._ops.random() < 0.3:
                review.rating = max(1, min(5, review.rating + self._ops.choice((-1, 1))))
            bisect.insort(keys, review.key)
        return [r.review_id for r in chosen]

    def reply(self, review: Review, comment: str, at: datetime | None = None) -> dict[str, str]:
        """The owner posts (or rewrites) the reply; the review's updateTime stays."""
        review.reply_at = self._stamp(review.reply_at or review.created, at)
        review.reply_version += 1
        review.reply_text = comment
        return {"comment": comment, "updateTime": rfc3339(review.reply_at)}

    def unreply(self, review: Review) -> None:
        review.reply_at, review.reply_version, review.reply_text = None, 0, None

    def payload(self, review: Review) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_033 + review.idx)
        texts = REVIEW_TEXTS[review.rating]
        empty = rng.random() < (0.08 if review.rating <= 2 else 0.3)
        comment = rng.choice(texts)
        self._faker.seed_instance(self.seed * 9_000_011 + review.idx)
        anonymous = rng.random() < 0.05
        body: dict[str, Any] = {
            "name": f"accounts/{self.account}/locations/{review.location}/reviews/{review.review_id}",
            "reviewId": review.review_id,
            "reviewer": {"displayName": "Pengguna Google" if anonymous else self._faker.name(),
                         "profilePhotoUrl": f"https://lh3.googleusercontent.com/a-/{review.review_id[:12]}=s120",
                         "isAnonymous": anonymous},
            "starRating": STARS[review.rating - 1],
            "createTime": rfc3339(review.created),
            "updateTime": rfc3339(review.updated),
        }
        if review.comment_version:
            visit = review.comment_version + 1
            comment = f"{texts[review.comment_version % len(texts)]} (Diperbarui, kunjungan ke-{visit})"
            empty = False
        if not empty:
            body["comment"] = comment
        if review.reply_at is not None:
            text = OWNER_REPLIES[(review.idx + review.reply_version) % len(OWNER_REPLIES)]
            if review.reply_version > 1:
                text += " Sudah kami tindak lanjuti."
            if review.reply_text is not None:
                text = review.reply_text
            body["reviewReply"] = {"comment": text, "updateTime": rfc3339(review.reply_at)}
        return body

    def page(self, location: str, token: str | None, size: int) -> tuple[list[Review], tuple | None]:
        """Newest updateTime first; a token is the key of the last review handed out."""
        keys = self._keys[location]
        end = bisect.bisect_left(keys, decode_token(token)[:2]) if token else len(keys)
        chunk = keys[max(0, end - size):end][::-1]
        more = end - size > 0
        return [self.reviews[k[1]] for k in chunk], (chunk[-1] if chunk and more else None)

    def average(self, location: str) -> tuple[float, int]:
        ratings = [self.reviews[k[1]].rating for k in self._keys[location]]
        return (round(sum(ratings) / len(ratings), 1) if ratings else 0.0), len(ratings)


def encode_token(key: tuple[datetime, str], page_no: int) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}|{page_no}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(token: str) -> tuple[datetime, str, int]:
    stamp, ident, page_no = base64.urlsafe_b64decode(token.encode()).decode().split("|")
    return datetime.fromisoformat(stamp), ident, int(page_no)


def google_error(code: int, status: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code)


REPLY_MAX_CHARS = 4096


def create_app(seed: int = 1, total: int = 500, days: int = 180, token: str = "ya29.emulator-token",
               faults: Faults | None = None, now: datetime | None = None,
               locations: tuple[tuple[str, str], ...] = DEFAULT_LOCATIONS, account: str = ACCOUNT) -> Starlette:
    store = ReviewStore(seed=seed, total=total, days=days, now=now, locations=locations, account=account)
    faults = faults or Faults(seed=seed)

    def unauthenticated(request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. "
                                "Expected OAuth 2 access token.")
        return None

    async def reviews(request: Request) -> Response:
        if (denied := unauthenticated(request)) is not None:
            return denied
        account_id, location = request.path_params["account"], request.path_params["location"]
        if account_id != store.account or location not in store.locations:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        failure = await faults.before({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                                 "message": "Quota exceeded for quota metric 'Requests'."}})
        if failure is not None:
            return failure
        q = request.query_params
        try:
            size = int(q.get("pageSize", 50))
            page_token = q.get("pageToken") or None
            page_no = decode_token(page_token)[2] + 1 if page_token else 1
        except (ValueError, UnicodeDecodeError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid pageToken or pageSize.")
        if not 1 <= size <= 50:
            return google_error(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 50.")
        if q.get("orderBy", "updateTime desc") != "updateTime desc":
            return google_error(400, "INVALID_ARGUMENT", "orderBy supports only 'updateTime desc' here.")
        if page_token is None and faults.edits_per_sync:
            store.edit(faults.edits_per_sync, "comment")
        items, last = store.page(location, page_token, size)
        average, count = store.average(location)
        body: dict[str, Any] = {"averageRating": average, "totalReviewCount": count}
        if items:
            body["reviews"] = [store.payload(r) for r in items]
        if last is not None:
            body["nextPageToken"] = encode_token(last, page_no)
            if faults.repeat_token_after and page_no > faults.repeat_token_after and page_token:
                body["nextPageToken"] = page_token
        return faults.body(body)

    async def reply(request: Request) -> Response:
        if (denied := unauthenticated(request)) is not None:
            return denied
        p = request.path_params
        review = store.reviews.get(p["review"])
        if p["account"] != store.account or review is None or review.location != p["location"]:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        failure = await faults.before({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                                 "message": "Quota exceeded for quota metric 'Requests'."}})
        if failure is not None:
            return failure
        if request.method == "DELETE":
            store.unreply(review)
            return JSONResponse({})
        try:
            comment = (await read_json(request)).get("comment")
        except (ValueError, AttributeError):
            comment = None
        if not isinstance(comment, str) or not comment.strip():
            return google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument: comment is required.")
        if len(comment) > REPLY_MAX_CHARS:
            return google_error(400, "INVALID_ARGUMENT", f"Request contains an invalid argument: comment is longer "
                                f"than {REPLY_MAX_CHARS} characters.")
        return JSONResponse(store.reply(review, comment))

    app = Starlette(routes=[
        Route("/v4/accounts/{account}/locations/{location}/reviews", reviews),
        Route("/v4/accounts/{account}/locations/{location}/reviews/{review}/reply", reply, methods=["PUT", "DELETE"]),
        *control_routes(store, faults, "comment", lambda: {
            "total": len(store.reviews), "account": store.account,
            "locations": [{"name": f"accounts/{store.account}/locations/{loc}", "title": title}
                          for loc, title in store.locations.items()]}),
    ])
    app.state.store, app.state.faults = store, faults
    return app



def connector_config(base_url: str, token: str = "ya29.emulator-token", account: str = ACCOUNT,
                     **extra: Any) -> dict[str, Any]:
    """A `google_reviews` connector config for this emulator's default locations."""
    locations = [{"name": f"accounts/{account}/locations/{loc}", "label": title, "opd": DEFAULT_MAPPING[loc][0],
                  "category": DEFAULT_MAPPING[loc][1], "kecamatan": DEFAULT_MAPPING[loc][2]}
                 for loc, title in DEFAULT_LOCATIONS]
    return {"base_url": base_url, "access_token": token, "locations": locations, **extra}
