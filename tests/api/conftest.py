from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.keys import create_key
from tests.factories import seeded


@pytest.fixture
def client(settings, session) -> TestClient:
    seeded(session)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def key_for(session) -> Callable[..., dict[str, str]]:
    """`key_for("analyst")` → headers carrying a fresh key of that role."""

    def make(role: str, opd: str | None = None) -> dict[str, str]:
        _, raw = create_key(session, f"test-{role}", role, opd)
        return {"X-API-Key": raw}

    return make


PASSWORD = "rahasia-sekali-123"


@pytest.fixture
def user_for(session) -> Callable[..., object]:
    """`user_for("opd_admin", "DPUPR")` → a fresh active user of that role (password `PASSWORD`)."""
    from core.identity.users import create_user

    serial = iter(range(1, 10_000))

    def make(role: str, opd: str | None = None, username: str | None = None, name: str | None = None):
        username = username or f"{role.replace('_', '')}{next(serial)}"
        return create_user(session, username, name or f"Pengguna {username}", role, PASSWORD, opd)

    return make


@pytest.fixture
def login_for(client, user_for) -> Callable[..., dict[str, str]]:
    """`login_for("analyst")` → Authorization headers of a freshly logged-in user of that role."""

    def make(role: str, opd: str | None = None, **kwargs) -> dict[str, str]:
        user = user_for(role, opd, **kwargs)
        r = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return make
