"""Suggestion boxes (kotak saran) at service counters: a new channel written against the intake contract.

Pull: staff type the slips into a JSON list online, `GET <url>` → `[{"id", "kotak", "isi", "waktu",
"kecamatan"?, "nama"?}, …]`. Push: the counters' tablet app POSTs one slip (same shape) to
`/api/v1/webhooks/<instance>`, signed with `X-Kotak-Signature: sha256=<hex HMAC of the body>`.

Both return data only: no database, no settings. Core lands every slip, applies the drafts and moves
the bookmark (`cursor_field`) itself.
"""

import hashlib
import hmac

from pydantic import AnyHttpUrl, BaseModel, Field

from connectors.base import (
    ComplaintDraft,
    FatalError,
    Page,
    PullConfig,
    PullConnector,
    PushConnector,
    Skip,
    parse_json,
    parse_timestamp,
)
from models.enums import Classification


def slip_to_draft(slip: dict, category: str, opd: str | None) -> ComplaintDraft | Skip:
    text = (slip.get("isi") or "").strip()
    if not text:
        return Skip("kotak saran kosong")
    return ComplaintDraft(
        external_id=str(slip["id"]),
        title=text if len(text) <= 80 else text[:77] + "...",
        body=text,
        received_at=parse_timestamp(slip["waktu"]),
        classification=Classification.aspirasi,
        category_code=category,
        opd_code=opd,
        location_text=slip.get("kotak"),
        kecamatan=slip.get("kecamatan"),
        reporter_name=slip.get("nama"),
        anonim=not slip.get("nama"),
    )


class KotakSaranConfig(PullConfig):
    url: AnyHttpUrl  # where the JSON list is published
    category: str = "LAINNYA"  # our category code for every entry
    opd: str | None = None  # OPD code that answers them; None = the category's default OPD


class KotakSaranConnector(PullConnector):
    name = "kotak_saran"
    channel = "kotak_saran"
    Config = KotakSaranConfig
    primary_key = "id"
    cursor_field = "waktu"  # core keeps the highest one committed as the bookmark

    def fetch_pages(self, client, marks):
        entries = self.get_json(client, str(self.config.url))  # retries 429/5xx/timeouts by itself
        if not isinstance(entries, list):
            raise FatalError("kotak saran: respons bukan daftar JSON")
        # The whole list every time: slips landed before come back as "unchanged", nothing is duplicated.
        yield Page([(self.external_id(entry), entry) for entry in entries])

    def normalise(self, payload):
        return slip_to_draft(payload, self.config.category, self.config.opd)


class KotakSaranPushConfig(BaseModel):
    secret: str = Field(min_length=8, repr=False)  # shared with the tablet app
    category: str = "LAINNYA"
    opd: str | None = None


class KotakSaranPushConnector(PushConnector):
    name = "kotak_saran_push"
    channel = "kotak_saran"  # the same channel: a slip is a slip, however it arrives
    Config = KotakSaranPushConfig
    secret_fields = ("secret",)
    signature_header = "X-Kotak-Signature"

    def verify_handshake(self, params):
        return None  # the app needs no subscription handshake

    def verify_signature(self, body, headers):
        given = headers.get(self.signature_header) or ""
        expected = "sha256=" + hmac.new(self.config.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given)

    def split(self, body):
        slip = parse_json(body)
        return [(str(slip["id"]), slip)]

    def normalise(self, payload):
        return slip_to_draft(payload, self.config.category, self.config.opd)
