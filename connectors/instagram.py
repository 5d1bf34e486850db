"""Instagram professional account (Meta webhooks, `object: "instagram"`): comments on the pemda's posts and
direct messages, as candidates for the triage desk (docs/wire-formats.md; shared parts in connectors.meta_pages).

- `field: "comments"` (and `live_comments`), value `{id, text, from {id, username}, media {id,
  media_product_type}, parent_id?}`: one `kandidat` complaint per comment, keyed by its id; the time is the
  entry's `time` (Instagram sends no other). The account's own comments (its replies) are skipped.
- `messaging[]` events (`sender.id` = the person's Instagram-scoped id, `recipient.id`, `timestamp` in ms,
  `message {mid, text, attachments[]}`): one thread per person within the window; `message_edit` joins it,
  `message.is_deleted` (unsent) withdraws the message.
- Replies: comments get a public reply (`POST /{comment-id}/replies`), message threads a DM through the Send
  API (`POST /{account-id}/messages`) within 24 hours of the person's last message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from connectors.base import NormaliseError, Skip
from connectors.meta_pages import MetaSocialConfig, MetaSocialConnector, epoch, social_lifecycle

CHANNEL = "instagram"
LABEL = "Instagram"
COMMENT_FIELDS = ("comments", "live_comments")


class InstagramConfig(MetaSocialConfig):
    account_id: str = Field(pattern=r"^\d{1,30}$", description="Instagram professional account id (entry.id): "
                                                               "deliveries for other accounts are ignored")
    graph_base_url: str | None = Field(None, description="Host of replies: https://graph.instagram.com "
                                                         "(Instagram Login, the default) or https://graph.facebook.com")


class InstagramConnector(MetaSocialConnector):
    name: ClassVar[str] = "instagram"
    channel: ClassVar[str] = CHANNEL
    channel_label: ClassVar[str | None] = "Instagram"
    code_prefix: ClassVar[str | None] = "IG"
    Config: ClassVar[type[BaseModel]] = InstagramConfig
    meta_object: ClassVar[str] = "instagram"
    label: ClassVar[str] = LABEL
    reply_path: ClassVar[str] = "{comment_id}/replies"
    default_graph_base_url: ClassVar[str] = "https://graph.instagram.com"
    placeholder_titles: ClassVar[frozenset[str]] = MetaSocialConnector.placeholder_set(LABEL)
    # A DM is at most 1,000 bytes, a comment 2,200 characters: the shorter rules both.
    lifecycle = social_lifecycle(reply_max_chars=1000)

    config: InstagramConfig

    @property
    def account(self) -> str:
        return self.config.account_id

    def split_change(self, entry: dict, change: dict) -> tuple[str, Any] | None:
        if change.get("field") not in COMMENT_FIELDS or not change["value"].get("id"):
            return None  # mentions, story insights…: not comments on our posts
        return str(change["value"]["id"]), {"kind": "comment", "account": self.account, "field": change["field"],
                                            "time": entry.get("time"), "value": change["value"]}

    def normalise_change(self, payload: dict):
        value = payload["value"]
        author = value.get("from") or {}
        if str(author.get("id") or "") == payload["account"]:
            return Skip("komentar akun pemda sendiri")
        text = (value.get("text") or "").strip()
        if not text:
            return Skip("komentar tanpa teks")
        if payload.get("time") is None:
            raise NormaliseError("komentar tanpa waktu (entry.time)")
        username = str(author.get("username") or "")[:150]
        return self.comment_draft(str(value["id"]), text, epoch(payload["time"]), f"@{username}" if username else None)
