"""A complaint's media through the API: listed on the detail, bytes with the complaint's own access rules."""

from __future__ import annotations

import hashlib

import pytest

from connectors.emulators.meta_graph import photo_png
from core.identity.keys import create_key
from models import ComplaintMedia
from tests.factories import add_complaint

API = "/api/v1"
PHOTO = photo_png("1234")


def add_media(session, complaint, media_id="1234", content=PHOTO, mime="image/png", state="fetched", **kw):
    row = ComplaintMedia(complaint_id=complaint.id, media_id=media_id, kind=kw.pop("kind", "image"), mime_type=mime,
                         caption=kw.pop("caption", "Lubang di depan sekolah"), state=state,
                         content=content if state == "fetched" else None,
                         size=len(content) if state == "fetched" else None,
                         sha256=hashlib.sha256(content).hexdigest() if state == "fetched" else None, **kw)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def photo_complaint(client, session):
    complaint = add_complaint(session, "whatsapp", "6281:wamid.1", status="dispatched", opd_code="DPUPR")
    add_media(session, complaint)
    add_media(session, complaint, "5678", state="pending", caption=None)
    add_media(session, complaint, "9012", state="failed", error="sha256 tidak cocok: …")
    return complaint


def test_the_detail_lists_media_and_the_route_serves_the_photo(client, key_for, photo_complaint):
    headers = key_for("analyst")
    detail = client.get(f"{API}/complaints/{photo_complaint.id}", headers=headers).json()
    assert [(m["media_id"], m["kind"], m["mime_type"], m["state"]) for m in detail["media"]] == [
        ("1234", "image", "image/png", "fetched"), ("5678", "image", "image/png", "pending"),
        ("9012", "image", "image/png", "failed")]
    first = detail["media"][0]
    assert first["caption"] == "Lubang di depan sekolah" and first["size"] == len(PHOTO) and first["error"] is None
    assert first["url"] == f"/api/v1/complaints/{photo_complaint.id}/media/1234"
    assert detail["media"][2]["error"].startswith("sha256 tidak cocok")

    r = client.get(first["url"], headers=headers)
    assert r.status_code == 200 and r.content == PHOTO
    assert r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"].startswith("private")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == 'inline; filename="media-1234.png"'
    assert r.headers["etag"] == f'"{hashlib.sha256(PHOTO).hexdigest()}"'


def test_media_not_downloaded_or_unknown_is_404_and_bad_ids_422(client, key_for, photo_complaint):
    headers = key_for("admin")
    base = f"{API}/complaints/{photo_complaint.id}/media"
    pending = client.get(f"{base}/5678", headers=headers)
    assert pending.status_code == 404 and pending.json()["detail"] == "media belum diunduh"
    assert client.get(f"{base}/9012", headers=headers).json()["detail"] == "media gagal diunduh dari kanal"
    assert client.get(f"{base}/0000", headers=headers).json()["detail"] == "media tidak ditemukan"
    assert client.get(f"{API}/complaints/999999/media/1234", headers=headers).status_code == 404
    bad = client.get(f"{base}/a.b", headers=headers)
    assert bad.status_code == 422 and "media_id" in bad.text


@pytest.mark.parametrize(("mime", "disposition", "served"), [
    ("image/jpeg", "inline", "image/jpeg"), ("video/mp4", "inline", "video/mp4"), ("audio/ogg", "inline", "audio/ogg"),
    ("application/pdf", "inline", "application/pdf"),
    ("image/svg+xml", "attachment", "image/svg+xml"),  # can carry script
    ("text/html; charset=utf-8", "attachment", "text/html"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ('image/png"\r\nX-Evil: 1', "attachment", "application/octet-stream"),
    (None, "attachment", "application/octet-stream"),
])
def test_only_media_types_are_shown_inline(client, session, key_for, mime, disposition, served):
    complaint = add_complaint(session, "whatsapp", f"6281:{mime}", status="dispatched", opd_code="DPUPR")
    add_media(session, complaint, "77", content=b"<svg onload=alert(1)>", mime=mime, kind="document")
    r = client.get(f"{API}/complaints/{complaint.id}/media/77", headers=key_for("admin"))
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == served
    assert r.headers["content-disposition"].startswith(disposition + ";")
    assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
    assert "x-evil" not in r.headers


def test_the_same_access_as_the_complaint(client, session, key_for, photo_complaint):
    url = f"{API}/complaints/{photo_complaint.id}/media/1234"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=key_for("viewer")).status_code == 403  # aggregates only
    assert client.get(url, headers=key_for("opd_admin", "DINKES")).status_code == 404  # not its OPD
    assert client.get(url, headers=key_for("opd_admin", "DPUPR")).status_code == 200
    assert client.get(url, headers=key_for("petugas")).status_code == 404  # did not type it in

    own, raw = create_key(session, "petugas-loket", "petugas")
    walk_in = add_complaint(session, "manual", "loket-1", status="dispatched", opd_code="DPUPR")
    walk_in.entered_by = f"key:{own.id}"
    session.add(walk_in)
    session.commit()
    add_media(session, walk_in, "4321")
    assert client.get(f"{API}/complaints/{walk_in.id}/media/4321", headers={"X-API-Key": raw}).status_code == 200


def test_confidential_photos_follow_the_text(client, session, key_for):
    complaint = add_complaint(session, "whatsapp", "6281:rahasia", status="dispatched", opd_code="DPUPR", rahasia=True)
    add_media(session, complaint, "55")
    analyst = client.get(f"{API}/complaints/{complaint.id}", headers=key_for("analyst")).json()
    assert [m["media_id"] for m in analyst["media"]] == ["55"]  # who reads the text sees the photos
    assert client.get(f"{API}/complaints/{complaint.id}/media/55", headers=key_for("analyst")).status_code == 200


def test_a_complaint_without_media_has_an_empty_list(client, session, key_for):
    complaint = add_complaint(session, "lapor", "L-1")
    assert client.get(f"{API}/complaints/{complaint.id}", headers=key_for("admin")).json()["media"] == []
