"""Emulator of the sending side of the WhatsApp Cloud API (Meta Graph), for tests and the demo.

`POST /{version}/{phone_number_id}/messages` with a bearer token accepts template messages,
records them and answers like Meta (`{"messaging_product","contacts":[{"input","wa_id"}],
"messages":[{"id":"wamid…"}]}`); errors are Meta-shaped (`{"error":{"message","type","code",
"error_subcode","error_data","fbtrace_id"}}`) with the HTTP status Meta uses.

Fault knobs (Python: `state.inject(...)`; HTTP: `POST /_emulator/faults`):
  code 130429 / 131056 / 131047 / 131026 / 100 / 190 / 131000 — that Graph error;
  code 500 / 503 — a server error; 502 — a proxy's HTML error page; "slow" — accept after `delay` s
  (a client that timed out has in fact sent it); "timeout" — hang `delay` s, then fail (not sent).
  `times=N` hits the next N requests, `every=N` every N-th request (by arrival order).
Control: `GET /_emulator/messages` (accepted sends, request count, rejections), `POST /_emulator/token`
`{"expired": true}`, `POST /_emulator/numbers` `{"invalid": [...], "outside_window": [...]}`,
`POST /_emulator/reset`.

    python -m connectors.emulators.meta_graph --port 8901 --token dev-token
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

PHONE_NUMBER_ID = "106540352242922"
DEFAULT_TOKEN = "emulator-token"

# code → (HTTP status, type, message, details)
ERRORS: dict[int, tuple[int, str, str, str]] = {
    100: (400, "OAuthException", "(#100) Invalid parameter", "Parameter value is not valid"),
    104: (401, "OAuthException", "An access token is required to request this resource.", ""),
    190: (401, "OAuthException",
          "Error validating access token: Session has expired on Monday, 23-Nov-26 01:00:00 PST.",
          "The access token has expired"),
    130429: (400, "OAuthException", "(#130429) Rate limit hit",
             "Cloud API message throughput has been reached."),
    131000: (500, "OAuthException", "(#131000) Something went wrong", "Something went wrong"),
    131026: (400, "OAuthException", "(#131026) Message undeliverable",
             "Unable to deliver message: the recipient is not a valid WhatsApp user."),
    131047: (400, "OAuthException", "(#131047) Re-engagement message",
             "Message failed to send because more than 24 hours have passed since the customer last "
             "replied to this number."),
    131056: (400, "OAuthException", "(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Too many messages sent from the sender phone number to the same recipient phone number "
             "in a short period of time."),
    1: (500, "OAuthException", "An unknown error occurred", ""),
    2: (503, "OAuthException", "Service temporarily unavailable", ""),
}
HTTP_FAULTS = {500: 1, 503: 2}  # an HTTP-level fault answered with this Graph code


@dataclass
class FaultRule:
    code: int | str
    times: int | None = None
    every: int | None = None
    delay: float = 0.0


class MetaGraphState:
    """What the emulator received and which faults it will inject; thread-safe."""

    def __init__(self, token: str = DEFAULT_TOKEN, phone_number_id: str = PHONE_NUMBER_ID):
        self.token = token
        self.phone_number_id = phone_number_id
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.token_expired = False
            self.messages: list[dict[str, Any]] = []
            self.rejected: list[dict[str, Any]] = []
            self.requests = 0
            self.rules: list[FaultRule] = []
            self.invalid_numbers: set[str] = set()
            self.outside_window: set[str] = set()

    def inject(self, code: int | str, times: int | None = 1, every: int | None = None, delay: float = 0.0) -> None:
        if code not in ("slow", "timeout", 502) and code not in ERRORS and code not in HTTP_FAULTS:
            raise ValueError(f"unknown fault code {code!r}")
        with self._lock:
            self.rules.append(FaultRule(code, times=None if every else times, every=every, delay=delay))

    def _next_fault(self) -> tuple[int, FaultRule | None]:
        with self._lock:
            self.requests += 1
            ordinal = self.requests
            for rule in self.rules:
                if rule.every and ordinal % rule.every == 0:
                    return ordinal, rule
                if rule.times:
                    rule.times -= 1
                    return ordinal, rule
            return ordinal, None

    def _accept(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(record)

    def _reject(self, code: int | str, to: str | None) -> None:
        with self._lock:
            self.rejected.append({"code": code, "to": to})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"messages": list(self.messages), "rejected": list(self.rejected), "requests": self.requests}


def meta_error(code: int, subcode: int | None = None, message: str | None = None) -> JSONResponse:
    status, kind, default_message, details = ERRORS[code]
    error: dict[str, Any] = {"message": message or default_message, "type": kind, "code": code,
                             "fbtrace_id": "A" + secrets.token_urlsafe(16)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    headers = {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _wamid() -> str:
    return "wamid." + base64.b64encode(b"HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj" + secrets.token_bytes(12)).decode()


def _invalid(reason: str) -> JSONResponse:
    return meta_error(100, message=f"(#100) Invalid parameter: {reason}")


def _parse_template(body: Any) -> tuple[str, dict[str, Any]] | JSONResponse:
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return _invalid("messaging_product must be 'whatsapp'")
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return _invalid("to must be a phone number")
    if body.get("type") != "template":
        return _invalid("only template messages are emulated")
    template = body.get("template")
    if not isinstance(template, dict) or not template.get("name") or not (template.get("language") or {}).get("code"):
        return _invalid("template.name and template.language.code are required")
    params: list[str] = []
    for component in template.get("components") or []:
        for param in component.get("parameters") or []:
            if param.get("type") != "text" or not isinstance(param.get("text"), str):
                return _invalid("template parameters must be text")
            params.append(param["text"])
    return to.lstrip("+"), {"to": to.lstrip("+"), "template": template["name"],
                            "language": template["language"]["code"], "parameters": params}


def create_app(state: MetaGraphState | None = None) -> FastAPI:
    state = state or MetaGraphState()
    app = FastAPI(title="Meta Graph emulator (WhatsApp send)")
    app.state.meta = state

    @app.post("/{version}/{phone_number_id}/messages")
    async def send(version: str, phone_number_id: str, request: Request):
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            state._reject(104, None)
            return meta_error(104)
        if auth.removeprefix("Bearer ") != state.token or state.token_expired:
            state._reject(190, None)
            return meta_error(190, subcode=463)
        if phone_number_id != state.phone_number_id:
            return meta_error(100, subcode=33, message=(
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist"))
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _invalid("request body is not JSON")
        parsed = _parse_template(body)
        if isinstance(parsed, JSONResponse):
            return parsed
        to, record = parsed
        _, rule = state._next_fault()
        if rule is not None:
            if rule.code in ("slow", "timeout"):
                await asyncio.sleep(rule.delay)
            if rule.code == "timeout":
                state._reject("timeout", to)
                return meta_error(2)
            if rule.code != "slow":
                state._reject(rule.code, to)
                if rule.code == 502:
                    return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=502)
                return meta_error(HTTP_FAULTS.get(rule.code, rule.code))
        if to in state.invalid_numbers:
            state._reject(131026, to)
            return meta_error(131026)
        if to in state.outside_window:
            state._reject(131047, to)
            return meta_error(131047)
        wamid = _wamid()
        state._accept({"id": wamid, **record, "at": datetime.now(UTC).isoformat()})
        return {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": to}],
                "messages": [{"id": wamid, "message_status": "accepted"}]}

    @app.get("/_emulator/messages")
    def messages():
        return state.snapshot()

    @app.post("/_emulator/faults")
    async def faults(request: Request):
        spec = await request.json()
        try:
            state.inject(spec["code"], times=spec.get("times", 1), every=spec.get("every"),
                         delay=float(spec.get("delay", 0)))
        except (KeyError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return {"ok": True}

    @app.post("/_emulator/token")
    async def token(request: Request):
        spec = await request.json()
        state.token_expired = bool(spec.get("expired", False))
        if spec.get("token"):
            state.token = spec["token"]
        return {"ok": True}

    @app.post("/_emulator/numbers")
    async def numbers(request: Request):
        spec = await request.json()
        state.invalid_numbers = set(spec.get("invalid", []))
        state.outside_window = set(spec.get("outside_window", []))
        return {"ok": True}

    @app.post("/_emulator/reset")
    def reset():
        state.reset()
        return {"ok": True}

    return app


def main() -> None:  # pragma: no cover - manual use
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--phone-number-id", default=PHONE_NUMBER_ID)
    args = parser.parse_args()
    uvicorn.run(create_app(MetaGraphState(args.token, args.phone_number_id)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
