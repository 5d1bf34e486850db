"""A connector shipped by another package is found through its entry point and syncs, with no
change to core code. The fake plugin here has a name of its own (`saran_uji`), so installing the real
example plugin (examples/kotak_saran, kind `kotak_saran`) cannot shadow it."""

import json
import textwrap

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from core.entry.cli import app
from core.intake import registry
from core.intake.sync import sync_instance
from models import Complaint
from tests.factories import seeded

PLUGIN = '''
from connectors.base import ComplaintDraft, Page, PullConfig, PullConnector, TokenPaginator


class SaranUjiConfig(PullConfig):
    base_url: str
    api_key: str


class SaranUjiConnector(PullConnector):
    """Suggestion boxes of the kabupaten's own app."""

    name = "saran_uji"
    channel = "saran_uji"
    Config = SaranUjiConfig
    secret_fields = ("api_key",)
    primary_key = "id"
    cursor_field = "dibuat"
    paginator = TokenPaginator("berikutnya")

    def fetch_pages(self, client, marks):
        url = self.config.base_url + "/saran"
        fetch = lambda token: self.get_json(client, url, {"setelah": token or ""}, {"X-Key": self.config.api_key})
        for body in self.paginator.pages(fetch):
            yield Page([(self.external_id(r), r) for r in body["saran"]])

    def normalise(self, payload):
        return ComplaintDraft(external_id=payload["id"], title=payload["judul"], received_at=payload["dibuat"],
                              category_code="LAINNYA")
'''


@pytest.fixture
def plugin_installed(tmp_path, monkeypatch):
    (tmp_path / "saran_uji_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "saran_uji_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: saran-uji-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""
        [aduan.connectors]
        saran_uji = saran_uji_plugin:SaranUjiConnector
        rusak = saran_uji_plugin:TidakAda
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield
    monkeypatch.undo()
    registry.refresh()


def upstream():
    pages = {"": {"saran": [{"id": f"S{i}", "judul": f"Saran {i}", "dibuat": "2026-11-02T08:00:00+07:00"}
                            for i in range(3)], "berikutnya": "p2"},
             "p2": {"saran": [{"id": "S3", "judul": "Saran 3", "dibuat": "2026-11-03T08:00:00+07:00"}],
                    "berikutnya": None}}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Key") != "kunci":
            return httpx.Response(401)
        return httpx.Response(200, json=pages[request.url.params["setelah"]])

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_a_plugin_connector_is_discovered_configured_and_synced(plugin_installed, session, engine):
    seeded(session)
    assert {"lapor", "google_reviews", "saran_uji"} <= set(registry.available())
    assert "rusak" not in registry.available()  # a broken plugin is skipped, the others still load

    runner = CliRunner()
    added = runner.invoke(app, ["connector", "add", "saran", "saran_uji", "--config",
                                json.dumps({"base_url": "http://app.local", "api_key": "kunci"})])
    assert added.exit_code == 0, added.output
    assert "kunci" not in added.output and "***" in added.output

    summary = sync_instance("saran", engine=engine, client=upstream())
    assert (summary.status, summary.new, summary.pages) == ("ok", 4, 2), summary.error
    titles = session.exec(select(Complaint.title).where(Complaint.channel == "saran_uji")).all()
    assert sorted(titles) == ["Saran 0", "Saran 1", "Saran 2", "Saran 3"]
    assert runner.invoke(app, ["connector", "kinds"]).output.count("saran_uji") >= 1


def test_an_uninstalled_kind_is_reported_not_crashed(session, engine):
    from models import ConnectorInstance

    session.add(ConnectorInstance(name="hilang", kind="saran_uji", config={}))
    session.commit()
    summary = sync_instance("hilang", engine=engine)
    assert summary.status == "error" and "tidak terpasang" in summary.error
