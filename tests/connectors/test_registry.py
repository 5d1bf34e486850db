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


def test_the_social_channels_are_plugins_core_knows_only_through_their_entry_points(session):
    """Instagram and Facebook (issue #21) come in through `aduan.connectors` entry points alone: no module of
    core, api or dashboard imports them, yet their channels show on Kanal, in filters and in the rapor."""
    import re
    from importlib.metadata import entry_points
    from pathlib import Path

    from core.intake.channels import channel_label, known_channels
    from core.intake.lifecycles import lifecycle_of

    points = {ep.name: ep.value for ep in entry_points(group="aduan.connectors")}
    assert points["instagram"] == "connectors.instagram:InstagramConnector"
    assert points["facebook"] == "connectors.facebook:FacebookConnector"
    root = Path(__file__).resolve().parents[2]
    plugin = re.compile(r"^\s*(from|import)\s+connectors\.(instagram|facebook|meta_pages)\b", re.M)
    offenders = [str(p.relative_to(root)) for package in ("core", "api", "dashboard", "models")
                 for p in (root / package).rglob("*.py") if plugin.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    seeded(session)
    shown = {c["code"]: c["label"] for c in known_channels(session)}
    assert (shown["instagram"], shown["facebook"]) == ("Instagram", "Facebook") == (
        channel_label("instagram"), channel_label("facebook"))
    assert lifecycle_of("facebook").write_back == frozenset({"respond"})
    assert not lifecycle_of("instagram").upstream_owned


def test_a_plugin_names_its_channel_and_its_tracking_codes_itself():
    from core.intake.channels import channel_label
    from core.intake.ingest import tracking_code

    assert [channel_label(c) for c in ("email", "instagram", "facebook")] == ["E-mail", "Instagram", "Facebook"]
    assert tracking_code("email", "<a@b>").startswith("EML-") and tracking_code("instagram", "1").startswith("IG-")
    assert tracking_code("lapor", "1").startswith("LPR-")  # built-in codes never change
