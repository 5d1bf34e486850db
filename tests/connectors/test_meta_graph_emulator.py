"""The send side of the Meta Graph emulator answers like Meta, and its knobs work over HTTP."""

from fastapi.testclient import TestClient

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app

URL = f"/v21.0/{PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer tok"}


def body(to="6281234567001"):
    return {"messaging_product": "whatsapp", "to": to, "type": "template",
            "template": {"name": "pengingat_aduan", "language": {"code": "id"},
                         "components": [{"type": "body", "parameters": [{"type": "text", "text": "Dinas PUPR"}]}]}}


def test_accepts_template_messages_and_records_them():
    client = TestClient(create_app(MetaGraphState(token="tok")))
    answer = client.post(URL, json=body(), headers=AUTH)
    assert answer.status_code == 200
    data = answer.json()
    assert data["messaging_product"] == "whatsapp"
    assert data["contacts"] == [{"input": "6281234567001", "wa_id": "6281234567001"}]
    assert data["messages"][0]["id"].startswith("wamid.")
    seen = client.get("/_emulator/messages").json()
    assert seen["requests"] == 1
    assert seen["messages"][0]["parameters"] == ["Dinas PUPR"] and seen["messages"][0]["language"] == "id"


def test_errors_are_meta_shaped_with_meta_statuses():
    client = TestClient(create_app(MetaGraphState(token="tok")))
    assert client.post("/_emulator/faults", json={"code": 130429, "times": 1}).status_code == 200
    throttled = client.post(URL, json=body(), headers=AUTH)
    assert throttled.status_code == 400
    error = throttled.json()["error"]
    assert error["code"] == 130429 and error["type"] == "OAuthException" and error["fbtrace_id"]
    assert error["error_data"]["messaging_product"] == "whatsapp"

    client.post("/_emulator/faults", json={"code": 503, "times": 1})
    assert client.post(URL, json=body(), headers=AUTH).status_code == 503
    client.post("/_emulator/faults", json={"code": 502, "times": 1})
    assert "Bad Gateway" in client.post(URL, json=body(), headers=AUTH).text

    client.post("/_emulator/numbers", json={"outside_window": ["6281234567001"], "invalid": ["6281"]})
    assert client.post(URL, json=body(), headers=AUTH).json()["error"]["code"] == 131047
    assert client.post(URL, json=body("6281"), headers=AUTH).json()["error"]["code"] == 131026

    client.post("/_emulator/token", json={"expired": True})
    expired = client.post(URL, json=body("6289"), headers=AUTH)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == 190
    assert client.post(URL, json=body()).json()["error"]["code"] == 104  # no token at all

    client.post("/_emulator/reset")
    assert client.post(URL, json={"messaging_product": "sms"}, headers=AUTH).json()["error"]["code"] == 100
    assert client.post("/_emulator/faults", json={"code": 999}).status_code == 422
    assert client.get("/_emulator/messages").json()["messages"] == []


def test_every_nth_request_fault():
    state = MetaGraphState(token="tok")
    state.inject(500, every=3)
    client = TestClient(create_app(state))
    statuses = [client.post(URL, json=body(f"62812000{i}"), headers=AUTH).status_code for i in range(6)]
    assert statuses == [200, 200, 500, 200, 200, 500]


# --- session messages and the 24-hour window -------------------------------------------------------------------

def text(to="6281234567001", words="Terima kasih, aduan Anda sudah kami terima."):
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"preview_url": True, "body": words}}


def buttons(to="6281234567001", titles=("1 Sudah", "2 Belum")):
    return {"messaging_product": "whatsapp", "to": to, "type": "interactive", "biz_opaque_callback_data": "aduan:7:1",
            "interactive": {"type": "button", "body": {"text": "Apakah masalah Anda sudah beres?"},
                            "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                                                   for i, t in enumerate(titles)]}}}


def test_free_form_messages_only_inside_the_24_hour_window_templates_always():
    from datetime import UTC, datetime, timedelta

    state = MetaGraphState(token="tok")
    client = TestClient(create_app(state))
    never = client.post(URL, json=text(), headers=AUTH)  # the number never wrote
    assert never.status_code == 400 and never.json()["error"]["code"] == 131047
    assert client.post("/_emulator/inbound", json={"wa_id": "6281234567001", "text": "Halo",
                                                   "at": (datetime.now(UTC) - timedelta(hours=23)).isoformat()}
                       ).status_code == 200
    assert client.post(URL, json=text(), headers=AUTH).status_code == 200
    assert client.post(URL, json=buttons(), headers=AUTH).status_code == 200
    assert client.post("/_emulator/clock", json={"advance_hours": 2}).status_code == 200  # 25 hours since
    assert client.post(URL, json=text(), headers=AUTH).json()["error"]["code"] == 131047
    assert client.post(URL, json=buttons(), headers=AUTH).json()["error"]["code"] == 131047
    assert client.post(URL, json=body(), headers=AUTH).status_code == 200  # a template passes
    log = client.get("/_emulator/conversations/6281234567001").json()
    assert log["in_window"] is False
    assert [(m["direction"], m["type"]) for m in log["messages"]] == [
        ("in", "text"), ("out", "text"), ("out", "interactive"), ("out", "template")]
    assert log["messages"][2]["biz_opaque_callback_data"] == "aduan:7:1"
    assert [m["id"] for m in state.by_reference("aduan:7:1")] == [log["messages"][2]["id"]]
    shown = client.get("/_emulator/conversations/6281234567001", params={"format": "text"}).text
    assert "Pelapor:\nHalo" in shown and "[1 Sudah]  [2 Belum]" in shown and "Pemda (template pengingat_aduan)" in shown


def test_session_messages_are_checked_like_graph_does():
    state = MetaGraphState(token="tok")
    state.inbound("6281234567001")
    client = TestClient(create_app(state))

    def error(payload):
        return client.post(URL, json=payload, headers=AUTH).json()["error"]["code"]

    assert error(text(words="x" * 4097)) == 100
    assert error(text(words="  ")) == 100
    assert error(buttons(titles=("Sudah beres, terima kasih banyak",))) == 100  # a title over 20 characters
    assert error(buttons(titles=("a", "b", "c", "d"))) == 100
    assert error(buttons(titles=("a", "a"))) == 100
    with_newline = body()
    with_newline["template"]["components"][0]["parameters"][0]["text"] = "baris\nbaru"
    assert error(with_newline) == 100
    assert error({**text(), "type": "sticker"}) == 100
