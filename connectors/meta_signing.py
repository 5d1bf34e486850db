"""Meta's webhook handshake and payload signing, shared by WhatsApp, Instagram and Facebook.

Meta signs every delivery with `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, app secret>` and
subscribes a callback URL with `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, ClassVar


def header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def signature_for(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class MetaWebhookSigning:
    """Mixin for a push connector whose config has `verify_token` and `app_secret`."""

    signature_header: ClassVar[str] = "X-Hub-Signature-256"
    config: Any

    def verify_handshake(self, params: Mapping[str, str]) -> str | None:
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                token.encode(), self.config.verify_token.encode()):
            return None
        return params.get("hub.challenge") or ""

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> bool:
        given = header(headers, self.signature_header)
        if not given:
            return False
        expected = signature_for(body, self.config.app_secret)
        return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))
