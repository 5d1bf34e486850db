"""Who is calling: a person logged in with a password (user) or a machine with an API key (key)."""

from __future__ import annotations

from dataclasses import dataclass

from models import ApiKey, Role, User


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "key"
    id: int
    name: str
    role: Role
    opd_id: int | None = None
    username: str | None = None

    @property
    def ref(self) -> str:
        """Stable reference kept in the audit log and on complaints a petugas entered."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def of_key(cls, key: ApiKey) -> Principal:
        return cls("key", key.id, key.name, Role(key.role), key.opd_id)

    @classmethod
    def of_user(cls, user: User) -> Principal:
        return cls("user", user.id, user.name, Role(user.role), user.opd_id, user.username)
