"""SP4N-LAPOR! emulator: a paginated JSON API of reports filtered by `updated_since`, token header.

`GET /api/v1/laporan?updated_since=<ISO>&limit=<≤500>&page_token=<t>` with `X-Lapor-Token`
→ `{"status": "success", "data": [report…], "pagination": {"limit", "total", "next_page_token"}}`,
ordered by (updated_at, tracking_id); tokens are keyset positions, so edits during a walk skip nothing.
Reports are generated deterministically from a seed and kept as small records; payloads are built
on request. Control: `POST /_control/add {"n"}`, `POST /_control/edit {"n", "kind": "progress"|"content"}`,
`GET|POST /_control/faults`, `GET /_control/state`.

Write side (what an admin instansi's integration may do to a report, docs/wire-formats.md):
`POST /api/v1/laporan/{tracking_id}/tindak-lanjut {"content"}` → 201 `{"data": {"id", …}}` (a follow-up by
the agency; a disposed or postponed report moves to "Proses"), and
`POST /api/v1/laporan/{tracking_id}/status {"status", "note"?, "agency"?}` → 200 with `status` one of
terverifikasi, didisposisikan (needs `agency`), ditunda, selesai, bukan_kewenangan. A transition the report's
status does not allow (e.g. it is already "Selesai") → 409 `{"message"}`; bad input → 422; unknown report → 404.
Both move the report's `updated_at`, so the next pull sees it.
"""

from __future__ import annotations

import base64
import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.emulators.faults import Faults, control_routes
from connectors.emulators.texts import (
    AGENCY_CLOSINGS,
    AGENCY_REPLIES,
    CONTENT_ADDENDA,
    REPORTER_REPLIES,
    STREETS,
    TOPICS,
    reference,
)

WIB = ZoneInfo("Asia/Jakarta")
REGENCY = "Kabupaten Blitar"
PATHS = {
    "normal": ("Belum Terverifikasi", "Terverifikasi", "Didisposisikan", "Proses", "Selesai"),
    "postponed": ("Belum Terverifikasi", "Terverifikasi", "Didisposisikan", "Proses", "Ditunda"),
    "rejected": ("Belum Terverifikasi", "Bukan Kewenangan"),
    "archived": ("Belum Terverifikasi", "Diarsipkan"),
}
PARENTS = sorted({t.parent for t in TOPICS})
REPORTER_POOL = 4_099  # prime, so consecutive reports get different people
FINAL = {"Selesai", "Ditunda", "Bukan Kewenangan", "Diarsipkan"}
# Typical hours from one stage to the next: verify, dispose, first agency reply, close.
STAGE_HOURS = ((1, 36), (1, 24), (4, 96), (24, 300))
# Some OPD answer much faster or slower than the rest (multiplies the agency's stage hours; the
# slow ones also leave more reports unanswered), so the rapor and the escalations have a story.
OPD_PACE = {"DISDUKCAPIL": 0.3, "RSUD-NGUDI": 0.5, "PDAM": 0.6, "DISKOMINFO": 0.5,
            "DPUPR": 2.2, "DINSOS": 1.8, "DISHUB": 1.6, "DLH": 1.4}


def wib(dt: datetime) -> str:
    return dt.astimezone(WIB).isoformat(timespec="seconds")


@dataclass(slots=True)
class Report:
    idx: int
    tracking_id: str
    path: str
    stage_at: list[datetime]  # when each stage of the path was reached; [0] = created
    edits: list[datetime] = field(default_factory=list)  # content edits by the reporter
    # Written through the integration API (the write side): the status it set (a label of `WRITE_STATUS`),
    # when, the agency disposed to, and the follow-ups posted.
    set_status: str | None = None
    writes: list[datetime] = field(default_factory=list)
    agency: str | None = None
    posted: list[dict[str, Any]] = field(default_factory=list)
    # A report the demo planted (a flood week): {"topic", "kecamatan", "desa", "title", "content"} replace the
    # drawn ones.
    planted: dict[str, Any] | None = None

    @property
    def updated_at(self) -> datetime:
        return max([self.stage_at[-1], *self.edits[-1:], *self.writes[-1:]])

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.updated_at, self.tracking_id)

    @property
    def status(self) -> str:
        return self.set_status or PATHS[self.path][len(self.stage_at) - 1]


# The write side: status key → (label, the labels it may be set from).
WRITE_STATUS = {
    "terverifikasi": ("Terverifikasi", {"Belum Terverifikasi"}),
    "didisposisikan": ("Didisposisikan", {"Belum Terverifikasi", "Terverifikasi", "Didisposisikan"}),
    "ditunda": ("Ditunda", {"Didisposisikan", "Proses"}),
    "selesai": ("Selesai", {"Terverifikasi", "Didisposisikan", "Proses", "Ditunda"}),
    "bukan_kewenangan": ("Bukan Kewenangan", {"Belum Terverifikasi", "Terverifikasi", "Didisposisikan"}),
}
CLOSED = {"Selesai", "Bukan Kewenangan", "Diarsipkan"}
SOURCES = ("web", "sms", "aplikasi", "media_sosial")  # how a report came in: lapor.go.id, SMS 1708, app, social


class WriteRefused(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code, self.message = status_code, message


class LaporStore:
    def __init__(self, seed: int = 1, total: int = 2000, days: int = 180, now: datetime | None = None,
                 id_offset: int = 0, planted: list[dict[str, Any]] | None = None):
        self.seed = seed
        self.id_offset = id_offset  # shifts ids of reports added at run time (a restarted demo's new ones)
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self._rng = random.Random(seed)
        self._ops = random.Random(seed + 7919)
        self._time_rng = random.Random(seed + 104_729)
        self._agencies = {code: (350_500 + i, f"{name} {REGENCY}")
                          for i, (code, name, *_rest) in enumerate(reference("opd.json"))}
        self._regions = reference("regions.json")
        self._desa = {kec: desas for kec, (_lat, _lon, desas) in self._regions.items()}
        self._kecamatan = sorted(self._desa)
        self._weights = [t.weight for t in TOPICS]
        # Reporters drawn from a pool made once: seeding Faker per report was half the cost of a payload.
        faker = Faker("id_ID")
        faker.seed_instance(seed)
        self._reporters = [(faker.name(), faker.free_email()) for _ in range(REPORTER_POOL)]
        self.reports: dict[str, Report] = {}
        self._keys: list[tuple[datetime, str]] = []
        for _ in range(total):
            self._insert(self._new(self._created_at(days), historical=True))
        # Planted after the drawn ones, so these stay exactly as without them; each at its own "at".
        for plant in planted or ():
            report = self._new(plant["at"].replace(microsecond=0), historical=True)
            report.planted = plant
            self._insert(report)
        self._keys.sort()

    # -- generation --------------------------------------------------------------------------------
    def _created_at(self, days: int) -> datetime:
        """Office hours and weekdays are busier, and volume swells in the rainy months (Nov–Mar).

        Its own random stream: how many draws the weighting takes depends on the clock, and the
        reports' other features (path, pace, stalls) must not."""
        rng = self._time_rng
        while True:
            created = self.now - timedelta(seconds=rng.uniform(3600, max(days, 1) * 86400))
            local = created.astimezone(WIB)
            weight = (1.0 if local.weekday() < 5 else 0.45) * (1.0 if 7 <= local.hour < 17 else 0.35)
            weight *= 1.0 if local.month in (11, 12, 1, 2, 3) else 0.7
            if rng.random() < weight:
                return created

    def topic_of(self, idx: int):
        """The report's topic, drawn exactly as `payload` draws it."""
        return random.Random(self.seed * 1_000_003 + idx).choices(TOPICS, self._weights)[0]

    def _new(self, created: datetime, historical: bool) -> Report:
        idx = len(self.reports)
        rng = self._rng
        path = rng.choices(("normal", "postponed", "rejected", "archived"), (86, 5, 6, 3))[0]
        stage_at = [created.replace(microsecond=0)]
        pace = OPD_PACE.get(self.topic_of(idx).opd, 1.0)
        if historical:
            for stage, (lo, hi) in enumerate(STAGE_HOURS[: len(PATHS[path]) - 1]):
                hours = rng.uniform(lo, hi) * (pace if stage >= 2 else 1.0)
                step = stage_at[-1] + timedelta(hours=hours)
                if step > self.now - timedelta(minutes=5) or rng.random() < 0.07 * max(pace, 0.5):
                    break  # still waiting upstream: these become the open and overdue complaints
                stage_at.append(step.replace(microsecond=0))
        offset = 0 if historical else self.id_offset
        tracking_id = f"{10_000_000 + (self.seed % 89) * 100_000 + idx + offset:08d}"
        return Report(idx, tracking_id, path, stage_at)

    def _insert(self, report: Report) -> None:
        self.reports[report.tracking_id] = report
        self._keys.append(report.key)

    def _touch(self, report: Report, change) -> None:
        old = report.key
        change(report)
        del self._keys[bisect.bisect_left(self._keys, old)]
        bisect.insort(self._keys, report.key)

    def _stamp(self, report: Report, at: datetime | None) -> datetime:
        at = (at or datetime.now(UTC)).replace(microsecond=0)
        return max(at, report.updated_at + timedelta(seconds=1))

    def add(self, n: int, at: datetime | None = None) -> list[str]:
        added = []
        for _ in range(n):
            created = (at or datetime.now(UTC)).replace(microsecond=0)
            report = self._new(created, historical=False)
            self.reports[report.tracking_id] = report
            bisect.insort(self._keys, report.key)
            added.append(report.tracking_id)
        return added

    def edit(self, n: int = 1, kind: str = "progress", at: datetime | None = None,
             ids: list[str] | None = None) -> list[str]:
        """`progress`: the next step of the workflow (verify, dispose, reply, close);
        `content`: the reporter adds a line to the report text.
        `ids` picks the reports; otherwise `n` open ones are drawn from the seed."""
        if kind == "progress":
            pool = [r for r in self.reports.values()
                    if len(r.stage_at) < len(PATHS[r.path]) and r.status not in CLOSED]
        elif kind == "content":
            pool = [r for r in self.reports.values() if r.status not in FINAL]
        else:
            raise ValueError(f"unknown edit kind {kind!r} (progress, content)")
        if ids is not None:
            allowed = {r.tracking_id for r in pool}
            if not set(ids) <= allowed:
                raise ValueError(f"cannot {kind}-edit {sorted(set(ids) - allowed)} (unknown or already final)")
            chosen = [self.reports[i] for i in ids]
        else:
            chosen = self._ops.sample(pool, min(n, len(pool)))
        for report in chosen:
            stamp = self._stamp(report, at)
            if kind == "progress":  # the upstream's own workflow moves on (past whatever was written)
                self._touch(report, lambda r, s=stamp: (r.stage_at.append(s), setattr(r, "set_status", None)))
            else:
                self._touch(report, lambda r, s=stamp: r.edits.append(s))
        return [r.tracking_id for r in chosen]

    # -- write side --------------------------------------------------------------------------------
    def _report(self, tracking_id: str) -> Report:
        report = self.reports.get(tracking_id)
        if report is None:
            raise WriteRefused(404, "laporan tidak ditemukan")
        return report

    def _post(self, report: Report, content: str, stamp: datetime, author_type: str = "instansi") -> dict:
        agency = self.agency_of(report)
        item = {"id": f"{report.tracking_id}-w{len(report.posted) + 1}", "author_type": author_type,
                "author": agency, "content": content, "created_at": wib(stamp)}
        report.posted.append(item)
        return item

    def follow_up(self, tracking_id: str, content: Any, at: datetime | None = None) -> dict:
        """A follow-up by the agency; a disposed or postponed report moves to "Proses"."""
        report = self._report(tracking_id)
        if not isinstance(content, str) or not content.strip():
            raise WriteRefused(422, "isi tindak lanjut (content) wajib diisi")
        if report.status in CLOSED:
            raise WriteRefused(409, f"laporan berstatus {report.status}: tidak dapat ditindaklanjuti")
        if report.status in ("Belum Terverifikasi", "Terverifikasi"):
            raise WriteRefused(409, "laporan belum didisposisikan ke instansi")
        stamp = self._stamp(report, at)
        item: dict = {}

        def change(r: Report) -> None:
            item.update(self._post(r, content.strip(), stamp))
            if r.status in ("Didisposisikan", "Ditunda", "Belum Ditindaklanjuti"):
                r.set_status = "Proses"
            r.writes.append(stamp)
        self._touch(report, change)
        return item

    def set_report_status(self, tracking_id: str, status: Any, note: Any = None, agency: Any = None,
                          at: datetime | None = None) -> dict:
        report = self._report(tracking_id)
        key = "_".join(str(status or "").lower().split())
        if key not in WRITE_STATUS:
            raise WriteRefused(422, f"status tidak dikenal: {status!r} (pilihan: {', '.join(WRITE_STATUS)})")
        label, sources = WRITE_STATUS[key]
        if key == "didisposisikan" and not (isinstance(agency, str) and agency.strip()):
            raise WriteRefused(422, "instansi tujuan (agency) wajib diisi untuk disposisi")
        if report.status not in sources:
            raise WriteRefused(409, f"status laporan {report.status}: tidak dapat diubah menjadi {label}")
        stamp = self._stamp(report, at)
        item: dict = {}

        def change(r: Report) -> None:
            if key == "didisposisikan":
                r.agency = agency.strip()
            if isinstance(note, str) and note.strip():
                item.update(self._post(r, note.strip(), stamp, "instansi" if key in ("selesai", "ditunda")
                                       else "admin"))
            r.set_status = label
            r.writes.append(stamp)
        self._touch(report, change)
        return {"tracking_id": tracking_id, "status": label, "followup_id": item.get("id"),
                "updated_at": wib(stamp)}

    def agency_of(self, report: Report) -> str:
        if report.agency:
            return report.agency
        topic = self._planted_topic(report) or self.topic_of(report.idx)
        return self._agencies.get(topic.opd, self._agencies["DISKOMINFO"])[1]

    @staticmethod
    def _planted_topic(report: Report):
        if report.planted is None:
            return None
        return next(t for t in TOPICS if t.parent == report.planted["topic"] or t.child == report.planted["topic"])

    # -- wire format -------------------------------------------------------------------------------
    def payload(self, report: Report) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + report.idx)
        topic = rng.choices(TOPICS, self._weights)[0]  # same draw as topic_of(report.idx)
        kecamatan = rng.choice(self._kecamatan)
        desa = rng.choice(self._desa[kecamatan])
        jalan = rng.choice(STREETS).format(kecamatan=kecamatan, desa=desa)
        title, content = (text.format(kecamatan=kecamatan, desa=desa, jalan=jalan)
                          for text in rng.choice(topic.cases))
        classification = rng.choices(("Pengaduan", "Aspirasi", "Permintaan Informasi"), (85, 10, 5))[0]
        confidential, anonymous = rng.random() < 0.08, rng.random() < 0.12
        lat, lon, _ = self._regions[kecamatan]
        lat, lon = round(lat + rng.uniform(-0.02, 0.02), 5), round(lon + rng.uniform(-0.02, 0.02), 5)
        name, email = self._reporters[(report.idx * 7_919 + self.seed) % REPORTER_POOL]  # no draw from rng
        reporter = {"name": name, "phone": "08" + "".join(rng.choices("0123456789", k=10)), "email": email}
        attachments = ([{"url": f"https://www.lapor.go.id/files/{report.tracking_id}/foto-1.jpg",
                         "type": "image/jpeg"}] if rng.random() < 0.3 else [])
        reply_text, closing_text = rng.choice(AGENCY_REPLIES), rng.choice(AGENCY_CLOSINGS)
        reporter_reply = rng.choice(REPORTER_REPLIES) if rng.random() < 0.5 else None
        if report.planted is not None:
            plant = report.planted
            topic, kecamatan, desa = self._planted_topic(report), plant["kecamatan"], plant["desa"]
            title, content = plant["title"], plant["content"]
            lat, lon, _ = self._regions[kecamatan]
            lat, lon = round(lat + rng.uniform(-0.01, 0.01), 5), round(lon + rng.uniform(-0.01, 0.01), 5)
            jalan = f"Desa {desa}"
        for i, _edit in enumerate(report.edits):
            content += "\n\n" + CONTENT_ADDENDA[i % len(CONTENT_ADDENDA)]

        stage = len(report.stage_at) - 1
        agency_id, agency_name = self._agencies.get(topic.opd, self._agencies["DISKOMINFO"])
        dispositions = ([{"agency": {"id": agency_id, "name": agency_name}, "at": wib(report.stage_at[2])}]
                        if report.path in ("normal", "postponed") and stage >= 2 else [])
        followups = []
        if dispositions and stage >= 3:
            followups.append({"id": f"{report.tracking_id}-1", "author_type": "instansi", "author": agency_name,
                              "content": reply_text, "created_at": wib(report.stage_at[3])})
        if dispositions and stage >= 4:
            first, last = report.stage_at[3], report.stage_at[4]
            if reporter_reply and report.path == "normal":
                followups.append({"id": f"{report.tracking_id}-2", "author_type": "pelapor",
                                  "author": "Anonim" if anonymous else reporter["name"],
                                  "content": reporter_reply, "created_at": wib(first + (last - first) / 2)})
            text = closing_text if report.path == "normal" else "Penanganan ditunda menunggu anggaran perubahan."
            followups.append({"id": f"{report.tracking_id}-3", "author_type": "instansi", "author": agency_name,
                              "content": text, "created_at": wib(last)})
        if report.agency and report.writes:  # disposed (again) through the write side
            dispositions = [*dispositions, {"agency": {"id": None, "name": report.agency},
                                            "at": wib(report.writes[-1])}]
        followups = sorted([*followups, *report.posted], key=lambda f: f["created_at"])
        parent = {"id": 100 + PARENTS.index(topic.parent), "name": topic.parent}
        category = ({"id": 1000 + TOPICS.index(topic), "name": topic.child, "parent": parent}
                    if topic.child else {**parent, "parent": None})
        status = report.status
        source = random.Random(self.seed * 31 + report.idx).choices(SOURCES, (55, 15, 20, 10))[0]
        verified_at = (wib(report.stage_at[1]) if stage >= 1 and report.path in ("normal", "postponed")
                       else None)
        if verified_at is None and report.set_status and report.set_status not in ("Belum Terverifikasi",
                                                                                   "Bukan Kewenangan"):
            verified_at = wib(report.writes[0])
        closed = (wib(report.writes[-1]) if report.set_status else wib(report.stage_at[-1])) \
            if status in FINAL else None
        return {
            "tracking_id": report.tracking_id,
            "url": f"https://www.lapor.go.id/pengaduan/{report.tracking_id}",
            "title": title,
            "content": content,
            "classification": classification,
            "category": category,
            "tags": [topic.parent.split()[0].lower(), kecamatan.lower()],
            "agency": {"id": 3505, "name": f"Pemerintah {REGENCY}"},
            "dispositions": dispositions,
            "status": status,
            "is_confidential": confidential,
            "is_anonymous": anonymous,
            "reporter": reporter,
            "location": {"address": f"{jalan}, Desa {desa}", "village": desa, "district": kecamatan,
                         "regency": REGENCY, "latitude": lat, "longitude": lon},
            "attachments": attachments,
            "created_at": wib(report.stage_at[0]),
            "source": source,
            "verified_at": verified_at,
            "closed_at": closed,
            "updated_at": wib(report.updated_at),
            "followups": followups,
        }

    def page(self, since: datetime | None, token: str | None, limit: int) -> tuple[list[Report], tuple | None, int]:
        """Reports after the token (or from `since`, inclusive), and the key of the last one."""
        floor = bisect.bisect_left(self._keys, (since, "")) if since else 0
        start = max(floor, bisect.bisect_right(self._keys, decode_token(token)[:2])) if token else floor
        chunk = self._keys[start:start + limit]
        more = start + limit < len(self._keys)
        return [self.reports[k[1]] for k in chunk], (chunk[-1] if chunk and more else None), len(self._keys) - floor


def encode_token(key: tuple[datetime, str], page_no: int) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}|{page_no}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[datetime, str, int]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    stamp, ident, page_no = raw.split("|")
    return datetime.fromisoformat(stamp), ident, int(page_no)


def create_app(seed: int = 1, total: int = 2000, days: int = 180, token: str = "rahasia-lapor",
               faults: Faults | None = None, now: datetime | None = None, max_limit: int = 500,
               id_offset: int = 0, planted: list[dict[str, Any]] | None = None) -> Starlette:
    store = LaporStore(seed=seed, total=total, days=days, now=now, id_offset=id_offset, planted=planted)
    faults = faults or Faults(seed=seed)

    async def reports(request: Request) -> Response:
        if request.headers.get("X-Lapor-Token") != token:
            return JSONResponse({"status": "error", "message": "token tidak valid"}, status_code=401)
        failure = await faults.before({"status": "error", "message": "terlalu banyak permintaan"})
        if failure is not None:
            return failure
        q = request.query_params
        try:
            limit = int(q.get("limit", 50))
            since = datetime.fromisoformat(q["updated_since"]) if q.get("updated_since") else None
            page_token = q.get("page_token")
            page_no = decode_token(page_token)[2] + 1 if page_token else 1
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"status": "error", "message": "parameter tidak valid"}, status_code=400)
        if not 1 <= limit <= max_limit:
            return JSONResponse({"status": "error", "message": f"limit harus 1..{max_limit}"}, status_code=400)
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=WIB)
        if page_token is None and faults.edits_per_sync:
            store.edit(faults.edits_per_sync, "progress")
        items, last, total_matching = store.page(since, page_token, limit)
        next_token = None
        if last is not None:
            next_token = encode_token(last, page_no)
            if faults.repeat_token_after and page_no > faults.repeat_token_after and page_token:
                next_token = page_token  # the upstream bug: the cursor stops moving
        return faults.body({"status": "success", "data": [store.payload(r) for r in items],
                            "pagination": {"limit": limit, "total": total_matching,
                                           "next_page_token": next_token}})

    async def one(request: Request) -> Response:
        if request.headers.get("X-Lapor-Token") != token:
            return JSONResponse({"status": "error", "message": "token tidak valid"}, status_code=401)
        report = store.reports.get(request.path_params["tracking_id"])
        if report is None:
            return JSONResponse({"status": "error", "message": "laporan tidak ditemukan"}, status_code=404)
        return JSONResponse({"status": "success", "data": store.payload(report)})

    async def write(request: Request, do, created: int) -> Response:
        if request.headers.get("X-Lapor-Token") != token:
            return JSONResponse({"status": "error", "message": "token tidak valid"}, status_code=401)
        failure = await faults.before({"status": "error", "message": "terlalu banyak permintaan"})
        if failure is not None:
            return failure
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"status": "error", "message": "body harus objek JSON"}, status_code=422)
        try:
            data = do(request.path_params["tracking_id"], body)
        except WriteRefused as exc:
            return JSONResponse({"status": "error", "message": exc.message}, status_code=exc.status_code)
        return JSONResponse({"status": "success", "data": data}, status_code=created)

    async def follow_up(request: Request) -> Response:
        return await write(request, lambda tid, body: store.follow_up(tid, body.get("content")), 201)

    async def set_status(request: Request) -> Response:
        return await write(request, lambda tid, body: store.set_report_status(
            tid, body.get("status"), body.get("note"), body.get("agency")), 200)

    app = Starlette(routes=[
        Route("/api/v1/laporan", reports),
        Route("/api/v1/laporan/{tracking_id}", one),
        Route("/api/v1/laporan/{tracking_id}/tindak-lanjut", follow_up, methods=["POST"]),
        Route("/api/v1/laporan/{tracking_id}/status", set_status, methods=["POST"]),
        *control_routes(store, faults, "progress", lambda: {"total": len(store.reports)}),
    ])
    app.state.store, app.state.faults = store, faults
    return app



def connector_config(base_url: str, token: str = "rahasia-lapor", **extra: Any) -> dict[str, Any]:
    """A `lapor` connector config pointing at this emulator."""
    return {"base_url": base_url, "token": token, **extra}
