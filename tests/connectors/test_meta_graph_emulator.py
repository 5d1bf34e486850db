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
