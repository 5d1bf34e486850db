"""Facebook Page (Meta webhooks, `object: "page"`): comments on the Page's posts and Messenger messages, as
candidates for the triage desk (docs/wire-formats.md; shared parts in connectors.meta_pages).

- `field: "feed"` with `value.item == "comment"`: `{verb: add|edited|remove|hide|unhide, comment_id, post_id,
  parent_id, message, from {id, name}, created_time}`. `add` opens a `kandidat` complaint keyed by the comment id,
  `edited` changes its words (staff decisions stay), `remove` withdraws it (never deleted); hide/unhide by the
  Page's admins change nothing. Posts, reactions and shares are not comments and are not landed. The Page's own
  comments (its replies) are skipped.
- `messaging[]` (Messenger, `sender.id` = the person's page-scoped id): one thread per person within the
  window; `message_edit` joins it, an unsent message withdraws it.
- Replies: comments get a public reply (`POST /{comment-id}/comments`), Messenger threads a message through
  the Send API (`POST /{page-id}/messages`, `messaging_type: RESPONSE`) within 24 hours.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from connectors.base import NormaliseError, Skip
from connectors.meta_pages import MetaSocialConfig, MetaSocialConnector, epoch, social_lifecycle
from core.intake.contract import Withdrawal

CHANNEL = "facebook"
LABEL = "Facebook"


class FacebookConfig(MetaSocialConfig):
    page_id: str = Field(pattern=r"^\d{1,30}$", description="The Page's id (entry.id): deliveries for other "
                                                            "Pages are ignored")
    graph_base_url: str | None = Field(None, description="Meta Graph host of replies (default https://graph.facebook.com)")


class FacebookConnector(MetaSocialConnector):
    name: ClassVar[str] = "facebook"
    channel: ClassVar[str] = CHANNEL
    channel_label: ClassVar[str | None] = "Facebook"
    code_prefix: ClassVar[str | None] = "FB"
    Config: ClassVar[type[BaseModel]] = FacebookConfig
    meta_object: ClassVar[str] = "page"
    label: ClassVar[str] = LABEL
    reply_path: ClassVar[str] = "{comment_id}/comments"
    placeholder_titles: ClassVar[frozenset[str]] = MetaSocialConnector.placeholder_set(LABEL)
    lifecycle = social_lifecycle(reply_max_chars=2000)  # Messenger's cap on a text message

    config: FacebookConfig

    @property
    def account(self) -> str:
        return self.config.page_id

    def split_change(self, entry: dict, change: dict) -> tuple[str, Any] | None:
        value = change["value"]
        if change.get("field") != "feed" or value.get("item") != "comment" or not value.get("comment_id"):
            return None
        return str(value["comment_id"]), {"kind": "feed", "account": self.account, "time": entry.get("time"),
                                          "value": value}

    def normalise_change(self, payload: dict):
        value = payload["value"]
        verb = value.get("verb")
        comment_id = str(value["comment_id"])
        when = value.get("created_time") or payload.get("time")
        if when is None:
            raise NormaliseError("komentar tanpa created_time")
        at = epoch(when)
        if verb == "remove":
            return Withdrawal(external_id=comment_id, at=at, note="komentar dihapus")
        author = value.get("from") or {}
        if str(author.get("id") or "") == payload["account"]:
            return Skip("komentar halaman pemda sendiri")
        if verb not in ("add", "edited"):
            return Skip(f"komentar {verb!r}: tidak mengubah aduan")
        text = (value.get("message") or "").strip()
        if not text and value.get("photo"):
            text = "[Foto dilampirkan]"
        if not text:
            return Skip("komentar tanpa teks")
        name = str(author.get("name") or "")[:200]
        return self.comment_draft(comment_id, text, at, name or None)
