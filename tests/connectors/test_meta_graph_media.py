"""The media side of the Meta Graph emulator answers like the Cloud API: the media url, then the bytes, both
behind the bearer token; its knobs work over HTTP."""

import hashlib
import struct
import zlib

from fastapi.testclient import TestClient

from connectors.emulators.meta_graph import MetaGraphState, create_app, photo_png

AUTH = {"Authorization": "Bearer tok"}


def test_the_media_url_then_the_bytes_with_the_token():
    client = TestClient(create_app(MetaGraphState(token="tok")))
    meta = client.get("/v21.0/1234567890123456", headers=AUTH)
    assert meta.status_code == 200
    body = meta.json()
    assert set(body) == {"messaging_product", "url", "mime_type", "sha256", "file_size", "id"}
    assert body["messaging_product"] == "whatsapp" and body["id"] == "1234567890123456"
    got = client.get(body["url"], headers=AUTH)
    assert got.status_code == 200 and got.headers["content-type"] == body["mime_type"] == "image/png"
    assert hashlib.sha256(got.content).hexdigest() == body["sha256"] and str(len(got.content)) == body["file_size"]
    assert got.content == photo_png("1234567890123456")  # the same bytes every time for an id
    assert client.get("/_emulator/media").json() == {"downloads": 1}

    assert client.get(body["url"]).status_code == 401  # the url alone is not enough
    assert client.get("/v21.0/1234567890123456", headers={"Authorization": "Bearer lain"}).json()["error"][
        "code"] == 190
    assert client.get(body["url"].replace("hash=", "hash=0"), headers=AUTH).status_code == 404
    unknown = client.get("/v21.0/bukan-id", headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == 100


def test_the_photo_is_a_valid_png():
    png = photo_png("42")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (160, 120)
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == height * (1 + width * 3)
    assert photo_png("42") == png and photo_png("43") != png


def test_knobs_over_http():
    client = TestClient(create_app(MetaGraphState(token="tok")))
    client.post("/_emulator/media", json={"gone": ["11"], "bad_hash": ["12"], "faults": [503]})
    assert client.get("/v21.0/13", headers=AUTH).status_code == 503  # the next request, once
    assert client.get("/v21.0/11", headers=AUTH).status_code == 404
    bad = client.get("/v21.0/12", headers=AUTH).json()
    assert bad["sha256"] != hashlib.sha256(client.get(bad["url"], headers=AUTH).content).hexdigest()
    assert client.get("/v21.0/13", headers=AUTH).status_code == 200
