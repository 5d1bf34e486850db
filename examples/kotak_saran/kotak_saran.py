"""Suggestion boxes (kotak saran) at service counters, typed up by staff into a JSON list online.

Upstream: `GET <url>` → `[{"id", "kotak", "isi", "waktu", "kecamatan"?, "nama"?}, …]`.
"""

from pydantic import AnyHttpUrl

from connectors.base import FatalError, Page, PullConfig, PullConnector, Skip, parse_timestamp
from core.intake.ingest import ComplaintDraft
from models import Classification


class KotakSaranConfig(PullConfig):
    url: AnyHttpUrl  # where the JSON list is published
    category: str = "LAINNYA"  # our category code for every entry
    opd: str | None = None  # OPD code that answers them; None = the category's default OPD


class KotakSaranConnector(PullConnector):
    name = "kotak_saran"
    channel = "kotak_saran"
    Config = KotakSaranConfig
    primary_key = "id"
    cursor_field = "waktu"

    def fetch_pages(self, client, bookmark):
        entries = self.get_json(client, str(self.config.url))  # retries 429/5xx/timeouts by itself
        if not isinstance(entries, list):
            raise FatalError("kotak saran: respons bukan daftar JSON")
        # The whole list every time: unchanged entries land as "unchanged", so no bookmark is needed.
        yield Page([(self.external_id(entry), entry) for entry in entries], bookmark=None)

    def normalise(self, payload):
        text = (payload.get("isi") or "").strip()
        if not text:
            return Skip("kotak saran kosong")
        return ComplaintDraft(
            external_id=str(payload["id"]),
            title=text if len(text) <= 80 else text[:77] + "...",
            body=text,
            received_at=parse_timestamp(payload["waktu"]),
            classification=Classification.aspirasi,
            category_code=self.config.category,
            opd_code=self.config.opd,
            location_text=payload.get("kotak"),
            kecamatan=payload.get("kecamatan"),
            reporter_name=payload.get("nama"),
            anonim=not payload.get("nama"),
        )
