"""The Meta side of WhatsApp webhooks: real-shaped, signed deliveries posted to our endpoint.

Builders make the Cloud API webhook shapes (text, image, location, statuses, several entries and
changes per body); `deliver` signs the exact bytes and POSTs them (optionally several times, as
Meta's retries do); `WhatsAppScenario` generates realistic Indonesian conversations from a seed
for tests and the demo.

    python -m connectors.emulators.meta_webhooks URL APP_SECRET --reporters 20 --seed 7
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import httpx

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "6281130001112"


# --- signing and sending -----------------------------------------------------------------------

def encode(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()


def sign(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, app_secret: str | None, payload: dict[str, Any] | bytes, *, times: int = 1,
            client: httpx.Client | None = None, signature: str | None = None,
            timeout: float = 10.0, graph: Any = None) -> list[httpx.Response]:
    """POST one delivery `times` times (Meta redelivers until it gets a 200).

    `app_secret=None` sends no signature header; `signature` overrides the computed one (forgery).
    `client` may be any httpx.Client, including FastAPI's TestClient. `graph`: the Meta Graph emulator (its
    `MetaGraphState`, or its base URL) learns of every message delivered, as Meta's own send side knows who wrote
    (the 24-hour window, the conversation log).
    """
    body = encode(payload)
    if graph is not None and isinstance(payload, dict):
        tell_graph(graph, payload)
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif app_secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, app_secret)
    own = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        return [client.post(url, content=body, headers=headers) for _ in range(times)]
    finally:
        if own:
            client.close()


def handshake(url: str, verify_token: str, challenge: str = "1158201444", *,
              client: httpx.Client | None = None) -> httpx.Response:
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    if client is not None:
        return client.get(url, params=params)
    with httpx.Client(timeout=10.0) as own:
        return own.get(url, params=params)


def inbound_messages(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The reporters' messages of a delivery as the Graph emulator records them: {wa_id, at, text, id, type}."""
    out = []
    for entry in payload.get("entry") or []:
        for item in entry.get("changes") or []:
            for message in (item.get("value") or {}).get("messages") or []:
                kind = message.get("type")
                part = message.get(kind) or {}
                if kind == "text":
                    text = part.get("body")
                elif kind == "interactive":
                    text = (part.get("button_reply") or part.get("list_reply") or {}).get("title")
                elif kind == "button":
                    text = part.get("text")
                elif kind == "location":
                    text = ", ".join(str(p) for p in (part.get("name"), part.get("address")) if p) or "(lokasi)"
                else:
                    text = f"[{kind}]" + (f" {part['caption']}" if part.get("caption") else "")
                out.append({"wa_id": str(message.get("from")), "id": message.get("id"), "type": kind, "text": text,
                            "at": datetime.fromtimestamp(int(message.get("timestamp") or 0), UTC)})
    return out


def tell_graph(graph: Any, payload: dict[str, Any]) -> None:
    """Let the Graph emulator (state object or base URL) know of the messages in a delivery."""
    for message in inbound_messages(payload):
        if isinstance(graph, str):
            httpx.post(f"{graph.rstrip('/')}/_emulator/inbound",
                       json={**message, "at": message["at"].isoformat()}, timeout=10).raise_for_status()
        else:
            graph.inbound(message["wa_id"], message["at"], message["text"], message["id"], message["type"])


# --- payload builders --------------------------------------------------------------------------

def new_wamid(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    raw = b"\x15\x02\x00\x12\x18\x16" + rng.randbytes(20)
    return "wamid.HBgN" + base64.b64encode(raw).decode()


def _ts(at: datetime) -> str:
    return str(int(at.timestamp()))


def text_message(wa_id: str, body: str, at: datetime, wamid: str | None = None) -> dict[str, Any]:
    return {"from": wa_id, "id": wamid or new_wamid(), "timestamp": _ts(at), "type": "text", "text": {"body": body}}


def image_message(wa_id: str, media_id: str, at: datetime, caption: str | None = None,
                  wamid: str | None = None) -> dict[str, Any]:
    image = {"mime_type": "image/jpeg", "sha256": hashlib.sha256(media_id.encode()).hexdigest(), "id": media_id}
    if caption:
        image["caption"] = caption
    return {"from": wa_id, "id": wamid or new_wamid(), "timestamp": _ts(at), "type": "image", "image": image}


def button_reply(wa_id: str, button_id: str, title: str, at: datetime, context_id: str | None = None,
                 wamid: str | None = None) -> dict[str, Any]:
    """The person pressed a reply button of our interactive message (`context.id` = that message's wamid)."""
    message: dict[str, Any] = {"from": wa_id, "id": wamid or new_wamid(), "timestamp": _ts(at), "type": "interactive",
                               "interactive": {"type": "button_reply",
                                               "button_reply": {"id": button_id, "title": title}}}
    if context_id:
        message["context"] = {"from": DISPLAY_PHONE_NUMBER, "id": context_id}
    return message


def template_button_reply(wa_id: str, payload: str, text: str, at: datetime, context_id: str | None = None,
                          wamid: str | None = None) -> dict[str, Any]:
    """The person pressed a quick-reply button of one of our templates."""
    message: dict[str, Any] = {"from": wa_id, "id": wamid or new_wamid(), "timestamp": _ts(at), "type": "button",
                               "button": {"payload": payload, "text": text}}
    if context_id:
        message["context"] = {"from": DISPLAY_PHONE_NUMBER, "id": context_id}
    return message


def location_message(wa_id: str, lat: float, lon: float, at: datetime, name: str | None = None,
                     address: str | None = None, wamid: str | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"latitude": lat, "longitude": lon}
    if name:
        location["name"] = name
    if address:
        location["address"] = address
    return {"from": wa_id, "id": wamid or new_wamid(), "timestamp": _ts(at), "type": "location",
            "location": location}


def status_update(wamid: str, status: str, recipient_id: str, at: datetime,
                  error_code: int | None = None, callback_data: str | None = None) -> dict[str, Any]:
    """`callback_data`: the `biz_opaque_callback_data` the message was sent with (Meta echoes it)."""
    update: dict[str, Any] = {"id": wamid, "status": status, "timestamp": _ts(at), "recipient_id": recipient_id}
    if callback_data is not None:
        update["biz_opaque_callback_data"] = callback_data
    if status != "failed":
        update["conversation"] = {"id": hashlib.md5(wamid.encode()).hexdigest(),
                                  "origin": {"type": "utility"}}
        update["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    else:
        code = error_code or 131047
        titles = {131047: "Re-engagement message", 130429: "Rate limit hit",
                  131056: "(Business Account, Consumer Account) pair rate limit hit"}
        update["errors"] = [{"code": code, "title": titles.get(code, "Message failed to send"),
                             "error_data": {"details": titles.get(code, "failed")}}]
    return update


def change(messages: Sequence[dict] = (), statuses: Sequence[dict] = (),
           contacts: Sequence[tuple[str, str]] = (), phone_number_id: str = PHONE_NUMBER_ID,
           display_phone_number: str = DISPLAY_PHONE_NUMBER) -> dict[str, Any]:
    """One `changes[]` element; `contacts` are (profile name, wa_id)."""
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": display_phone_number,
                                          "phone_number_id": phone_number_id}}
    if contacts:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id} for name, wa_id in contacts]
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"value": value, "field": "messages"}


def delivery(*entries: Sequence[dict], waba_id: str = WABA_ID) -> dict[str, Any]:
    """A webhook body; each positional argument is one entry's list of changes."""
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": list(changes)} for changes in entries]}


def statuses_delivery(wamid: str, recipient_id: str, at: datetime,
                      order: Iterable[str] = ("sent", "delivered", "read")) -> list[dict[str, Any]]:
    """One delivery per status, in the given order (pass a shuffled order to test regressions)."""
    steps = {"sent": 0, "delivered": 5, "read": 60, "failed": 2}
    return [delivery([change(statuses=[status_update(wamid, s, recipient_id, at + timedelta(seconds=steps[s]))])])
            for s in order]


# --- realistic conversations -------------------------------------------------------------------

COMPLAINTS = [
    "Selamat pagi, saya mau lapor jalan rusak di Desa {desa} Kecamatan {kec}. Lubangnya besar dan sudah ada "
    "pengendara motor yang jatuh. Mohon segera diperbaiki.",
    "Lampu PJU di jalan utama Desa {desa} sudah mati seminggu, malam jadi gelap dan rawan begal.",
    "Sampah di dekat pasar {desa} menumpuk tidak diangkut sudah 5 hari, baunya sampai ke rumah warga.",
    "Sudah dua bulan saya mengurus KTP-el di Dukcapil tapi belum jadi juga. Kapan bisa diambil?",
    "Air PDAM di Desa {desa} mati sejak kemarin sore, mohon info kapan normal kembali.",
    "Banyak PKL berjualan di trotoar depan alun-alun {kec}, pejalan kaki terpaksa lewat jalan raya.",
    "Anak saya tidak diterima PPDB zonasi padahal rumah kami dekat sekolah di {desa}. Mohon penjelasan.",
    "Pelayanan di Puskesmas {kec} lambat sekali, antre dari jam 7 baru dilayani jam 11.",
    "Bantuan PKH ibu saya di Desa {desa} tidak cair bulan ini, padahal masih terdaftar.",
    "Saluran drainase di Desa {desa} tersumbat, kalau hujan air meluap masuk ke rumah warga.",
    "Pupuk bersubsidi di kios Desa {desa} kosong terus, petani kesulitan menjelang musim tanam.",
    "Jembatan penghubung Desa {desa} retak dan miring, mohon dicek sebelum ambruk.",
    "Ada parkir liar di depan RSUD yang bikin macet setiap pagi, mohon ditertibkan.",
    "Pohon besar di pinggir jalan Desa {desa} hampir tumbang, berbahaya untuk pengguna jalan.",
    "Pengurusan akta kelahiran anak saya di kecamatan {kec} dipungut biaya, apakah memang ada tarifnya?",
]
CAPTIONS = ["Ini fotonya pak", "Kondisinya seperti ini", "Foto lokasi kejadian", "Mohon dilihat", None, None]
FOLLOW_UPS = ["Mohon segera ditindaklanjuti 🙏", "Lokasinya saya kirim ya", "Terima kasih atas perhatiannya",
              "Sudah beberapa kali lapor tapi belum ada tindakan", "Ini nomor saya kalau perlu dihubungi"]


@dataclass
class Reporter:
    name: str
    wa_id: str


class WhatsAppScenario:
    """Deterministic (per seed) reporters and conversations around the seeded kecamatan."""

    def __init__(self, seed: int = 7, start: datetime | None = None, phone_number_id: str = PHONE_NUMBER_ID):
        from faker import Faker

        self.rng = random.Random(seed)
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.clock = start or datetime.now(UTC) - timedelta(hours=6)
        self.phone_number_id = phone_number_id
        self.regions = json.loads(files("core.reference.data").joinpath("regions.json").read_text(encoding="utf-8"))

    def reporter(self) -> Reporter:
        return Reporter(self.fake.name(), "628" + "".join(str(self.rng.randint(0, 9)) for _ in range(9)))

    def wamid(self) -> str:
        return new_wamid(self.rng)

    def conversation(self, reporter: Reporter, at: datetime | None = None) -> list[dict[str, Any]]:
        """A complaint text, often followed within minutes by a photo, a pin and a follow-up."""
        at = at or self.clock
        kec = self.rng.choice(sorted(self.regions))
        lat, lon, desas = self.regions[kec]
        desa = self.rng.choice(desas)
        messages = [text_message(reporter.wa_id, self.rng.choice(COMPLAINTS).format(desa=desa, kec=kec), at,
                                 self.wamid())]
        if self.rng.random() < 0.6:
            at += timedelta(minutes=self.rng.randint(1, 5))
            media_id = str(self.rng.randint(10**15, 10**16 - 1))
            messages.append(image_message(reporter.wa_id, media_id, at, self.rng.choice(CAPTIONS), self.wamid()))
        if self.rng.random() < 0.5:
            at += timedelta(minutes=self.rng.randint(1, 5))
            messages.append(location_message(
                reporter.wa_id, round(lat + self.rng.uniform(-0.02, 0.02), 6),
                round(lon + self.rng.uniform(-0.02, 0.02), 6), at, f"Desa {desa}",
                f"Kec. {kec}, Kabupaten Blitar, Jawa Timur", self.wamid()))
        if self.rng.random() < 0.3:
            at += timedelta(minutes=self.rng.randint(1, 10))
            messages.append(text_message(reporter.wa_id, self.rng.choice(FOLLOW_UPS), at, self.wamid()))
        return messages

    def deliveries(self, reporters: int = 10, gap_minutes: tuple[int, int] = (3, 40)) -> list[dict[str, Any]]:
        """One delivery per message as Meta usually sends, sometimes two reporters in one body."""
        bodies: list[dict[str, Any]] = []
        for _ in range(reporters):
            who = self.reporter()
            for message in self.conversation(who):
                item = change([message], contacts=[(who.name, who.wa_id)], phone_number_id=self.phone_number_id)
                if bodies and self.rng.random() < 0.15:  # Meta batches: another entry in the previous body
                    bodies[-1]["entry"].append({"id": WABA_ID, "changes": [item]})
                else:
                    bodies.append(delivery([item]))
            self.clock += timedelta(minutes=self.rng.randint(*gap_minutes))
        return bodies


def run_scenario(url: str, app_secret: str, reporters: int = 10, seed: int = 7, duplicate_rate: float = 0.2,
                 start: datetime | None = None, client: httpx.Client | None = None,
                 graph: Any = None) -> dict[str, int]:
    """Post a generated morning of WhatsApp complaints, redelivering some bodies as Meta does."""
    scenario = WhatsAppScenario(seed, start)
    counts = {"deliveries": 0, "posts": 0, "messages": 0, "non_200": 0}
    for body in scenario.deliveries(reporters):
        times = 2 if scenario.rng.random() < duplicate_rate else 1
        responses = deliver(url, app_secret, body, times=times, client=client, graph=graph)
        counts["deliveries"] += 1
        counts["posts"] += times
        counts["messages"] += sum(len(c["value"].get("messages", [])) for e in body["entry"] for c in e["changes"])
        counts["non_200"] += sum(r.status_code != 200 for r in responses)
    return counts


def main() -> None:  # pragma: no cover - manual demo entry
    import argparse

    parser = argparse.ArgumentParser(description="Post generated signed WhatsApp webhook deliveries")
    parser.add_argument("url")
    parser.add_argument("app_secret")
    parser.add_argument("--reporters", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(run_scenario(args.url, args.app_secret, args.reporters, args.seed))


if __name__ == "__main__":  # pragma: no cover
    main()
